#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds a consumer program
# against it twice: with pkg-config and with CMake's find_package.
set -euo pipefail
: "${STRATA_BUILD_DIR:?}" "${STRATA_SOURCE_DIR:?}"
tmp=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if "$@"; then pass=$((pass+1)); else echo "FAILED: $*" >&2; fail=$((fail+1)); fi; }

cmake --install "$STRATA_BUILD_DIR" --prefix "$tmp/prefix" >/dev/null
check test -f "$tmp/prefix/include/strata/strata.h"
check test ! -e "$tmp/prefix/include/strata.h"
check test -x "$tmp/prefix/bin/strata"
libdir=$(dirname "$(find "$tmp/prefix" -name strata.pc | head -n1)")/..

# pkg-config, shared library
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$tmp/consumer_pc" "$STRATA_SOURCE_DIR/tests/consumer/consumer.c" $(pkg-config --cflags --libs strata)
check env LD_LIBRARY_PATH="$libdir" "$tmp/consumer_pc"

# CMake package
cmake -S "$STRATA_SOURCE_DIR/tests/consumer" -B "$tmp/cbuild" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cbuild" >/dev/null
check env LD_LIBRARY_PATH="$libdir" "$tmp/cbuild/consumer"

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

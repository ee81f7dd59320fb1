#!/usr/bin/env bash
# Configures and builds into BUILD_DIR (default: build).  Extra arguments go
# to cmake, e.g. scripts/build.sh -DSTRATA_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
# The build's own status decides, not the filter's (an old binary left from
# an earlier build must not pass for a new one).
status=0
cmake --build "$BUILD_DIR" -j "$(nproc)" >"$BUILD_DIR/build.log" 2>&1 || status=$?
grep -Ev '^\[|^-- |Building|Linking|Built target|Scanning|Consolidate' "$BUILD_DIR/build.log" || true
if [ "$status" -ne 0 ]; then
  echo "strata: the build in $BUILD_DIR failed (log: $BUILD_DIR/build.log)" >&2
  exit "$status"
fi
test -x "$BUILD_DIR/cli/strata"

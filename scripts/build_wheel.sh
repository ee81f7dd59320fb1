#!/usr/bin/env bash
# Builds a wheel of python/ that bundles BUILD_DIR's libstrata (as
# strata/lib/libstrata.so.0), so an install of it needs no STRATA_LIBRARY.
# The library's own dependencies (HDF5, OpenBLAS, LAPACKE, OpenMP) still come
# from the system: the wheel is for machines with Strata's Debian runtime
# packages, not a manylinux wheel.  setuptools tags it py3-none-any although
# it carries a Linux x86-64 library.
# Usage: scripts/build_wheel.sh [BUILD_DIR [OUT_DIR]]; PYTHON picks the Python
# (it needs pip, setuptools and wheel).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
out=${2:-$build/wheels}
py=${PYTHON:-python3}
test -e "$build/libstrata.so.0" || { echo "strata: no libstrata.so.0 in $build (build first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy, so that the build leaves nothing (build/, *.egg-info) in python/.
cp -r "$src/python" "$tmp/pkg"
mkdir -p "$tmp/pkg/strata/lib" "$out"
cp -L "$build/libstrata.so.0" "$tmp/pkg/strata/lib/libstrata.so.0"
"$py" -m pip wheel -q --no-deps --no-build-isolation --no-index -w "$out" "$tmp/pkg"
ls "$out"/strata-*.whl

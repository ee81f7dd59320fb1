#!/usr/bin/env bash
# Configures and builds into BUILD_DIR (default: build).  Extra arguments go
# to cmake, e.g. scripts/build.sh -DSTRATA_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" 2>&1 | grep -Ev '^\[|^-- |Building|Linking|Built target|Scanning|Consolidate' || true
test -x "$BUILD_DIR/cli/strata"

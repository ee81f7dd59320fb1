#!/usr/bin/env bash
# The whole test suite: a release build with -Werror, then the same suite
# under AddressSanitizer + UndefinedBehaviorSanitizer.  The scikit-learn
# cross-check runs in a virtual environment created here (PyPI); without it
# that test says SKIPPED loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

VENV=build-venv
if [ -z "${STRATA_PYTHON:-}" ]; then
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sklearn, h5py, numpy' 2>/dev/null; then
    (python3 -m venv "$VENV" && "$VENV/bin/pip" install -q numpy h5py scikit-learn) \
      || echo "strata: could not create the scikit-learn venv; the cross-check will skip" >&2
  fi
  if "$VENV/bin/python" -c 'import sklearn, h5py, numpy' 2>/dev/null; then
    export STRATA_PYTHON="$PWD/$VENV/bin/python"
  fi
fi

jobs=$(nproc)
echo "== release build (-Werror) and tests"
BUILD_DIR=build scripts/build.sh -DSTRATA_WERROR=ON
(cd build && ctest --output-on-failure -j "$jobs")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DSTRATA_WERROR=ON -DSTRATA_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j "$jobs" -E 'sklearn_crosscheck|install')

# ---- CSV parser fuzzing (owner: CSV import; tests/fuzz/run.sh): a bounded
# libFuzzer run with ASan+UBSan.  Skipped with a message when clang is missing.
echo "== fuzzing the CSV parser (${FUZZ_SECONDS:-60} s)"
if command -v clang >/dev/null 2>&1; then
  FUZZ_DIR=build-fuzz tests/fuzz/run.sh
else
  echo "strata: clang not found; the CSV parser fuzz run is SKIPPED" >&2
fi

#!/usr/bin/env bash
# Runs tests/sklearn_crosscheck.py (strata fit vs scikit-learn Lloyd k-means)
# with a Python that has numpy, h5py, scikit-learn and threadpoolctl:
#   $STRATA_PYTHON if set (then it must work: a broken one fails the test),
#   else a .venv in the source tree, the build tree or bench/,
#   else python3 if it imports them.
# With none, prints a loud SKIPPED line and exits 0.
# Environment: STRATA, STRATA_GEN (the tools), STRATA_TEST_TMP (scratch).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
mods="import numpy, h5py, sklearn, threadpoolctl"

usable() { [ -n "$1" ] && "$1" -c "$mods" >/dev/null 2>&1; }

py=""
if [ -n "${STRATA_PYTHON:-}" ]; then
  if ! usable "$STRATA_PYTHON"; then
    echo "sklearn_crosscheck: STRATA_PYTHON=$STRATA_PYTHON cannot import numpy, h5py, scikit-learn, threadpoolctl:"
    "$STRATA_PYTHON" -c "$mods" 2>&1 | tail -3
    echo "sklearn_crosscheck: 0 passed, 1 failed"
    exit 1
  fi
  py=$STRATA_PYTHON
else
  cands=("$src/.venv/bin/python")
  # the build tree: STRATA is <build>/cli/strata, STRATA_TEST_TMP is <build>/tests/tmp
  [ -n "${STRATA:-}" ] && cands+=("$(dirname "$(dirname "$STRATA")")/.venv/bin/python")
  [ -n "${STRATA_TEST_TMP:-}" ] && cands+=("$(dirname "$(dirname "$STRATA_TEST_TMP")")/.venv/bin/python")
  cands+=("$src/build/.venv/bin/python" "$src/bench/.venv/bin/python" "$(command -v python3 || true)")
  for c in "${cands[@]}"; do
    if [ -x "$c" ] && usable "$c"; then py=$c; break; fi
  done
fi

if [ -z "$py" ]; then
  echo "################################################################"
  echo "SKIPPED: scikit-learn not available"
  echo "  (no Python with numpy, h5py, scikit-learn, threadpoolctl; set"
  echo "   STRATA_PYTHON or create .venv to run the scikit-learn cross-check)"
  echo "################################################################"
  echo "sklearn_crosscheck: 0 passed, 0 failed, 1 skipped"
  exit 0
fi

echo "sklearn_crosscheck: using $py"
exec "$py" "$here/sklearn_crosscheck.py" \
  --strata "${STRATA:-strata}" --gen "${STRATA_GEN:-strata-gen}" ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"} "$@"

#!/usr/bin/env bash
# Runs tests/sweep_crosscheck.py (strata sweep's metrics vs scikit-learn) with
# $STRATA_PYTHON; without it prints SKIPPED and exits 0.  A STRATA_PYTHON that
# cannot import numpy, h5py and scikit-learn fails the test.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${STRATA_PYTHON:-}" ]; then
  echo "SKIPPED: STRATA_PYTHON is not set (scikit-learn cross-check of strata sweep's metrics)"
  echo "sweep_crosscheck: 0 passed, 0 failed, 1 skipped"
  exit 0
fi
if ! "$STRATA_PYTHON" -c "import numpy, h5py, sklearn" >/dev/null 2>&1; then
  echo "sweep_crosscheck: STRATA_PYTHON=$STRATA_PYTHON cannot import numpy, h5py, scikit-learn"
  echo "sweep_crosscheck: 0 passed, 1 failed"
  exit 1
fi
exec "$STRATA_PYTHON" "$here/sweep_crosscheck.py" --strata "${STRATA:-strata}" --gen "${STRATA_GEN:-strata-gen}" \
  ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"}

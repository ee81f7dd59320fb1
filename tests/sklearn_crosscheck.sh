#!/usr/bin/env bash
# Runs tests/sklearn_crosscheck.py (strata fit vs scikit-learn Lloyd k-means)
# with a Python that has numpy, h5py, scikit-learn and threadpoolctl (see
# oracle_python in cli_lib.sh: $STRATA_PYTHON if set, else build-venv or a
# .venv).  Without one the test reports skipped, or fails with CI=true.
# Environment: STRATA, STRATA_GEN (the tools), STRATA_TEST_TMP (scratch).
NAME=sklearn_crosscheck
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn, threadpoolctl"; then
  if "$PY" "$here/sklearn_crosscheck.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"} "$@"; then
    ok "strata fit agrees with scikit-learn's KMeans"
  else
    bad "strata fit agrees with scikit-learn's KMeans" "(the failed checks are listed above)"
  fi
fi
finish

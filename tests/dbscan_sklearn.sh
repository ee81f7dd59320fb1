#!/usr/bin/env bash
# Runs tests/dbscan_sklearn.py (strata fit --algorithm dbscan vs scikit-learn's
# DBSCAN) with a Python that has numpy, h5py and scikit-learn (oracle_python
# in cli_lib.sh).  Without one the test reports skipped, or fails with CI=true.
# Environment: STRATA, STRATA_GEN (the tools), STRATA_TEST_TMP (scratch).
NAME=dbscan_sklearn
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn"; then
  if "$PY" "$here/dbscan_sklearn.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"} "$@"; then
    ok "strata fit --algorithm dbscan agrees with scikit-learn"
  else
    bad "strata fit --algorithm dbscan agrees with scikit-learn" "(the failed checks are listed above)"
  fi
fi
finish

#!/usr/bin/env bash
# Runs tests/sweep_methods_sklearn.py (strata sweep --algorithm
# kmeans,gmm,ward vs scikit-learn and scipy) with a Python that has numpy,
# h5py, scikit-learn and scipy (oracle_python in cli_lib.sh).  Without one
# the test reports skipped, or fails with CI=true.
NAME=sweep_methods_sklearn
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn, scipy"; then
  if "$PY" "$here/sweep_methods_sklearn.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"} "$@"; then
    ok "strata sweep's method comparison agrees with scikit-learn and scipy"
  else
    bad "strata sweep's method comparison agrees with scikit-learn and scipy" "(the failed checks are listed above)"
  fi
fi
finish

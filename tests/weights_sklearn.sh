#!/usr/bin/env bash
# Runs tests/weights_sklearn.py (strata fit --weights vs scikit-learn's KMeans with sample_weight
# from the same initial centroids) with a Python that has
# numpy, h5py and scikit-learn (oracle_python in cli_lib.sh).  Without one
# the test reports skipped, or fails with CI=true.
NAME=weights_sklearn
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn"; then
  if "$PY" "$here/weights_sklearn.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"} "$@"; then
    ok "strata fit --weights agrees with scikit-learn's KMeans(sample_weight)"
  else
    bad "strata fit --weights agrees with scikit-learn's KMeans(sample_weight)" "(the failed checks are listed above)"
  fi
fi
finish

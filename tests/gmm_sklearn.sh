#!/usr/bin/env bash
# Runs tests/gmm_sklearn.py (strata fit --algorithm gmm vs scikit-learn's
# GaussianMixture from the same initial parameters) with a Python that has
# numpy, h5py and scikit-learn (oracle_python in cli_lib.sh).  Without one
# the test reports skipped, or fails with CI=true.
NAME=gmm_sklearn
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn"; then
  if "$PY" "$here/gmm_sklearn.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"} "$@"; then
    ok "strata fit --algorithm gmm agrees with scikit-learn's GaussianMixture"
  else
    bad "strata fit --algorithm gmm agrees with scikit-learn's GaussianMixture" "(the failed checks are listed above)"
  fi
fi
finish

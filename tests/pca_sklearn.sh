#!/usr/bin/env bash
# Runs tests/pca_sklearn.py (strata pca vs scikit-learn's PCA on the same
# scaled data) with a Python that has numpy, h5py and scikit-learn
# (oracle_python in cli_lib.sh).  Without one the test reports skipped, or
# fails with CI=true.
# Environment: STRATA, STRATA_GEN (the tools), STRATA_TEST_TMP (scratch).
NAME=pca_sklearn
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn"; then
  if "$PY" "$here/pca_sklearn.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    --tmp "${STRATA_TEST_TMP:-/tmp}"; then
    ok "strata pca agrees with scikit-learn's PCA"
  else
    bad "strata pca agrees with scikit-learn's PCA" "(the failed checks are listed above)"
  fi
fi
finish

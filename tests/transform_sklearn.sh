#!/usr/bin/env bash
# Runs tests/transform_sklearn.py (strata fit --transform yeo-johnson, log1p,
# clip and --scale robust vs scikit-learn's PowerTransformer(standardize=False),
# numpy.percentile and RobustScaler, and assign's apply path) with a Python
# that has numpy, h5py and scikit-learn (oracle_python in cli_lib.sh).
# Without one the test reports skipped, or fails with CI=true.
# Environment: STRATA (the command), STRATA_TEST_TMP (scratch).
NAME=transform_sklearn
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn"; then
  if "$PY" "$here/transform_sklearn.py" --strata "$STRATA" ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"}; then
    ok "transforms and the robust scaler agree with scikit-learn"
  else
    bad "transforms and the robust scaler agree with scikit-learn" "(the failed checks are listed above)"
  fi
fi
finish

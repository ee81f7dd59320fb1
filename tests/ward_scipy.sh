#!/usr/bin/env bash
# Runs tests/ward_scipy.py (strata fit --algorithm ward vs scipy's
# linkage(method='ward') and scikit-learn's AgglomerativeClustering) with a
# Python that has numpy, h5py, scipy and scikit-learn (oracle_python in
# cli_lib.sh).  Without one the test reports skipped, or fails with CI=true.
# Environment: STRATA, STRATA_GEN (the tools), STRATA_TEST_TMP (scratch).
NAME=ward_scipy
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, scipy, sklearn"; then
  if "$PY" "$here/ward_scipy.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"} "$@"; then
    ok "strata fit --algorithm ward agrees with scipy and scikit-learn"
  else
    bad "strata fit --algorithm ward agrees with scipy and scikit-learn" "(the failed checks are listed above)"
  fi
fi
finish

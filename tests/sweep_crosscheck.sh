#!/usr/bin/env bash
# Runs tests/sweep_crosscheck.py (strata sweep's metrics vs scikit-learn) with
# a Python that has numpy, h5py and scikit-learn (oracle_python in
# cli_lib.sh).  Without one the test reports skipped, or fails with CI=true.
NAME=sweep_crosscheck
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn"; then
  if "$PY" "$here/sweep_crosscheck.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    ${STRATA_TEST_TMP:+--tmp "$STRATA_TEST_TMP"}; then
    ok "strata sweep's metrics agree with scikit-learn"
  else
    bad "strata sweep's metrics agree with scikit-learn" "(the failed checks are listed above)"
  fi
fi
finish

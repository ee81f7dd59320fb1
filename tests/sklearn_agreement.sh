#!/usr/bin/env bash
# Runs tests/sklearn_agreement.py (the stability command's ARI and Jaccard
# against scikit-learn) with a Python that has numpy and scikit-learn
# (oracle_python in cli_lib.sh).  Without one the test reports skipped, or
# fails with CI=true.
# Environment: STRATA_AGREEMENT_TOOL (the tests/agreement_tool helper).
NAME=sklearn_agreement
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, sklearn"; then
  if "$PY" "$here/sklearn_agreement.py" "${STRATA_AGREEMENT_TOOL:?}"; then
    ok "ARI and Jaccard agree with scikit-learn"
  else
    bad "ARI and Jaccard agree with scikit-learn" "(the failed checks are listed above)"
  fi
fi
finish

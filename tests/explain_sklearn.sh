#!/usr/bin/env bash
# Runs tests/explain_sklearn.py (the fidelity of `strata explain` against
# scikit-learn's DecisionTreeClassifier(max_depth=N) on the same rows and
# segments) with a Python that has numpy, h5py and scikit-learn
# (oracle_python in cli_lib.sh).  Without one the test reports skipped, or
# fails with CI=true.
# Environment: STRATA, STRATA_GEN (the tools), STRATA_TEST_TMP (scratch).
NAME=explain_sklearn
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, sklearn"; then
  if "$PY" "$here/explain_sklearn.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" --tmp "$T"; then
    ok "strata explain's fidelity agrees with scikit-learn's DecisionTreeClassifier"
  else
    bad "strata explain's fidelity agrees with scikit-learn's DecisionTreeClassifier" "(the failed checks are listed above)"
  fi
fi
finish

#!/usr/bin/env bash
# Runs tests/python_methods.py: strata.GaussianMixture, strata.Ward and
# strata.DBSCAN (python/strata, from the source tree) against scikit-learn,
# the `strata` command bit for bit and check_estimator; errors, pickling,
# parameters.  Needs a Python with numpy, h5py and scikit-learn
# (oracle_python); without one the test skips, or fails with CI=true.
# Environment: STRATA, STRATA_LIBRARY (libstrata.so of the build),
# STRATA_TEST_TMP.
NAME=python_methods
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${STRATA_LIBRARY:?STRATA_LIBRARY must name libstrata.so of the build}"
. "$here/python_lib.sh"

if oracle_python "numpy, h5py, sklearn"; then
  if env "${PYENV[@]}" PYTHONPATH="$here/../python" "$PY" "$here/python_methods.py" --strata "$STRATA" --tmp "$T"; then
    ok "strata.GaussianMixture / Ward / DBSCAN agree with scikit-learn, the command and check_estimator"
  else
    bad "the Python estimators' checks" "(the failed checks are listed above)"
  fi
fi
finish

#!/usr/bin/env bash
# Runs tests/python_kmeans.py: the Python package (python/strata, from the
# source tree) against the `strata` command bit for bit, scikit-learn and its
# check_estimator, errors, DataFrames.  Needs a Python with numpy, h5py,
# scikit-learn and pandas (oracle_python); without one the test skips, or
# fails with CI=true.  Environment: STRATA, STRATA_LIBRARY (libstrata.so of
# the build), STRATA_TEST_TMP.
NAME=python_package
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${STRATA_LIBRARY:?STRATA_LIBRARY must name libstrata.so of the build}"
. "$here/python_lib.sh"

if oracle_python "numpy, h5py, sklearn, pandas"; then
  if env "${PYENV[@]}" PYTHONPATH="$here/../python" "$PY" "$here/python_kmeans.py" --strata "$STRATA" --tmp "$T"; then
    ok "strata.KMeans / fit_h5 / open_model agree with the command, scikit-learn and check_estimator"
  else
    bad "the Python package's checks" "(the failed checks are listed above)"
  fi
fi
finish

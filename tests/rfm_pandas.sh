#!/usr/bin/env bash
# Runs tests/rfm_pandas.py (strata rfm vs a pandas groupby on the shipped
# Online Retail sample; spill and row order give the same bits) with a
# Python that has numpy, h5py and pandas (oracle_python in cli_lib.sh).
# Without one the test reports skipped, or fails with CI=true.
NAME=rfm_pandas
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py, pandas"; then
  if "$PY" "$here/rfm_pandas.py" --strata "$STRATA" --data "$here/data/online_retail_sample.csv" --tmp "$T"; then
    ok "strata rfm agrees with a pandas groupby"
  else
    bad "strata rfm agrees with a pandas groupby" "(the failed checks are listed above)"
  fi
fi
finish

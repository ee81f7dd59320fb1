#!/usr/bin/env bash
# Runs tests/model_mutation.py: byte-mutated model files through `strata
# assign` (never a signal or a hang; exit 0 only for a model that is intact
# or still valid), with a Python that has numpy and h5py (oracle_python in
# cli_lib.sh).  Without one the test reports skipped, or fails with CI=true.
# Environment: STRATA, STRATA_GEN (the tools), STRATA_TEST_TMP (scratch).
NAME=model_mutation
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if oracle_python "numpy, h5py"; then
  if "$PY" "$here/model_mutation.py" --strata "$STRATA" --gen "${STRATA_GEN:-strata-gen}" \
    --tmp "$T/mutation" -n 300 "$@"; then
    ok "300 byte-mutated models: no crash, no hang, exit 0 only for a valid model"
  else
    bad "300 byte-mutated models: no crash, no hang, exit 0 only for a valid model" "(the failed mutants are listed above)"
  fi
fi
finish

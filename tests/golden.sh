#!/usr/bin/env bash
# Golden outputs: every command's outputs (JSON, model and labels files,
# tables, CSV, the report) on generated tables must equal, bit for bit, those
# recorded in tests/golden/expected (timings, dates and versions aside; see
# tests/golden/normalize.py).  They were recorded on the AVX-512 kernels, so
# on another ISA level the test is skipped (exit 77).
# Re-record after a change that is meant to move bits:
#   STRATA=build/cli/strata STRATA_GEN=build/datasets/strata-gen \
#     tests/golden/record.sh /tmp/g && tests/golden/keep.sh /tmp/g
set -euo pipefail
: "${STRATA:?}" "${STRATA_GEN:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=${STRATA_TEST_TMP:-/tmp}
mkdir -p "$BASE"
OUT=$(mktemp -d "$BASE/golden-out.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
"$HERE/golden/record.sh" "$OUT/run"
if ! grep -q '"backend": "avx512"' "$OUT/run/fit1.json"; then
  echo "golden: SKIP: these outputs were recorded with the avx512 kernels; this machine ran $(grep '"backend"' "$OUT/run/fit1.json")"
  exit 77
fi
# PCA's eigenvectors come from LAPACK (dsyevr), whose OpenBLAS kernels differ
# by CPU (one on the Intel Xeon, another on the AMD EPYC): its outputs agree
# to about 1e-13 across machines, not bit for bit, so they are compared
# within 1e-9; everything else must be equal.
python3 "$HERE/golden/compare.py" "$HERE/golden/expected" "$OUT/run" --close "pca*=1e-9"

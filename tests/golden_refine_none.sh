#!/usr/bin/env bash
# Golden outputs with --refine none on every fit: Lloyd alone must give
# exactly what it gave before the refinement existed (expected_none: those
# goldens plus the model's refine fields; expected/ for the files the
# refinement does not move).  Skipped off AVX-512 as golden.sh is.
# Re-record with the default run:
#   STRATA=build/cli/strata STRATA_GEN=build/datasets/strata-gen tests/golden/record.sh /tmp/g
#   STRATA_REAL=build/cli/strata STRATA=tests/golden/refine_none.sh STRATA_GEN=build/datasets/strata-gen \
#     tests/golden/record.sh /tmp/gn && tests/golden/keep_none.sh /tmp/g /tmp/gn
set -euo pipefail
: "${STRATA:?}" "${STRATA_GEN:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=${STRATA_TEST_TMP:-/tmp}
mkdir -p "$BASE"
OUT=$(mktemp -d "$BASE/golden-none.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
STRATA_REAL=$STRATA STRATA="$HERE/golden/refine_none.sh" "$HERE/golden/record.sh" "$OUT/run"
if ! grep -q '"backend": "avx512"' "$OUT/run/fit1.json"; then
  echo "golden_refine_none: SKIP: these outputs were recorded with the avx512 kernels; this machine ran $(grep '"backend"' "$OUT/run/fit1.json")"
  exit 77
fi
grep -q '"refine": "none"' "$OUT/run/fit1.json" || { echo "golden_refine_none: fit1 did not run with --refine none"; exit 1; }
mkdir "$OUT/expected"
cp "$HERE/golden/expected/"* "$OUT/expected/"
cp "$HERE/golden/expected_none/"* "$OUT/expected/"
python3 "$HERE/golden/compare.py" "$OUT/expected" "$OUT/run" --close "pca*=1e-9"  # PCA: see golden.sh

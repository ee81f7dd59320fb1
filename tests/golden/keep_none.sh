#!/usr/bin/env bash
# Keeps the outputs of record.sh under --refine none (refine_none.sh) as
# tests/golden/expected_none: their MANIFEST, and each output up to 64 KB
# that differs from the default run's (the rest equal expected/).
#   keep_none.sh DEFAULT_DIR NONE_DIR
# When they were recorded (issue 16), every file of NONE_DIR equalled the
# goldens recorded before the refinement existed, bit for bit, but for the
# model's and --json's refine, refine_trials and refine_swaps.
set -euo pipefail
DEF=$1 SRC=$2
DST=$(cd "$(dirname "$0")" && pwd)/expected_none
rm -rf "$DST"; mkdir -p "$DST"
grep -v ' real_' "$SRC/MANIFEST" >"$DST/MANIFEST"
for f in $(awk '{print $2}' "$DST/MANIFEST"); do
  if ! cmp -s "$DEF/$f" "$SRC/$f" && [ "$(stat -c %s "$SRC/$f")" -le 65536 ]; then cp "$SRC/$f" "$DST/"; fi
done

#!/usr/bin/env bash
# Makes a record.sh output directory the new expected golden outputs: the
# MANIFEST of every output, and the outputs themselves up to 64 KB (larger
# ones, the labels dumps, are checked by their hash alone).
set -euo pipefail
SRC=$1
DST=$(cd "$(dirname "$0")" && pwd)/expected
rm -rf "$DST"; mkdir -p "$DST"
grep -v ' real_' "$SRC/MANIFEST" >"$DST/MANIFEST"
for f in $(awk '{print $2}' "$DST/MANIFEST"); do
  if [ "$(stat -c %s "$SRC/$f")" -le 65536 ]; then cp "$SRC/$f" "$DST/"; fi
done

#!/usr/bin/env bash
# `strata fit --algorithm ward|dbscan` on bad usage and bad input: one
# "strata: error:" line, exit 2, no output left behind; and the outputs of a
# good fit (model kind, labels, --json members, assign).  The numbers are
# checked against scipy/scikit-learn in ward_scipy and dbscan_sklearn.
NAME=cli_ward_dbscan
. "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?STRATA_GEN must name strata-gen}"

O="$T/outputs"
mkdir "$O"
"$STRATA_GEN" --kind blobs --layout columns --dims 3 --centers 3 --rows 400 --seed 2 -o "$T/blobs.h5"
"$STRATA_GEN" --rows 300 --seed 4 --missing 0.05 -o "$T/nan.h5"
D="$T/blobs.h5"

expect_error_clean "ward: -k and --distance-threshold" 2 'both choose the cut' "$O" \
  "$STRATA" fit "$D" --algorithm ward -k 3 --distance-threshold 2 -o "$O/m.h5"
expect_error_clean "ward: no -k, no threshold" 2 'missing required option -k' "$O" \
  "$STRATA" fit "$D" --algorithm ward -o "$O/m.h5"
expect_error_clean "ward: threshold 0" 2 'distance-threshold must be a number above 0' "$O" \
  "$STRATA" fit "$D" --algorithm ward --distance-threshold 0 -o "$O/m.h5"
expect_error_clean "kmeans: threshold" 2 'needs algorithm ward' "$O" \
  "$STRATA" fit "$D" --distance-threshold 2 -o "$O/m.h5"
expect_error_clean "ward: k above the rows" 2 'exceeds the number of rows' "$O" \
  "$STRATA" fit "$D" --algorithm ward -k 401 -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "ward: past --mem-limit" 2 'holds the table in memory.*--mem-limit' "$O" \
  "$STRATA" fit "$D" --algorithm ward -k 3 --mem-limit 4K -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "ward: restarts" 2 'restarts' "$O" \
  "$STRATA" fit "$D" --algorithm ward -k 3 --n-init 3 -o "$O/m.h5"
expect_error_clean "ward: missing values" 2 "missing value" "$O" \
  "$STRATA" fit "$T/nan.h5" --algorithm ward -k 3 -o "$O/m.h5"
expect_error_clean "dbscan: no --eps" 2 'dbscan needs eps' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan -o "$O/m.h5"
expect_error_clean "dbscan: -k" 2 'leave out -k' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan --eps 0.3 -k 3 -o "$O/m.h5"
expect_error_clean "dbscan: min-samples 0" 2 'min-samples' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan --eps 0.3 --min-samples 0 -o "$O/m.h5"
expect_error_clean "dbscan: all noise" 2 'found no cluster' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan --eps 1e-6 -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "dbscan: past --mem-limit" 2 'holds the table in memory' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan --eps 0.3 --mem-limit 4K -o "$O/m.h5"

# good fits: the outputs, and a model that loads and scores
run "$STRATA" fit "$D" --algorithm ward --distance-threshold 5 -o "$T/w.h5" --labels "$T/wl.h5" --json
if [ "$RC" -eq 0 ] && grep -q '"algorithm":"ward"' "$T/out" && grep -q '"dendrogram":{"merges":399' "$T/out"; then
  ok "ward fit: --json names the algorithm and the dendrogram"
else bad "ward fit --json" "rc=$RC $(head -c 300 "$T/err")"; fi
run "$STRATA" assign "$T/w.h5" "$D" --labels "$T/wa.h5" -q
if [ "$RC" -eq 0 ] && [ -s "$T/wa.h5" ]; then ok "ward model loads and assigns"; else bad "ward assign" "rc=$RC $(cat "$T/err")"; fi
run "$STRATA" fit "$T/nan.h5" --algorithm dbscan --eps 0.8 --missing drop -o "$T/d.h5" --labels "$T/dl.h5" --json
if [ "$RC" -eq 0 ] && grep -q '"algorithm":"dbscan"' "$T/out" && grep -q '"dbscan":{"eps":0.8,"min_samples":5' "$T/out"; then
  ok "dbscan fit with --missing drop: --json names eps and min_samples"
else bad "dbscan fit --json" "rc=$RC $(head -c 300 "$T/err") $(head -c 300 "$T/out")"; fi
run "$STRATA" assign "$T/d.h5" "$T/nan.h5" --labels "$T/da.h5" -q --no-drift
if [ "$RC" -eq 0 ] && [ -s "$T/da.h5" ]; then ok "dbscan model loads and assigns"; else bad "dbscan assign" "rc=$RC $(cat "$T/err")"; fi
run "$STRATA" profile "$T/d.h5" "$T/nan.h5" --labels "$T/dl.h5"
if [ "$RC" -eq 0 ] && grep -q 'without a segment' "$T/out"; then ok "profile of dbscan labels (noise -1)"
else bad "profile of dbscan labels" "rc=$RC $(head -c 300 "$T/err")"; fi
finish

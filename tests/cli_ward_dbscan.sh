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
expect_error_clean "ward: past --mem-limit suggests two-step" 2 'holds the table in memory.*--mem-limit.*--ward-mode twostep' "$O" \
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
expect_error_clean "dbscan: past --mem-limit suggests a sample" 2 'holds the table in memory.*about [0-9]+ rows.*sample.*strata assign' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan --eps 0.3 --mem-limit 4K -o "$O/m.h5"
expect_error_clean "kmeans: ward mode" 2 'needs algorithm ward' "$O" \
  "$STRATA" fit "$D" -k 3 --ward-mode twostep -o "$O/m.h5"
expect_error_clean "ward: unknown mode" 2 'ward-mode' "$O" \
  "$STRATA" fit "$D" --algorithm ward -k 3 --ward-mode fast -o "$O/m.h5"
expect_error_clean "ward twostep: one micro-cluster" 2 'micro-clusters' "$O" \
  "$STRATA" fit "$D" --algorithm ward -k 3 --ward-mode twostep --micro-clusters 1 -o "$O/m.h5"
expect_error_clean "ward twostep: k above the micro-clusters" 2 'exceeds the 10 micro-clusters' "$O" \
  "$STRATA" fit "$D" --algorithm ward -k 20 --ward-mode twostep --micro-clusters 10 -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "dbscan: --eps autox" 2 'eps must be a number above 0 or auto' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan --eps autox -o "$O/m.h5"
expect_error_clean "kmeans: eps auto" 2 'needs algorithm dbscan' "$O" \
  "$STRATA" fit "$D" -k 3 --eps auto -o "$O/m.h5"
expect_error_clean "dbscan: eps sample 1" 2 'eps-sample' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan --eps auto --eps-sample 1 -o "$O/m.h5"
expect_error_clean "dbscan eps auto: min-samples above the rows" 2 'exceeds the 400 rows' "$O" \
  "$STRATA" fit "$D" --algorithm dbscan --eps auto --min-samples 401 -o "$O/m.h5"

# two-step Ward where exact Ward would be refused (auto), with dropped rows
run "$STRATA" fit "$T/nan.h5" --algorithm ward -k 4 --ward-mode auto --micro-clusters 50 --missing drop \
  --mem-limit 40K -o "$T/t.h5" --labels "$T/tl.h5" --json
counts=$(label_counts "$T/tl.h5" 2>/dev/null | tail -n 1)
dropped=$(jq_py "$T/out" 'j["rows_dropped"]' 2>/dev/null || echo none)
if [ "$RC" -eq 0 ] && grep -q '"mode":"twostep","micro_clusters":50' "$T/out" && [ "$counts" = "$dropped" ]; then
  ok "ward --ward-mode auto past --mem-limit runs two-step; dropped rows are -1 ($dropped)"
else bad "ward auto two-step" "rc=$RC counts=$counts dropped=$dropped $(head -c 300 "$T/err")"; fi
run "$STRATA" fit "$T/nan.h5" --algorithm ward -k 4 --ward-mode twostep --micro-clusters 50 --missing drop -o "$T/t2.h5"
if [ "$RC" -eq 0 ] && grep -q 'ward twostep: 50 micro-clusters' "$T/out"; then ok "two-step Ward prints its micro-clusters"
else bad "two-step Ward summary" "rc=$RC $(head -c 300 "$T/out")"; fi
run "$STRATA" assign "$T/t.h5" "$T/nan.h5" --labels "$T/ta.h5" -q --no-drift
if [ "$RC" -eq 0 ] && [ -s "$T/ta.h5" ]; then ok "two-step ward model loads and assigns"; else bad "two-step assign" "rc=$RC $(cat "$T/err")"; fi
run "$STRATA" fit "$D" --algorithm dbscan --eps auto --min-samples 6 -o "$T/e.h5" --json
eps=$(jq_py "$T/out" 'j["dbscan"]["eps"]' 2>/dev/null || echo none)
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["dbscan"]["eps_auto"]["sample"]')" = 400 ] &&
   [ "$(jq_py "$T/out" 'len(j["dbscan"]["eps_auto"]["curve"])')" = 200 ] &&
   python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "$eps"; then
  ok "dbscan --eps auto: --json has the chosen eps ($eps) and the k-distance curve"
else bad "dbscan --eps auto --json" "rc=$RC $(head -c 300 "$T/err")"; fi
# The text summary says where the rows outside the segment table went.
noise=$(jq_py "$T/out" 'j["dbscan"]["noise"]' 2>/dev/null || echo none)
run "$STRATA" fit "$D" --algorithm dbscan --eps auto --min-samples 6 -o "$T/e.h5"
if [ "$RC" -eq 0 ] && grep -q "dbscan: eps .*, min-samples 6: [0-9]* core points; noise (segment -1): $noise rows" "$T/out"; then
  ok "dbscan summary: core points and the noise rows ($noise)"
else bad "dbscan summary: noise line" "rc=$RC noise=$noise $(tail -n 3 "$T/out")"; fi
run "$STRATA" fit "$D" --algorithm dbscan --eps auto --min-samples 6 -o "$T/e2.h5" --eps-sample 100 --threads 1
run2=$(grep 'eps auto:' "$T/out")
run "$STRATA" fit "$D" --algorithm dbscan --eps auto --min-samples 6 -o "$T/e3.h5" --eps-sample 100 --threads 2
if [ "$RC" -eq 0 ] && grep -q 'eps auto: .* of 100 sampled rows' "$T/out" && [ "$run2" = "$(grep 'eps auto:' "$T/out")" ]; then
  ok "dbscan --eps auto on a sample: printed, the same for 1 and 2 threads"
else bad "dbscan --eps auto sample" "rc=$RC $(head -c 300 "$T/out")"; fi

# the report draws the dendrogram (two-step and exact) and the k-distance curve
run "$STRATA" report "$T/t.h5" "$T/nan.h5" -o "$T/t.html"
segs=$(grep -o 'S[0-9]* · [0-9]*</text>' "$T/t.html" | wc -l)
if [ "$RC" -eq 0 ] && grep -q '<h2 id="dendrogram">Dendrogram</h2>' "$T/t.html" && [ "$segs" -eq 16 ] &&
   grep -q '50 micro-clusters' "$T/t.html" && grep -q 'cut at height' "$T/t.html"; then
  ok "report of a two-step ward model: dendrogram with 16 labelled clusters and the cut"
else bad "report two-step dendrogram" "rc=$RC leaves=$segs $(head -c 300 "$T/err")"; fi
run "$STRATA" report "$T/e.h5" "$D" -o "$T/e.html"
if [ "$RC" -eq 0 ] && grep -q '<h2 id="kdist">Choosing eps</h2>' "$T/e.html" && grep -q '<polyline' "$T/e.html" &&
   ! grep -q 'id="dendrogram"' "$T/e.html"; then
  ok "report of a dbscan --eps auto model: the k-distance curve"
else bad "report eps auto" "rc=$RC $(head -c 300 "$T/err")"; fi

# good fits: the outputs, and a model that loads and scores
run "$STRATA" fit "$D" --algorithm ward --distance-threshold 5 -o "$T/w.h5" --labels "$T/wl.h5" --json
if [ "$RC" -eq 0 ] && grep -q '"algorithm":"ward"' "$T/out" && grep -q '"dendrogram":{"merges":399' "$T/out"; then
  ok "ward fit: --json names the algorithm and the dendrogram"
else bad "ward fit --json" "rc=$RC $(head -c 300 "$T/err")"; fi
run "$STRATA" report "$T/w.h5" "$D" -o "$T/w.html"
# sizes of the drawn clusters add up to the rows; each segment's leaves are adjacent
if [ "$RC" -eq 0 ] && python3 - "$T/w.html" <<'PY'; then ok "report of an exact ward model: leaves cover the rows, segments contiguous"
import re, sys
s = open(sys.argv[1]).read()
pts = sorted((float(x), int(g), int(n)) for x, g, n in
             re.findall(r'<circle cx="([0-9.]+)" cy="[0-9.]+" r="5" fill="[^"]*"><title>Segment (\d+): (\d+) rows', s))
segs = [g for _, g, _ in pts]
runs = [g for i, g in enumerate(segs) if i == 0 or g != segs[i - 1]]
sys.exit(0 if pts and sum(n for _, _, n in pts) == 400 and len(runs) == len(set(runs)) else 1)
PY
else bad "report exact ward dendrogram" "rc=$RC $(head -c 300 "$T/err")"; fi
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

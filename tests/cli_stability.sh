#!/usr/bin/env bash
# `strata stability`: planted blobs are stable and uniform noise is not
# (JSON and table), same seed same output for 1 and 2 threads, -o writes the
# same result, thresholds are options, --help lists every option, and bad
# input fails with one error line and no file left behind.
NAME=cli_stability
source "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?STRATA_GEN must name strata-gen}"

# Planted: 4 well-separated blobs.  Noise: uniform in the unit cube (awk,
# imported), where k = 5 has no structure to find.
"$STRATA_GEN" --kind blobs --rows 4000 --dims 3 --centers 4 --separation 3 --seed 1 -o "$T/blobs.h5"
awk 'BEGIN { srand(7); print "a,b,c"; for (i = 0; i < 4000; i++) printf "%.6f,%.6f,%.6f\n", rand(), rand(), rand() }' \
  >"$T/noise.csv"
"$STRATA" import "$T/noise.csv" -o "$T/noise.h5" --quiet >/dev/null

run "$STRATA" stability "$T/blobs.h5" -k 4 --runs 8 --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'PY'; then ok "blobs: ARI > 0.95, every segment stable, JSON schema"; else bad "blobs" "$(cat "$T/err" "$T/out")"; fi
import json, sys
j = json.load(open(sys.argv[1]))
for key in ("command", "data", "k", "runs", "method", "sample_rows", "seed", "ari", "segments", "thresholds", "verdict"):
    assert key in j, key
assert j["command"] == "stability" and j["k"] == 4 and j["runs"] == 8 and j["method"] == "bootstrap"
assert j["sample_rows"] == 4000 and j["seed"] == 0
assert set(j["ari"]) >= {"mean", "std", "min", "max"}
assert j["ari"]["mean"] > 0.95, j["ari"]
assert j["thresholds"] == {"stable": 0.75, "unstable": 0.6, "dissolved": 0.5}
assert len(j["segments"]) == 4 and sum(s["size"] for s in j["segments"]) == 4000
for i, s in enumerate(j["segments"]):
    assert s["segment"] == i and s["verdict"] == "stable" and s["jaccard_mean"] > 0.95 and s["dissolved"] == 0, s
    assert {"jaccard_std", "jaccard_min", "jaccard_max"} <= set(s)
assert j["verdict"] == "stable"
PY

run "$STRATA" stability "$T/noise.h5" -k 5 --runs 8 --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'PY'; then ok "uniform noise, k = 5: ARI clearly lower, some segment not stable"; else bad "noise" "$(cat "$T/err" "$T/out")"; fi
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ari"]["mean"] < 0.8, j["ari"]
assert any(s["jaccard_mean"] < 0.75 for s in j["segments"]), j["segments"]
assert j["verdict"] != "stable"
PY

run "$STRATA" stability "$T/noise.h5" -k 5 --runs 4 --method subsample --fraction 0.5 --sample 2000
if [ "$RC" -eq 0 ] && grep -q "4 subsample runs of 0.5 of the sample on a sample of 2000 of 4000 rows" "$T/out" &&
  grep -q "^thresholds (mean Jaccard, Hennig): stable >= 0.75, patterns >= 0.6, unstable > 0.5, dissolved <= 0.5" "$T/out" &&
  grep -Eq "^verdict: [a-z]+ \([0-9] of 5 segments stable\)" "$T/out" && grep -Eq "^ *segment +size +jaccard" "$T/out"; then
  ok "table: header, segment table, thresholds and verdict"
else
  bad "table" "$(cat "$T/out" "$T/err")"
fi

# Same seed, same output (but the timing and the thread count) for any thread count.
strip() { sed -E 's/"seconds":[^,}]*//; s/"threads":[^,}]*//' "$1"; }
"$STRATA" stability "$T/noise.h5" -k 5 --runs 5 --seed 3 --threads 1 --json >"$T/t1.json"
"$STRATA" stability "$T/noise.h5" -k 5 --runs 5 --seed 3 --threads 2 --json >"$T/t2.json"
"$STRATA" stability "$T/noise.h5" -k 5 --runs 5 --seed 4 --threads 2 --json >"$T/s4.json"
if [ "$(strip "$T/t1.json")" = "$(strip "$T/t2.json")" ]; then ok "threads 1 and 2: same output"; else bad "threads 1 vs 2" "$(cat "$T/t1.json")" "$(cat "$T/t2.json")"; fi
if [ "$(strip "$T/t1.json")" != "$(strip "$T/s4.json")" ]; then ok "another seed, another output"; else bad "the seed is ignored"; fi

# -o FILE: the same JSON, in place only when complete; thresholds are options.
run "$STRATA" stability "$T/noise.h5" -k 5 --runs 5 --seed 3 --json -o "$T/res.json"
if [ "$RC" -eq 0 ] && [ ! -s "$T/out" ] && [ "$(strip "$T/res.json")" = "$(strip "$T/t1.json")" ]; then ok "-o FILE"; else bad "-o FILE" "$(cat "$T/err")"; fi
run "$STRATA" stability "$T/blobs.h5" -k 4 --runs 3 --stable 0.99 --unstable 0.9 --dissolved 0.3 --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["thresholds"]')" = '{"stable": 0.99, "unstable": 0.9, "dissolved": 0.3}' ]; then
  ok "thresholds are options"
else
  bad "thresholds" "$(cat "$T/out" "$T/err")"
fi

run "$STRATA" stability --help
missing=""
for opt in --k --output --dataset --features --scale --missing --runs --method --fraction --sample --seed --n-init \
  --max-iter --tol --threads --backend --stable --unstable --dissolved --json --verbose --quiet --help; do
  grep -q -- "$opt" "$T/out" || missing="$missing $opt"
done
if [ "$RC" -eq 0 ] && [ -z "$missing" ]; then ok "--help lists every option"; else bad "--help" "missing:$missing"; fi
run "$STRATA" --help
if grep -q "^  stability " "$T/out"; then ok "listed in strata --help"; else bad "strata --help" "$(cat "$T/out")"; fi

mkdir "$T/o"
expect_error_clean "k > rows" 2 "k = 4001 exceeds the number of rows \(4000\)" "$T/o" \
  "$STRATA" stability "$T/blobs.h5" -k 4001 -o "$T/o/r.json"
expect_error_clean "--runs 1" 2 "--runs must be at least 2" "$T/o" "$STRATA" stability "$T/blobs.h5" -k 3 --runs 1 -o "$T/o/r"
expect_error "bad method" 2 "--method.*jackknife" "$STRATA" stability "$T/blobs.h5" -k 3 --method jackknife
expect_error "bad fraction" 2 "--fraction must be above 0 and below 1" "$STRATA" stability "$T/blobs.h5" -k 3 --fraction 1.5
expect_error "threshold out of range" 2 "--stable must be a number from 0 to 1" "$STRATA" stability "$T/blobs.h5" -k 3 --stable 2
expect_error "thresholds out of order" 2 "--dissolved <= --unstable <= --stable" \
  "$STRATA" stability "$T/blobs.h5" -k 3 --stable 0.5 --unstable 0.6
expect_error "k > sample" 2 "k = 3 exceeds the sample of 2 rows" "$STRATA" stability "$T/blobs.h5" -k 3 --sample 2
# Missing and infinite values are named by their row in the file, not in the sample.
"$STRATA_GEN" --kind blobs --rows 3000 --dims 3 --centers 3 --missing 0.01 --seed 2 -o "$T/gaps.h5"
"$STRATA_GEN" --kind blobs --rows 3000 --dims 3 --centers 3 --inf --seed 2 -o "$T/inf.h5"
expect_error "NaN with --missing error" 2 "column 'x[0-2]' has a missing value \(NaN\) at row [0-9]+; use --missing" \
  "$STRATA" stability "$T/gaps.h5" -k 3 --runs 2
expect_error "Inf" 2 "column 'x0' has an infinite value at row 3$" "$STRATA" stability "$T/inf.h5" -k 3 --runs 2
run "$STRATA" stability "$T/gaps.h5" -k 3 --runs 3 --missing drop --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'sum(s["size"] for s in j["segments"]) < 3000')" = True ]; then
  ok "--missing drop: rows with gaps get no segment"
else
  bad "--missing drop" "$(cat "$T/err" "$T/out")"
fi
expect_error "missing -k" 2 "missing required option -k" "$STRATA" stability "$T/blobs.h5"
expect_error_clean "missing file" 2 "cannot open|not found" "$T/o" "$STRATA" stability "$T/none.h5" -k 3 -o "$T/o/r"
expect_error "unknown feature" 2 "column 'zz' not found" "$STRATA" stability "$T/blobs.h5" -k 3 --features zz
expect_error "output is the input" 2 "is the input data file" "$STRATA" stability "$T/blobs.h5" -k 3 -o "$T/blobs.h5"
# Categorical columns: one-hot, weighted as in fit.  Three well-separated
# groups whose region matches: every segment stable.
awk 'BEGIN { srand(3); print "a,b,region"; split("north south east", r, " ")
  for (i = 0; i < 3000; i++) { c = i % 3; printf "%.4f,%.4f,%s\n", c * 6 + rand(), c * 6 + rand(), r[c + 1] } }' \
  >"$T/cat.csv"
"$STRATA" import "$T/cat.csv" -o "$T/cat.h5" --quiet >/dev/null
run "$STRATA" stability "$T/cat.h5" -k 3 --categorical region --runs 5 --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["ari"]["mean"] > 0.95 and j["verdict"] == "stable"')" = True ]; then
  ok "--categorical: one-hot columns in the refits, planted groups stable"
else bad "--categorical" "$(cat "$T/err" "$T/out" | head -c 600)"; fi
expect_error "--categorical on a numeric column" 2 "categorical|text" "$STRATA" stability "$T/cat.h5" -k 3 --categorical a
finish

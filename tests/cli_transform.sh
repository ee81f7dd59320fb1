#!/usr/bin/env bash
# Transforms before scaling and the robust scaler from the command line:
# fit -> assign round trip with transforms reproduces the labels, the model
# and --json record them, bad specs are one-line usage errors, a value
# outside log1p's domain is a data error (exit 2), --min-segment-share
# warns about tiny segments, sweep and stability take --transform, and
# stability never calls a segment stable that dissolved in more than 10%
# of its runs.
NAME=cli_transform
. "$(dirname "$0")/cli_lib.sh"

"$STRATA_GEN" -o "$T/c.h5" --rows 20000 --seed 5 --missing 0 >/dev/null
F=age,income,purchase_frequency,recency_days
TF='income:yeo-johnson,purchase_frequency:log1p'

run "$STRATA" fit "$T/c.h5" -k 5 --features $F --transform "$TF" --transform 'recency_days:clip(p1,p99)' \
  --scale robust --seed 2 -o "$T/m.h5" --labels "$T/l.h5" --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'EOF'; then ok "fit --transform --scale robust: transforms and scaler in --json"
import json, sys
j = json.load(open(sys.argv[1]))
t = {x["feature"]: x for x in j["transforms"]}
assert set(t) == {"income", "purchase_frequency", "recency_days"}, t
assert t["income"]["transform"] == "yeo-johnson" and -3 < t["income"]["lambda"] < 3, t
assert t["purchase_frequency"]["transform"] == "log1p"
assert t["recency_days"]["transform"] == "clip" and t["recency_days"]["lower"] < t["recency_days"]["upper"]
assert j["scale"] == "robust" and j["min_segment_share"] == 0.01
assert isinstance(j["small_segments"], list)
EOF
else bad "fit --transform --scale robust" "rc=$RC $(head -c 400 "$T/err")" "$(head -c 300 "$T/out")"; fi

run "$STRATA" assign "$T/m.h5" "$T/c.h5" --labels "$T/l2.h5" --no-drift
if [ "$RC" -eq 0 ] && labels_equal "$T/l.h5" "$T/l2.h5"; then ok "assign applies the saved transforms: fit's labels exactly"
else bad "assign applies the saved transforms" "rc=$RC $(head -c 300 "$T/err")"; fi

# Same fit, other thread counts and chunk sizes: the same model bits.
run "$STRATA" fit "$T/c.h5" -k 5 --features $F --transform "$TF" --transform 'recency_days:clip(p1,p99)' \
  --scale robust --seed 2 -o "$T/m2.h5" --threads 1 --chunk-rows 4096 --streaming -q
if [ "$RC" -eq 0 ] && cmp -s <(h5dump -d /centroids -d /transform/param -d /scaler/factor "$T/m.h5" | sed 1d) \
  <(h5dump -d /centroids -d /transform/param -d /scaler/factor "$T/m2.h5" | sed 1d); then
  ok "fit with transforms: bit-identical for 1 thread, 4096-row chunks, streaming"
else bad "fit with transforms: bit-identical across threads and chunks" "rc=$RC $(head -c 300 "$T/err")"; fi

# profile reads raw values: original units, not transformed ones.
run "$STRATA" profile "$T/m.h5" "$T/c.h5" --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'EOF'; then ok "profile of a transformed model is in original units"
import json, sys
j = json.load(open(sys.argv[1]))
inc = [f for f in j["population"] if f["feature"] == "income"][0]
# income's mean is tens of thousands, not its Yeo-Johnson value (about 9)
assert inc["mean"] > 1000, inc
for s in j["segments"]:
    f = [f for f in s["features"] if f["feature"] == "income"][0]
    assert f["mean"] > 1000, f
EOF
else bad "profile of a transformed model" "rc=$RC $(head -c 300 "$T/err")"; fi

expect_error "unknown transform" 2 "unknown transform" \
  "$STRATA" fit "$T/c.h5" -k 3 --features $F --transform income:sqrt -o "$T/x.h5"
expect_error "transform of a column that is not a feature" 2 "not among the features" \
  "$STRATA" fit "$T/c.h5" -k 3 --features $F --transform tenure_months:log1p -o "$T/x.h5"
expect_error "bad clip percentiles" 2 "percentiles" \
  "$STRATA" fit "$T/c.h5" -k 3 --features $F --transform 'income:clip(p99,p1)' -o "$T/x.h5"
expect_error "two transforms of one column" 2 "one per column" \
  "$STRATA" fit "$T/c.h5" -k 3 --features $F --transform income:log1p --transform income:yeo-johnson -o "$T/x.h5"
expect_error "unknown scale" 2 "scale" \
  "$STRATA" fit "$T/c.h5" -k 3 --features $F --scale quantile -o "$T/x.h5"
if [ ! -e "$T/x.h5" ]; then ok "no model left by a refused fit"; else bad "a refused fit left $T/x.h5"; fi

# log1p of a value <= -1: a data error naming the column and the row.
python3 - "$T/neg.csv" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("a,b\n")
    for i in range(200):
        f.write(f"{i % 17},{(i * 7) % 13 - (5 if i == 123 else 0)}\n")
EOF
"$STRATA" import "$T/neg.csv" -o "$T/neg.h5" -q
expect_error "log1p outside its domain" 2 "column 'b'.*row 123.*log1p" \
  "$STRATA" fit "$T/neg.h5" -k 2 --transform b:log1p -o "$T/x.h5"

# Two far outliers make a segment of their own: warned about below 1%.
python3 - "$T/out.csv" <<'EOF'
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    f.write("x,y\n")
    for i in range(600):
        c = i % 2
        f.write(f"{random.gauss(10 * c, 1):.4f},{random.gauss(0, 1):.4f}\n")
    f.write("200,200\n201,199\n")
EOF
"$STRATA" import "$T/out.csv" -o "$T/o.h5" -q
run "$STRATA" fit "$T/o.h5" -k 3 --seed 1 -o "$T/mo.h5"
if [ "$RC" -eq 0 ] && grep -q "warning: segment [0-9] holds 2 of 602 rows (0.33%), below the minimum share of 1%" "$T/err"; then
  ok "a segment under 1% of the rows is warned about"
else bad "a segment under 1% of the rows is warned about" "rc=$RC $(head -c 400 "$T/err")"; fi
run "$STRATA" fit "$T/o.h5" -k 3 --seed 1 -o "$T/mo.h5" --min-segment-share 0
if [ "$RC" -eq 0 ] && ! grep -q "minimum share" "$T/err"; then ok "--min-segment-share 0 silences it"
else bad "--min-segment-share 0 silences it" "$(head -c 300 "$T/err")"; fi
expect_error "--min-segment-share above 1" 2 "min-segment-share" \
  "$STRATA" fit "$T/o.h5" -k 3 -o "$T/x.h5" --min-segment-share 2

# The outlier pair is found exactly whenever a bootstrap draws it, and lost
# when it draws neither (about 13.5% of runs): a high mean Jaccard, but it
# dissolved in more than 10% of the runs, so it is not "stable".
run "$STRATA" stability "$T/o.h5" -k 3 --runs 40 --seed 2 --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'EOF'; then ok "stability: a segment dissolved in > 10% of runs is not stable"
import json, sys
j = json.load(open(sys.argv[1]))
tiny = [s for s in j["segments"] if s["size"] == 2]
assert len(tiny) == 1, j["segments"]
s = tiny[0]
# the rule is exercised: a mean Jaccard that alone would say "stable"
assert s["jaccard_mean"] >= j["thresholds"]["stable"], s
assert s["dissolved"] > 0.1 * j["runs"], s
assert s["verdict"] == "unstable", s
assert j["verdict"] != "stable"
EOF
else bad "stability: a segment dissolved in > 10% of runs is not stable" "rc=$RC $(head -c 300 "$T/err")" \
  "$(head -c 600 "$T/out")"; fi

# sweep and stability take the transforms too (the shared fit options).
run "$STRATA" sweep "$T/c.h5" -k 2:3 --features $F --transform "$TF" --scale robust --json
if [ "$RC" -eq 0 ]; then ok "sweep --transform --scale robust"
else bad "sweep --transform --scale robust" "$(head -c 300 "$T/err")"; fi
run "$STRATA" stability "$T/c.h5" -k 3 --features $F --transform "$TF" --runs 3 --sample 3000 --json
if [ "$RC" -eq 0 ]; then ok "stability --transform"
else bad "stability --transform" "$(head -c 300 "$T/err")"; fi
# A warm start or --match-ids without --transform continues in the parent's
# units: its log1p / yeo-johnson / age-days transforms are fitted again on
# the new data (a note says so); a clip is not carried (its percentiles are
# not in the model) and a warning says how to keep it.
"$STRATA" fit "$T/c.h5" -k 3 --features income,purchase_frequency --seed 2 \
  --transform "income:log1p,purchase_frequency:yeo-johnson" -o "$T/wp.h5" -q
run "$STRATA" fit "$T/c.h5" -k 3 --warm-start "$T/wp.h5" --seed 2 -o "$T/wc.h5" --json
if [ "$RC" -eq 0 ] && grep -q "note: transforms from the parent model .*income:log1p,purchase_frequency:yeo-johnson" "$T/err" &&
   [ "$(jq_py "$T/out" '[t["transform"] for t in j["transforms"]], j["iterations"] <= 2')" = "(['log1p', 'yeo-johnson'], True)" ]; then
  ok "warm start without --transform takes the parent's transforms (and converges at once on the same data)"
else bad "warm start inherits transforms" "rc=$RC $(head -c 400 "$T/err")"; fi
run "$STRATA" fit "$T/c.h5" -k 3 --match-ids "$T/wp.h5" --transform income:log1p --seed 2 -o "$T/wc2.h5" --json
if [ "$RC" -eq 0 ] && ! grep -q "transforms from the parent" "$T/err" &&
   [ "$(jq_py "$T/out" '[t["transform"] for t in j["transforms"]]')" = '["log1p"]' ]; then
  ok "--transform given: the parent's transforms are not added"
else bad "--transform given with a parent" "rc=$RC $(head -c 400 "$T/err")"; fi
"$STRATA" fit "$T/c.h5" -k 3 --features income,purchase_frequency --seed 2 \
  --transform "income:clip(p1,p99)" -o "$T/wq.h5" -q
run "$STRATA" fit "$T/c.h5" -k 3 --warm-start "$T/wq.h5" --seed 2 -o "$T/wc3.h5" --json
if [ "$RC" -eq 0 ] && grep -q "warning: parent model .* clips 'income' .*give --transform income:clip(pA,pB) again" "$T/err"; then
  ok "a parent's clip is named, not silently dropped"
else bad "parent clip warning" "rc=$RC $(head -c 400 "$T/err")"; fi
finish

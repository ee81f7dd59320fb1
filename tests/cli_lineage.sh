#!/usr/bin/env bash
# Refits with stable segment ids and drift: `strata fit --warm-start` and
# `--match-ids` number the segments after the parent's and record it, the
# summary and --json report lineage and drift, `strata assign` reports drift
# against the training data: quiet on data like it, flagged on a planted
# shift; the thresholds are options; bad input fails with one line and no
# file left behind.
NAME=cli_lineage
source "$(dirname "$0")/cli_lib.sh"

# Four planted blobs in a, b, c (Box-Muller in awk); "wed" moves b by 1.5
# (about 0.4 training std), "other" has the columns a, b, d.
blobs() { # SEED SHIFT_B HEADER
  awk -v seed="$1" -v sb="$2" -v head="$3" 'BEGIN {
    srand(seed); print head
    split("0 0 0 8 0 0 0 8 0 0 0 8", m, " ")  # centre c: m[3c+1 .. 3c+3]
    for (i = 0; i < 6000; i++) {
      c = int(rand() * 4)
      line = ""
      for (j = 1; j <= 3; j++) {
        u = rand() + 1e-12; v = rand()
        x = m[c * 3 + j] + sqrt(-2 * log(u)) * cos(6.283185307 * v)
        if (j == 2) x += sb
        line = line (j > 1 ? "," : "") sprintf("%.5f", x)
      }
      print line
    }
  }'
}
blobs 1 0 a,b,c >"$T/mon.csv"
blobs 2 0 a,b,c >"$T/tue.csv"
blobs 3 1.5 a,b,c >"$T/wed.csv"
blobs 4 0 a,b,d >"$T/other.csv"
for f in mon tue wed other; do "$STRATA" import "$T/$f.csv" -o "$T/$f.h5" --quiet >/dev/null; done

run "$STRATA" fit "$T/mon.h5" -k 4 -o "$T/m1.h5" --labels "$T/l1.h5" --seed 1 --quiet
[ "$RC" -eq 0 ] && ok "parent fit" || bad "parent fit" "$(cat "$T/err")"

# Warm start on the next day's data: every segment continues its parent segment.
run "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/m2.h5" --labels "$T/l2.h5" --warm-start "$T/m1.h5" --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" "$T/m1.h5" <<'PY'; then ok "warm start: lineage and drift in --json"; else bad "warm start json" "$(cat "$T/err" "$T/out" | head -c 1500)"; fi
import json, sys
j = json.load(open(sys.argv[1]))
l = j["lineage"]
assert l["parent"] == sys.argv[2] and l["warm_start"] is True and l["vanished"] == [], l
assert [s["parent_segment"] for s in l["segments"]] == [0, 1, 2, 3], l
assert all(s["status"] == "continues" and s["distance"] < 0.2 for s in l["segments"]), l
assert j["init"] == "warm-start"
d = j["drift"]
assert d["reference"] == sys.argv[2] and d["flagged"] is False and d["warnings"] == [], d
assert len(d["segments"]) == 4 and len(d["features"]) == 3
assert d["thresholds"] == {"share": 0.05, "distance": 0.25, "shift": 0.25}
for s in d["segments"]:
    assert s["status"] == "continues" and abs(s["share_change"]) < 0.03 and not s["flag"], s
PY

# --match-ids with another seed: k-means++ finds the segments in another
# order, the numbering is the parent's again.  Without it the ids differ.
run "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/m3.h5" --match-ids "$T/m1.h5" --seed 77 --json
M3=$(jq_py "$T/out" '[s["parent_segment"] for s in j["lineage"]["segments"]]' 2>/dev/null || true)
run "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/m4.h5" --seed 77 --json
run "$STRATA" assign "$T/m3.h5" "$T/mon.h5" --labels "$T/la3.h5" --quiet
run "$STRATA" assign "$T/m4.h5" "$T/mon.h5" --labels "$T/la4.h5" --quiet
if [ "$M3" = "[0, 1, 2, 3]" ] && labels_equal "$T/l1.h5" "$T/la3.h5" && ! labels_equal "$T/l1.h5" "$T/la4.h5"; then
  ok "--match-ids: the parent's ids on the parent's data (and not without it)"
else
  bad "--match-ids" "lineage $M3"
fi

# Summary text and assign drift, quiet on data like the training data.
run "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/m5.h5" --warm-start "$T/m1.h5"
if [ "$RC" -eq 0 ] && grep -q "^lineage: parent .*m1.h5" "$T/out" && grep -q "^drift against .*nothing crossed" "$T/out" &&
  [ ! -s "$T/err" ]; then ok "summary: lineage and drift tables"; else bad "summary" "$(cat "$T/out" "$T/err")"; fi
run "$STRATA" assign "$T/m1.h5" "$T/tue.h5" --labels "$T/la.h5" --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["drift"]["flagged"]')" = False ] && [ ! -s "$T/err" ]; then
  ok "assign: no drift on data like the training data"
else bad "assign quiet" "$(cat "$T/err" "$T/out" | head -c 800)"; fi

# A planted shift of b is flagged, on b only, with a warning line.
run "$STRATA" assign "$T/m1.h5" "$T/wed.h5" --labels "$T/lw.h5" --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'PY' && grep -q "^strata: warning: drift: feature 'b' mean" "$T/err"; then ok "assign: planted shift flagged on b"; else bad "assign shift" "$(cat "$T/err" "$T/out" | head -c 1500)"; fi
import json, sys
d = json.load(open(sys.argv[1]))["drift"]
flags = {f["feature"]: f["flag"] for f in d["features"]}
assert flags == {"a": False, "b": True, "c": False}, flags
b = [f for f in d["features"] if f["feature"] == "b"][0]
assert 0.3 < b["shift"] < 0.7, b
assert d["flagged"] is True and any("feature 'b'" in w for w in d["warnings"])
PY
run "$STRATA" assign "$T/m1.h5" "$T/wed.h5" --labels "$T/lw.h5" --json --drift-shift 1
[ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["drift"]["features"][1]["flag"]')" = False ] &&
  [ "$(jq_py "$T/out" 'j["drift"]["thresholds"]["shift"] == 1')" = True ] && ! grep -q "feature 'b'" "$T/err" &&
  ok "--drift-shift raises the threshold" || bad "--drift-shift" "$(cat "$T/err")"
run "$STRATA" assign "$T/m1.h5" "$T/wed.h5" --labels "$T/lw.h5" --json --no-drift
[ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["drift"]')" = None ] && [ ! -s "$T/err" ] &&
  ok "--no-drift" || bad "--no-drift" "$(cat "$T/err")"
run "$STRATA" assign "$T/m1.h5" "$T/wed.h5" --labels "$T/lw.h5" -q
[ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ] && ok "--quiet drops the drift warnings" || bad "quiet" "$(cat "$T/err")"

# The drift file feeds the report.
run "$STRATA" assign "$T/m1.h5" "$T/wed.h5" --labels "$T/lw.h5" --json
cp "$T/out" "$T/drift.json"
run "$STRATA" report "$T/m1.h5" "$T/wed.h5" -o "$T/r.html" --drift "$T/drift.json"
[ "$RC" -eq 0 ] && grep -q "feature &#39;b&#39;\|feature 'b'" "$T/r.html" && ok "report reads the assign drift" ||
  bad "report --drift" "$(cat "$T/err")"

run "$STRATA" report "$T/m2.h5" "$T/tue.h5" -o "$T/r2.html"
[ "$RC" -eq 0 ] && grep -q "Segment lineage</dt><dd>0 continues 0; 1 continues 1; 2 continues 2; 3 continues 3<" "$T/r2.html" &&
  ok "report shows the refit's parent and lineage" || bad "report lineage" "$(cat "$T/err")"

# A nightly refit may replace its parent.
cp "$T/m1.h5" "$T/night.h5"
run "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/night.h5" --warm-start "$T/night.h5" --json
[ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["lineage"]["segments"][3]["status"]')" = continues ] &&
  ok "refit over its own parent file" || bad "refit over parent" "$(cat "$T/err")"

# More segments than the parent: the extra ones are new; fewer: some vanish.
run "$STRATA" fit "$T/tue.h5" -k 6 -o "$T/m6.h5" --warm-start "$T/m1.h5" --json
[ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" '[s["status"] for s in j["lineage"]["segments"]][4:]')" = '["new", "new"]' ] &&
  ok "k above the parent's: new segments" || bad "k=6" "$(cat "$T/err" "$T/out" | head -c 600)"
run "$STRATA" fit "$T/tue.h5" -k 3 -o "$T/m7.h5" --warm-start "$T/m1.h5" --json
[ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'len(j["lineage"]["vanished"]) >= 1')" = True ] &&
  ok "k below the parent's: vanished segments" || bad "k=3" "$(cat "$T/err" "$T/out" | head -c 600)"

# Refusals.
mkdir "$T/empty"
expect_error_clean "missing parent" 2 "cannot open|no such|not found" "$T/empty" \
  "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/empty/m.h5" --warm-start "$T/empty/nope.h5"
expect_error_clean "parent is not a model" 2 "model|HDF5" "$T/empty" \
  "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/empty/m.h5" --warm-start "$T/tue.csv"
expect_error_clean "other features than the parent" 2 "'c'" "$T/empty" \
  "$STRATA" fit "$T/other.h5" -k 4 -o "$T/empty/m.h5" --warm-start "$T/m1.h5"
expect_error_clean "explicit features unlike the parent's" 2 "parent|feature" "$T/empty" \
  "$STRATA" fit "$T/other.h5" -k 4 -o "$T/empty/m.h5" --features a,b,d --warm-start "$T/m1.h5"
expect_error "both --warm-start and --match-ids" 2 "one of" \
  "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/empty/m.h5" --warm-start "$T/m1.h5" --match-ids "$T/m1.h5"
printf 'a,b,c\n0,0,0\n1,1,1\n2,2,2\n3,3,3\n' >"$T/init.csv"
expect_error "--warm-start with --init FILE" 2 "both set the initial" \
  "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/empty/m.h5" --warm-start "$T/m1.h5" --init "$T/init.csv"
expect_error "negative drift threshold" 2 "drift-share" \
  "$STRATA" assign "$T/m1.h5" "$T/tue.h5" --labels "$T/empty/l.h5" --drift-share -1
expect_error "parent is the data" 2 "parent model" \
  "$STRATA" fit "$T/tue.h5" -k 4 -o "$T/empty/m.h5" --warm-start "$T/tue.h5"
run "$STRATA" fit --help
grep -q -- "--warm-start" "$T/out" && grep -q -- "--match-ids" "$T/out" && grep -q -- "--drift-shift" "$T/out" &&
  ok "fit --help lists the refit options" || bad "fit --help"
run "$STRATA" assign --help
grep -q -- "--no-drift" "$T/out" && grep -q -- "--drift-distance" "$T/out" && ok "assign --help lists the drift options" ||
  bad "assign --help"
finish

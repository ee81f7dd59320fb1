#!/usr/bin/env bash
# `strata report` as a page an analyst can hand on (issue 17, point 6),
# checked in the HTML (the rendering itself is cli_report's): sweep,
# stability and drift results of other data or features are refused by
# their fingerprint, those of the same data accepted, an old result without
# one shown with a warning; the model's k marked in the sweep; PCA axes named
# by their loadings and outliers left out of the view (and counted); shares
# as percentages, never in exponent notation; long feature names wrapped with
# the full name kept; segment names from --names or personas; the explain
# rules; and the errors.
NAME=cli_report_analyst
. "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?STRATA_GEN must name strata-gen}"

O="$T/html"
mkdir "$O"
"$STRATA_GEN" --rows 6000 --seed 12 -o "$T/c.h5"
"$STRATA_GEN" --rows 5000 --seed 13 -o "$T/other.h5"
"$STRATA" fit "$T/c.h5" -k 4 -o "$T/m.h5" --missing mean --seed 2 -q
"$STRATA" sweep "$T/c.h5" -k 2:5 --missing mean --seed 2 --json -q >"$T/sweep.json"
"$STRATA" sweep "$T/other.h5" -k 2:5 --missing mean --seed 2 --json -q >"$T/sweep_other.json"
"$STRATA" sweep "$T/c.h5" -k 2:5 --features age,income --missing mean --seed 2 --json -q >"$T/sweep_feat.json"
"$STRATA" stability "$T/c.h5" -k 4 --runs 3 --sample 2000 --missing mean --json -q >"$T/stab.json"
"$STRATA" stability "$T/other.h5" -k 4 --runs 3 --sample 2000 --missing mean --json -q >"$T/stab_other.json"
"$STRATA" assign "$T/m.h5" "$T/c.h5" --labels "$T/l.h5" --json -q >"$T/assign.json"
"$STRATA" assign "$T/m.h5" "$T/other.h5" --labels "$T/lo.h5" --json -q >"$T/assign_other.json"

# --- the fingerprint is written where the results are made
if python3 - "$T/sweep.json" "$T/stab.json" "$T/assign.json" "$T/sweep_other.json" <<'PY'; then ok "sweep, stability and assign --json carry the data fingerprint"
import json, sys
fp = [json.load(open(p))["fingerprint"] for p in sys.argv[1:]]
for f in fp:
    assert len(f["hash"]) == 16 and int(f["hash"], 16) >= 0, f
assert fp[0] == fp[1] == fp[2], fp[:3]       # same data, same features
assert fp[0]["rows"] == 6000 and fp[0]["features"][:2] == ["age", "income"], fp[0]
assert fp[3]["hash"] != fp[0]["hash"] and fp[3]["rows"] == 5000
PY
else bad "fingerprints in the JSON results"; fi

R="$O/r.html"
run "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --sweep "$T/sweep.json" --stability "$T/stab.json" \
  --drift "$T/assign.json" -q
if [ "$RC" -eq 0 ] && [ -s "$R" ] && [ ! -s "$T/err" ]; then ok "results of the same data are accepted, silently"
else bad "results of the same data" "rc $RC" "$(cat "$T/err")"; fi

# --- refused: other data, other features; nothing written
expect_error_clean "sweep of other data" 2 "sweep file '.*sweep_other.json' was made on other data: 5000 rows of age" \
  "$O" "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$O/x.html" --sweep "$T/sweep_other.json"
expect_error_clean "sweep of other features" 2 "sweep file .* was made on other data: 6000 rows of age, income \(" \
  "$O" "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$O/x.html" --sweep "$T/sweep_feat.json"
expect_error_clean "stability of other data" 2 "stability file .* was made on other data" \
  "$O" "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$O/x.html" --stability "$T/stab_other.json"
expect_error_clean "drift of other data" 2 "drift file .* was made on other data" \
  "$O" "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$O/x.html" --drift "$T/assign_other.json"
run "$STRATA" report "$T/m.h5" "$T/other.h5" -o "$O/other.html" --drift "$T/assign_other.json" -q
if [ "$RC" -eq 0 ]; then ok "the drift of the other data goes with the other data"
else bad "drift with its own data" "$(cat "$T/err")"; fi
# An old result (no fingerprint) is shown, with a warning.
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); del j["fingerprint"]; json.dump(j, open(sys.argv[2],"w"))' \
  "$T/sweep.json" "$T/sweep_old.json"
run "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$O/old.html" --sweep "$T/sweep_old.json"
if [ "$RC" -eq 0 ] && grep -q "^strata: warning: sweep file .* has no data fingerprint" "$T/err"; then
  ok "a result without a fingerprint: shown, with a warning"
else bad "a result without a fingerprint" "rc $RC" "$(cat "$T/err")"; fi

# --- the model's k in the sweep
if [ "$(grep -c 'class="model-k"' "$R")" -eq 4 ] && grep -q 'this model: k = 4' "$R" && grep -q '4 (this model)' "$R" &&
  grep -q 'This model has k = 4' "$R"; then ok "the sweep marks the model's k in every chart and the table"
else bad "the model's k in the sweep" "$(grep -c 'model-k' "$R")"; fi

# --- PCA axes by loadings
if grep -Eq '>PC1 \([0-9.]+%\): [a-z_]+ [+-]0\.[0-9]{2}' "$R" && grep -Eq '>PC2 \([0-9.]+%\): [a-z_]+ [+-]0\.[0-9]{2}' "$R"; then
  ok "PCA axes named by their heaviest loadings"
else bad "PCA axis labels" "$(grep -o '>PC1[^<]*' "$R" | head -2)"; fi

# --- rules, personas, percentages
if grep -q 'id="rules"' "$R" && grep -Eq '(&le;|&gt;) [0-9]' "$R" && grep -q 'fidelity' "$R"; then ok "the segments as rules"
else bad "rules section"; fi
run "$STRATA" profile "$T/m.h5" "$T/c.h5" --json
persona=$(jq_py "$T/out" 'j["segments"][0]["description"]')
persona="${persona^}"
if grep -qF "Segment 0: $persona" "$R"; then ok "personas from the profile's words: 'Segment 0: $persona'"
else bad "personas" "$persona"; fi
if grep -oE '<td[^>]*>[^<]*</td>' "$R" | grep -Eq '[0-9]e[-+][0-9]'; then
  bad "no exponent notation in the tables" "$(grep -oE '<td[^>]*>[^<]*</td>' "$R" | grep -E '[0-9]e[-+]' | head -3)"
else ok "no exponent notation in the tables"; fi
run "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$O/nx.html" --explain-depth 0 -q
if [ "$RC" -eq 0 ] && ! grep -q 'id="rules"' "$O/nx.html"; then ok "--explain-depth 0 leaves the rules out"
else bad "--explain-depth 0"; fi

# --- categories: shares in percent; long names wrapped; outliers out of view
python3 - "$T/cat.csv" <<'PY'
import random, sys
random.seed(4)
with open(sys.argv[1], "w") as f:
    f.write("average_basket_value_last_twelve_months_eur,visits,region\n")
    for i in range(3000):
        s = i % 3
        # a rare category: its share in a segment is far below 0.1%
        region = "Islands" if i == 7 else ["North", "South", "East"][s]
        v = [20, 60, 120][s] * (1 + random.gauss(0, 0.1))
        if i % 500 == 3:
            v *= 40  # a few outliers
        f.write(f"{v:.2f},{[2, 5, 9][s] + random.randint(-1, 1)},{region}\n")
PY
"$STRATA" import "$T/cat.csv" -o "$T/cat.h5" -q
# Lloyd alone (--refine none): the refinement splits off the 4 rows of extreme
# basket value as a segment; the names checks below were written against
# Lloyd's three segments of this table.
"$STRATA" fit "$T/cat.h5" -k 3 --categorical region --seed 1 --refine none -o "$T/cm.h5" -q
printf 'segment,name\n0,"Loyal & big"\n2,Bargain hunters\n' >"$T/names.csv"
run "$STRATA" report "$T/cm.h5" "$T/cat.h5" -o "$O/cat.html" --names "$T/names.csv" -q
H="$O/cat.html"
if [ "$RC" -eq 0 ] && grep -q 'Segment 0: Loyal &amp; big' "$H" && grep -q 'Segment 2: Bargain hunters' "$H" &&
  grep -q 'Segment 1: ' "$H"; then ok "--names: named segments, a persona for the one left out"
else bad "--names" "rc $RC" "$(cat "$T/err")"; fi
if grep -q '<td[^>]*>under 0.1%</td>' "$H" && ! grep -oE '<td[^>]*>[^<]*</td>' "$H" | grep -Eq '[0-9]e[-+][0-9]'; then
  ok "a rare category's share reads 'under 0.1%', never 7.956e-05"
else bad "category shares" "$(grep -oE '<td[^>]*>[^<]*</td>' "$H" | grep -E 'e-0|%' | head -5)"; fi
# The long name: wrapped into lines of at most 16 characters (+ "..."), the
# whole name in the label's <title>, and room above the cells for it.
if grep -q '<title>average_basket_value_last_twelve_months_eur</title><tspan' "$H" &&
  python3 - "$H" <<'PY'; then ok "long feature names wrap in the heat map, the full name kept"
import re, sys
html = open(sys.argv[1]).read()
spans = re.findall(r'<tspan[^>]*>([^<]*)</tspan>', html)
assert spans and all(len(s) <= 19 for s in spans), spans
assert "average_basket_" in spans, spans
PY
else bad "wrapped heat-map labels" "$(grep -o '<tspan[^>]*>[^<]*</tspan>' "$H" | head -4)"; fi
if grep -Eq '[0-9]+ of the [0-9]+ sampled rows lie beyond the central 99% on an axis' "$H"; then
  ok "outliers are left out of the PCA view, and counted"
else bad "outliers out of the PCA view"; fi
if grep -q 'region is ' "$H" || grep -q 'average_basket_value_last_twelve_months_eur (&le;|&gt;)' "$H" ||
  grep -q 'visits' "$H"; then ok "rules on a table with categories"; else bad "rules on categories"; fi

# --- bad names files: exit 2 before any pass, nothing written
printf '0,A\n7,B\n' >"$T/bad1.csv"
printf '0,A\n0,B\n' >"$T/bad2.csv"
printf 'x,A\n1,B\n0,C\nzero,D\n' >"$T/bad3.csv"
expect_error_clean "names: segment out of range" 2 "line 2: segment 7, but the model has segments 0..2" "$O" \
  "$STRATA" report "$T/cm.h5" "$T/cat.h5" -o "$O/y.html" --names "$T/bad1.csv"
expect_error_clean "names: a segment twice" 2 "line 2: segment 0 is named twice" "$O" \
  "$STRATA" report "$T/cm.h5" "$T/cat.h5" -o "$O/y.html" --names "$T/bad2.csv"
expect_error_clean "names: not a number" 2 "line 4: segment 'zero' is not a number" "$O" \
  "$STRATA" report "$T/cm.h5" "$T/cat.h5" -o "$O/y.html" --names "$T/bad3.csv"
expect_error_clean "names: no file" 2 "cannot open names file" "$O" \
  "$STRATA" report "$T/cm.h5" "$T/cat.h5" -o "$O/y.html" --names "$T/none.csv"
# A header alone names nothing: the wrong file, not "no names" (export
# added a column of empty names); a segment field with a carriage return is
# shown with '?' so that the terminal does not overwrite the message.
printf 'segment,name\n' >"$T/header_only.csv"
printf 'seg,name\nx\r1,a\n' >"$T/cr.csv"
expect_error_clean "names: a header alone" 2 "names file .*header_only.csv' names no segment" "$O" \
  "$STRATA" report "$T/cm.h5" "$T/cat.h5" -o "$O/y.html" --names "$T/header_only.csv"
expect_error_clean "names: a carriage return shown as ?" 2 "line 2: segment 'x[?]1' is not a number" "$O" \
  "$STRATA" report "$T/cm.h5" "$T/cat.h5" -o "$O/y.html" --names "$T/cr.csv"
# --- the names carry into profile and export
run "$STRATA" profile "$T/cm.h5" "$T/cat.h5" --names "$T/names.csv" --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" '[s["name"] for s in j["segments"]]')" = '["Loyal & big", "Segment 1", "Bargain hunters"]' ]; then
  ok "profile --names: JSON names"
else bad "profile --names JSON" "$(head -c 300 "$T/out")" "$(cat "$T/err")"; fi
run "$STRATA" profile "$T/cm.h5" "$T/cat.h5" --names "$T/names.csv"
if [ "$RC" -eq 0 ] && grep -Eq '^ +0 +[0-9]+ +[0-9.]+% +Loyal & big ' "$T/out" && grep -q '^Segment 2, Bargain hunters (' "$T/out"; then
  ok "profile --names: the table and the headings"
else bad "profile --names table" "$(head -c 900 "$T/out")"; fi
run "$STRATA" profile "$T/cm.h5" "$T/cat.h5" --names "$T/names.csv" --csv
if [ "$RC" -eq 0 ] && head -1 "$T/out" | grep -q ',description,name' && grep -q ',Bargain hunters' "$T/out"; then
  ok "profile --names: a CSV column"
else bad "profile --names CSV" "$(head -3 "$T/out")"; fi
expect_error "profile: bad names file" 2 "segment 7, but the model has segments 0..2" \
  "$STRATA" profile "$T/cm.h5" "$T/cat.h5" --names "$T/bad1.csv"
"$STRATA" assign "$T/cm.h5" "$T/cat.h5" --labels "$T/cl.h5" -q
run "$STRATA" export "$T/cl.h5" --with "$T/cat.h5" --columns visits -o "$T/e.csv" --names "$T/names.csv" -q
if [ "$RC" -eq 0 ] && python3 - "$T/e.csv" <<'PY'; then ok "export --names: a segment_name column"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert list(rows[0].keys()) == ["visits", "segment", "distance", "segment_name"], rows[0].keys()
want = {"0": "Loyal & big", "1": "", "2": "Bargain hunters"}
assert all(r["segment_name"] == want[r["segment"]] for r in rows), rows[:3]
assert {r["segment"] for r in rows} == {"0", "1", "2"}
PY
else bad "export --names" "$RC" "$(head -3 "$T/e.csv" 2>/dev/null)" "$(cat "$T/err")"; fi
expect_error_clean "export --names: a header alone" 2 "names no segment" "$O" \
  "$STRATA" export "$T/cl.h5" --with "$T/cat.h5" --columns visits -o "$O/e2.csv" --names "$T/header_only.csv"
expect_error "export: bad names file" 2 "segment 0 is named twice" \
  "$STRATA" export "$T/cl.h5" --with "$T/cat.h5" -o "$T/e2.csv" --names "$T/bad2.csv"

expect_error "--explain-depth 5" 2 "explain-depth" "$STRATA" report "$T/cm.h5" "$T/cat.h5" -o "$O/y.html" --explain-depth 5
finish

#!/usr/bin/env bash
# `strata profile`: output formats, -o, labels file vs assignment in the
# pass, threads/chunk determinism, wording on generated customers, category
# shares, the numbers against numpy (oracle_python: skipped without numpy),
# and the errors.
NAME=cli_profile
. "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?STRATA_GEN must name strata-gen}"

"$STRATA_GEN" -o "$T/cust.h5" --rows 6000 --segments 4 --seed 5 --missing 0.02
"$STRATA_GEN" -o "$T/short.h5" --rows 300 --seed 5
"$STRATA_GEN" --kind blobs -o "$T/blobs.h5" --rows 300
"$STRATA" fit "$T/cust.h5" -k 4 --missing mean --seed 2 -o "$T/m.h5" --labels "$T/l.h5" -q

# --- formats
run "$STRATA" profile "$T/m.h5" "$T/cust.h5" --json
cp "$T/out" "$T/p.json"
if [ "$RC" -eq 0 ] && python3 - "$T/p.json" <<'PY'; then ok "--json: sizes, shares, features, top, descriptions"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["k"] == 4 and j["d"] == 6 and j["labels"] is None, j
assert j["rows"] == 6000 and j["rows_dropped"] == 0
segs = j["segments"]
assert sum(s["size"] for s in segs) == 6000
assert abs(sum(s["share"] for s in segs) - 1) < 1e-12
names = j["features"]
for s in segs:
    assert len(s["features"]) == 6 and [f["feature"] for f in s["features"]] == names
    assert 1 <= len(s["top"]) <= 3 and s["description"]
    zs = [abs(t["z"]) for t in s["top"]]
    assert zs == sorted(zs, reverse=True), zs
    # The top features are the largest |z| of all.
    assert zs[0] == max(abs(f["z"]) for f in s["features"])
# Generated customers: the segment with the oldest customers is "older",
# the one with the highest income says so.
old = max(segs, key=lambda s: s["features"][names.index("age")]["mean"])
rich = max(segs, key=lambda s: s["features"][names.index("income")]["mean"])
assert "older" in old["description"], old["description"]
assert "income" in rich["description"], rich["description"]
PY
else bad "--json" "$RC" "$(head -c 600 "$T/out")" "$(cat "$T/err")"; fi

run "$STRATA" profile "$T/m.h5" "$T/cust.h5"
if [ "$RC" -eq 0 ] && grep -q '^Segments:' "$T/out" && grep -q 'Feature means by segment' "$T/out" \
   && grep -q '^Segment 3 (' "$T/out" && grep -q 'medians: ' "$T/out"; then ok "table (default)"
else bad "table" "$(head -c 600 "$T/out")" "$(cat "$T/err")"; fi

run "$STRATA" profile "$T/m.h5" "$T/cust.h5" --markdown
if [ "$RC" -eq 0 ] && grep -q '^### Segments' "$T/out" && grep -q '^| segment | size | share |' "$T/out" \
   && grep -q '^|---:|---:|---:|:---|:---|' "$T/out"; then ok "--markdown"
else bad "--markdown" "$(head -c 600 "$T/out")"; fi

run "$STRATA" profile "$T/m.h5" "$T/cust.h5" --csv
cp "$T/out" "$T/p.csv"
lines=$(wc -l <"$T/p.csv")
if [ "$RC" -eq 0 ] && [ "$lines" -eq $((1 + 5 * 6)) ] \
   && head -1 "$T/p.csv" | grep -q '^segment,size,share,feature,column,category,count,mean,std,min,max,median,z,top,description' \
   && grep -q '^all,6000,1,age,' "$T/p.csv"; then ok "--csv: header and one line per (segment, feature)"
else bad "--csv" "$lines lines" "$(head -3 "$T/p.csv")"; fi

# -o writes the same bytes as standard output, nothing on stdout.
run "$STRATA" profile "$T/m.h5" "$T/cust.h5" --format csv -o "$T/o.csv"
if [ "$RC" -eq 0 ] && [ ! -s "$T/out" ] && cmp -s "$T/o.csv" "$T/p.csv"; then ok "-o FILE"
else bad "-o FILE" "$RC" "$(cat "$T/err")"; fi

# --- labels file vs assignment in the pass; threads and chunks
run "$STRATA" profile "$T/m.h5" "$T/cust.h5" --csv --labels "$T/l.h5"
if [ "$RC" -eq 0 ] && cmp -s "$T/out" "$T/p.csv"; then ok "--labels gives the same profile as assigning in the pass"
else bad "--labels vs on the fly" "$(diff "$T/out" "$T/p.csv" | head -5)"; fi
for a in "--threads 1" "--threads 3 --chunk-rows 4096" "--threads 2 --chunk-rows 12288 --labels $T/l.h5"; do
  # shellcheck disable=SC2086
  run "$STRATA" profile "$T/m.h5" "$T/cust.h5" --csv $a
  if [ "$RC" -eq 0 ] && cmp -s "$T/out" "$T/p.csv"; then ok "identical with $a"
  else bad "determinism with $a" "$(diff "$T/out" "$T/p.csv" | head -5)"; fi
done

# --- the numbers against numpy (float64 over the same float32 data and labels)
if oracle_python "numpy, h5py"; then
  if "$PY" - "$T/cust.h5" "$T/l.h5" "$T/p.csv" "$T/p.json" <<'PY'; then ok "numbers match numpy (mean, std, min, max, median, z, shares)"
import csv, json, sys
import h5py, numpy as np
data, labels, pcsv, pjson = sys.argv[1:]
j = json.load(open(pjson))
names = j["features"]
with h5py.File(data) as f:
    X = np.stack([f[n][:].astype(np.float64) for n in names], axis=1)
with h5py.File(labels) as f:
    seg = f["segment"][:]
rows = list(csv.DictReader(open(pcsv, newline="")))
tol = j["median_rank_error"]
keep = seg >= 0
pop = X[keep]
def check(row, vals, popmean, popstd, is_pop):
    v = vals[np.isfinite(vals)]
    n = len(v)
    assert int(row["count"]) == n, (row, n)
    assert np.isclose(float(row["mean"]), v.mean(), rtol=1e-12, atol=0), (row["mean"], v.mean())
    assert np.isclose(float(row["std"]), v.std(), rtol=1e-9, atol=0), (row["std"], v.std())
    assert float(row["min"]) == v.min() and float(row["max"]) == v.max()
    s = np.sort(v)
    want = (n - 1) // 2
    med = float(row["median"])
    lo = np.searchsorted(s, med, "left"); hi = np.searchsorted(s, med, "right")
    slack = tol * n + 1
    assert lo <= want + slack and hi + slack >= want, (row["feature"], lo, hi, want, slack)
    if not is_pop:
        assert np.isclose(float(row["z"]), (v.mean() - popmean) / popstd, rtol=1e-9, atol=1e-12)
checked = 0
for row in rows:
    jf = names.index(row["feature"])
    p = pop[:, jf]
    pf = p[np.isfinite(p)]
    if row["segment"] == "all":
        check(row, p, 0, 1, True)
    else:
        c = int(row["segment"])
        assert int(row["size"]) == int((seg == c).sum())
        assert np.isclose(float(row["share"]), (seg == c).sum() / keep.sum(), rtol=1e-15)
        check(row, X[seg == c, jf], pf.mean(), pf.std(), False)
    checked += 1
assert checked == 30, checked
PY
  else bad "numbers against numpy"; fi
fi

# --- categorical columns: shares per segment and "mostly <category>"
python3 - "$T/c.csv" <<'PY'
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    f.write("age,income,region\n")
    for i in range(900):
        s = i % 3
        region = ["North", "South", "East"][s] if random.random() < 0.9 else random.choice(["North", "South", "East"])
        f.write(f"{[25, 45, 65][s] + random.gauss(0, 3):.2f},{[30, 60, 90][s] + random.gauss(0, 3):.2f},{region}\n")
PY
"$STRATA" import "$T/c.csv" -o "$T/c.h5" -q
"$STRATA" fit "$T/c.h5" -k 3 --categorical region --seed 1 -o "$T/cm.h5" --labels "$T/cl.h5" -q
run "$STRATA" profile "$T/cm.h5" "$T/c.h5" --json --labels "$T/cl.h5"
if [ "$RC" -eq 0 ] && python3 - "$T/out" "$T/c.csv" <<'PY'; then ok "categorical: category shares and 'mostly <category>'"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["features"][2:] == ["region=North", "region=South", "region=East"], j["features"]
assert j["medians_exact"] is True and j["median_rank_error"] == 0
pop = j["categories"]["region"]
assert abs(sum(pop.values()) - 1) < 1e-9, pop
for s in j["segments"]:
    sh = s["categories"]["region"]
    assert abs(sum(sh.values()) - 1) < 1e-9, sh
    top = max(sh, key=sh.get)
    assert sh[top] > 0.8, sh
    assert "mostly " + top in s["description"], (s["description"], sh)
    # The share is the mean of the one-hot column.
    f = {x["feature"]: x for x in s["features"]}
    assert f["region=" + top]["mean"] == sh[top]
PY
else bad "categorical" "$RC" "$(head -c 800 "$T/out")" "$(cat "$T/err")"; fi
run "$STRATA" profile "$T/cm.h5" "$T/c.h5"
if [ "$RC" -eq 0 ] && grep -q '^Category shares of region:' "$T/out"; then ok "table: category shares"
else bad "table: category shares" "$(head -c 600 "$T/out")"; fi

# --- errors: one line, exit 2 for bad input, nothing left behind
D="$T/outdir"; mkdir "$D"
expect_error_clean "missing model file" 2 "cannot open .*nothing.h5" "$D" "$STRATA" profile "$T/nothing.h5" "$T/cust.h5" -o "$D/x.csv"
expect_error_clean "missing data file" 2 "cannot open .*nothing.h5" "$D" "$STRATA" profile "$T/m.h5" "$T/nothing.h5" -o "$D/x.csv"
expect_error_clean "missing labels file" 2 "cannot open .*nothing.h5" "$D" "$STRATA" profile "$T/m.h5" "$T/cust.h5" --labels "$T/nothing.h5" -o "$D/x.csv"
expect_error_clean "labels file of the wrong length" 2 "6000 rows but the data has 300" "$D" "$STRATA" profile "$T/m.h5" "$T/short.h5" --labels "$T/l.h5" -o "$D/x.csv"
expect_error_clean "not a labels file" 2 "not a labels file" "$D" "$STRATA" profile "$T/m.h5" "$T/cust.h5" --labels "$T/cust.h5" -o "$D/x.csv"
expect_error_clean "model/data feature mismatch" 2 "column 'age' not found" "$D" "$STRATA" profile "$T/m.h5" "$T/blobs.h5" -o "$D/x.csv"
expect_error_clean "labels of another model's k" 2 "segment .* at row .*0\.\.1" "$D" sh -c "\"$STRATA\" fit \"$T/cust.h5\" -k 2 --missing mean -o \"$D/m2.h5\" -q && \"$STRATA\" profile \"$D/m2.h5\" \"$T/cust.h5\" --labels \"$T/l.h5\" -o \"$D/x.csv\"; rc=\$?; rm -f \"$D/m2.h5\"; exit \$rc"
expect_error "unknown format" 2 "--format: 'xml'" "$STRATA" profile "$T/m.h5" "$T/cust.h5" --format xml
expect_error "two formats" 2 "exclude each other" "$STRATA" profile "$T/m.h5" "$T/cust.h5" --json --csv
expect_error "missing data argument" 2 "missing the data file" "$STRATA" profile "$T/m.h5"
expect_error "output is an input" 2 "one of the inputs" "$STRATA" profile "$T/m.h5" "$T/cust.h5" -o "$T/cust.h5"
expect_error "output directory missing" 1 "cannot write output" "$STRATA" profile "$T/m.h5" "$T/cust.h5" -o "$T/nodir/x.csv"
run "$STRATA" profile --help
if [ "$RC" -eq 0 ] && grep -q -- '--labels' "$T/out" && grep -q -- '--markdown' "$T/out" && grep -q -- '--output' "$T/out"; then ok "--help"
else bad "--help"; fi

finish

#!/usr/bin/env bash
# `strata fit`, `assign` and `inspect` on generated data: the JSON result is
# one valid object with every documented field and consistent values, the
# human summary and progress output have their documented shape, options
# reach the library, and `assign` on the training data reproduces the
# labels of `fit` exactly.
NAME=cli_fit_assign
. "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?STRATA_GEN must name strata-gen}"
if [ -z "${STRATA_LABELS_EQUAL:-}" ] && ! command -v h5dump >/dev/null 2>&1; then
  echo "$NAME: needs STRATA_LABELS_EQUAL (tests/labels_equal) or h5dump (hdf5-tools)"
  echo "$NAME: 0 passed, 1 failed"
  exit 1
fi

W="$T/work"
mkdir "$W"
D="$W/customers.h5"
F=age,income,purchase_frequency,recency_days
"$STRATA_GEN" --rows 3000 --seed 11 --missing 0 -o "$D"
"$STRATA_GEN" --rows 1500 --seed 12 --missing 0.05 -o "$W/nan.h5"
"$STRATA_GEN" --kind blobs --layout columns --dims 12 --centers 5 --rows 2000 --seed 13 -o "$W/wide.h5"
"$STRATA_GEN" --rows 800 --seed 14 --missing 0 --group customers -o "$W/grouped.h5"

# check NAME PYTHON-EXPR FILE: the expression over the JSON object j is true.
check_json() {
  local name=$1 expr=$2 file=$3
  if python3 -c 'import json,sys,math
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$file" "$expr" 2>"$T/pyerr"; then
    ok "$name"
  else
    bad "$name" "not true: $expr" "$(head -c 300 "$T/pyerr")"
  fi
}

# ---- fit --json with labels
run "$STRATA" fit "$D" -k 4 -o "$W/m.h5" --labels "$W/l.h5" --features $F --seed 5 --json
cp "$T/out" "$T/fit.json"
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ]; then ok "fit --json: exit 0, nothing on stderr"
else bad "fit --json" "rc=$RC" "$(head -c 500 "$T/err")"; fi
if python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/fit.json" && [ "$(wc -l <"$T/fit.json")" -eq 1 ]; then
  ok "fit --json: stdout is one JSON object"
else bad "fit --json: stdout is not one JSON object" "$(head -c 300 "$T/fit.json")"; fi
check_json "fit --json: every documented field" \
  'all(x in j for x in "k n d features iterations converged inertia backend mode seconds seconds_per_iteration centroids centroids_scaled sizes shares scale missing init seed n_init iterations_stats peak_rss_bytes version model labels".split())' \
  "$T/fit.json"
check_json "fit --json: the scheduler's reason for the backend" \
  'j["backend_reason"].startswith("auto: ") and len(j["backend_reason"]) > 10' "$T/fit.json"
check_json "fit --json: k, n, d, features in order" \
  'j["k"] == 4 and j["n"] == 3000 and j["d"] == 4 and j["features"] == ["age", "income", "purchase_frequency", "recency_days"]' \
  "$T/fit.json"
check_json "fit --json: centroids are k arrays of d numbers (both units)" \
  'all(len(c) == 4 and len(r) == 4 for c in (j["centroids"], j["centroids_scaled"]) for r in c)' "$T/fit.json"
check_json "fit --json: centroids in original units (ages are ages)" \
  'all(18 <= r[0] <= 100 and r[1] > 1000 for r in j["centroids"])' "$T/fit.json"
check_json "fit --json: sizes sum to n, shares to 1" \
  'sum(j["sizes"]) == j["n"] and abs(sum(j["shares"]) - 1) < 1e-9 and all(s > 0 for s in j["sizes"])' "$T/fit.json"
check_json "fit --json: one iterations_stats entry per iteration" \
  'len(j["iterations_stats"]) == j["iterations"] >= 1 and all(set(s) >= {"iteration","inertia","shift","relocations","seconds","rows_per_second"} for s in j["iterations_stats"])' \
  "$T/fit.json"
check_json "fit --json: converged is a boolean, inertia positive" \
  'isinstance(j["converged"], bool) and j["inertia"] > 0 and j["seconds"] >= 0' "$T/fit.json"
check_json "fit --json: defaults recorded (zscore, error, k-means++, seed 5, n_init 1)" \
  'j["scale"] == "zscore" and j["missing"] == "error" and j["init"] == "k-means++" and j["seed"] == 5 and j["n_init"] == 1' \
  "$T/fit.json"
check_json "fit --json: paths, version, peak RSS" \
  'j["model"].endswith("/m.h5") and j["labels"].endswith("/l.h5") and j["peak_rss_bytes"] > 1000000 and j["version"]' \
  "$T/fit.json"
if [ "$(listing "$W")" = "$(printf '%s\n' customers.h5 grouped.h5 l.h5 m.h5 nan.h5 wide.h5)" ]; then
  ok "fit: model and labels in place, no temporary file left"
else bad "fit: unexpected directory content" "$(listing "$W" | tr '\n' ' ')"; fi

# The labels file agrees with the sizes fit reported.
counts=$(label_counts "$W/l.h5" | head -n 1)
want=$(jq_py "$T/fit.json" '" ".join(str(s) for s in j["sizes"])')
if [ "$counts" = "$want" ]; then ok "labels file counts = fit sizes ($counts)"
else bad "labels file counts" "labels: $counts" "json:   $want"; fi

# ---- assign on the training data reproduces fit's labels
run "$STRATA" assign "$W/m.h5" "$D" --labels "$W/l2.h5" --json
cp "$T/out" "$T/assign.json"
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/assign.json"; then
  ok "assign --json: exit 0, one JSON object"
else bad "assign --json" "rc=$RC" "$(head -c 500 "$T/err")"; fi
if labels_equal "$W/l.h5" "$W/l2.h5"; then ok "assign reproduces fit's labels exactly"
else bad "assign labels differ from fit labels"; fi
check_json "assign --json: n, k, labels path" 'j["n"] == 3000 and j["k"] == 4 and j["labels"].endswith("/l2.h5")' "$T/assign.json"
fit_inertia=$(jq_py "$T/fit.json" 'j["inertia"]')
fit_sizes=$(jq_py "$T/fit.json" 'j["sizes"]')
check_json "assign --json: sizes and inertia equal fit's" \
  "j['sizes'] == $fit_sizes and abs(j['inertia'] - $fit_inertia) <= 1e-9 * $fit_inertia" "$T/assign.json"

run "$STRATA" assign "$W/m.h5" "$D" --labels "$W/l3.h5" --threads 1 --chunk-rows 333
if [ "$RC" -eq 0 ] && head -n 1 "$T/out" | grep -q '^assign: rows=3000 features=4 k=4 ' && labels_equal "$W/l.h5" "$W/l3.h5"; then
  ok "assign (summary, 1 thread, 333-row chunks) gives the same labels"
else bad "assign summary or labels" "rc=$RC" "$(head -n 3 "$T/out")" "$(head -c 300 "$T/err")"; fi

# ---- determinism through the command: threads and chunk size change nothing
run "$STRATA" fit "$D" -k 4 -o "$W/m_t1.h5" --labels "$W/l_t1.h5" --features $F --seed 5 --json --threads 1 --chunk-rows 100
cp "$T/out" "$T/fit_t1.json"
run "$STRATA" fit "$D" -k 4 -o "$W/m_t3.h5" --features $F --seed 5 --json --threads 3 --chunk-rows 1000 --streaming
cp "$T/out" "$T/fit_t3.json"
c0=$(jq_py "$T/fit.json" 'j["centroids"]')
check_json "same seed, 1 thread, 100-row chunks: bit-identical centroids" "j['centroids'] == $c0" "$T/fit_t1.json"
check_json "same seed, 3 threads, 1000-row chunks, streaming: bit-identical centroids" "j['centroids'] == $c0" "$T/fit_t3.json"
check_json "--streaming reaches the library (mode)" 'j["mode"] == "streaming"' "$T/fit_t3.json"
if labels_equal "$W/l.h5" "$W/l_t1.h5"; then ok "same seed: same labels"; else bad "same seed: labels differ"; fi

# ---- options reach the library
run "$STRATA" fit "$D" -k 3 -o "$W/m_opts.h5" --features income,age --scale none --init random --n-init 3 \
  --max-iter 7 --tol 0 --seed 99 --backend ref --mem-limit 64M --json
cp "$T/out" "$T/opts.json"
check_json "options recorded: features order, scale, init, n_init, max_iter, seed, backend" \
  'j["features"] == ["income","age"] and j["scale"] == "none" and j["init"] == "random" and j["n_init"] == 3 and j["max_iter"] == 7 and j["seed"] == 99 and j["backend"] == "ref" and j["iterations"] <= 7' \
  "$T/opts.json"
check_json "--scale none: scaled and original centroids agree" \
  'all(abs(a - b) <= 1e-9 * max(1, abs(a)) for r, s in zip(j["centroids"], j["centroids_scaled"]) for a, b in zip(r, s))' \
  "$T/opts.json"

# --init k-means||: recorded as such; methods that do not seed k-means refuse it.
run "$STRATA" fit "$D" -k 4 -o "$W/m_par.h5" --features $F --init 'k-means||' --json
cp "$T/out" "$T/par.json"
check_json "--init k-means||: recorded in the JSON, a converged fit" \
  'j["init"] == "k-means||" and j["converged"] and len(j["centroids"]) == 4' "$T/par.json"
# k-means++'s sample at 40 rows per segment past a quarter of --mem-limit:
# the automatic choice seeds with k-means|| and says why.
"$STRATA_GEN" --kind blobs --rows 20000 --dims 6 --seed 3 -o "$W/kpar.h5" >/dev/null
run "$STRATA" fit "$W/kpar.h5" -k 300 -o "$W/m_kpar.h5" --mem-limit 2M --json -v
cp "$T/out" "$T/kpar.json"
check_json "k-means++'s sample past the memory limit: k-means|| instead" 'j["init"] == "k-means||"' "$T/kpar.json"
if grep -q "init k-means||: k-means++'s sample" "$T/err"; then ok "the switch to k-means|| is said on stderr"
else bad "no note of the switch to k-means||" "$(head -c 300 "$T/err")"; fi
run "$STRATA" fit "$W/kpar.h5" -k 300 -o "$W/m_kpp.h5" --mem-limit 4M --json
check_json "k-means++'s sample within the memory limit: k-means++" 'j["init"] == "k-means++"' "$T/out"
# --algorithm minibatch: a k-means model whose JSON and report say mini-batch;
# assign scores with it like any k-means model.
run "$STRATA" fit "$W/kpar.h5" -k 5 -o "$W/m_mb.h5" --algorithm minibatch --batch-rows 5000 --json
cp "$T/out" "$T/mb.json"
check_json "--algorithm minibatch: recorded with its batch (whole blocks)" \
  'j["algorithm"] == "minibatch" and j["batch_rows"] == 8192 and 1 <= j["iterations"] <= 300 and sum(j["sizes"]) == 20000' "$T/mb.json"
run "$STRATA" assign "$W/m_mb.h5" "$W/kpar.h5" --labels "$W/l_mb.h5" --json
check_json "assign with a mini-batch model: the fit's sizes" "j['sizes'] == $(jq_py "$T/mb.json" 'j["sizes"]')" "$T/out"
run "$STRATA" report "$W/m_mb.h5" "$W/kpar.h5" -o "$W/mb.html"
if [ "$RC" -eq 0 ] && grep -q "mini-batch k-means: [0-9]* batches of 8192 rows" "$W/mb.html"; then ok "report names mini-batch k-means"
else bad "report of a mini-batch model" "rc=$RC $(head -c 300 "$T/err")"; fi
expect_error "--init k-means|| with gmm is refused" 2 "k-means\|\| seeds kmeans" \
  "$STRATA" fit "$D" -k 3 -o "$W/m_gpar.h5" --features $F --algorithm gmm --init 'k-means||'
expect_error "sweep --init k-means|| is refused" 2 "sweep initialises with k-means\+\+ or random" \
  "$STRATA" sweep "$D" -k 2:3 --features $F --init 'k-means||'

# k = 1: the centroid is the mean of every column, as inspect reports it.
run "$STRATA" fit "$D" -k 1 -o "$W/m_k1.h5" --features $F --json
cp "$T/out" "$T/k1.json"
run "$STRATA" inspect "$D" --features $F --json
cp "$T/out" "$T/inspect.json"
means=$(jq_py "$T/inspect.json" '[c["mean"] for c in j["columns"]]')
check_json "k = 1: centroid = column means from inspect" \
  "all(abs(a - b) <= 1e-6 * abs(b) for a, b in zip(j['centroids'][0], $means))" "$T/k1.json"

# --init FILE: fit's own centroids (original units, with a header) as the
# start converge at once to the same labels.
python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(",".join(j["features"]))
for r in j["centroids"]: print(",".join(repr(v) for v in r))' "$T/fit.json" >"$W/init.csv"
run "$STRATA" fit "$D" -k 4 -o "$W/m_init.h5" --labels "$W/l_init.h5" --features $F --init "$W/init.csv" --json
cp "$T/out" "$T/init.json"
check_json "--init FILE: recorded as file, converged within 2 iterations" \
  'j["init"] == "file" and j["converged"] and j["iterations"] <= 2' "$T/init.json"
if labels_equal "$W/l.h5" "$W/l_init.h5"; then ok "--init FILE from fit's centroids: same labels"
else bad "--init FILE: labels differ"; fi

# The same centroids written the way spreadsheets write them: byte order
# mark, quoted header, CRLF line ends, a comment and a blank line, spaces.
python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
out = "\ufeff" + ",".join("\"%s\"" % f for f in j["features"]) + "\r\n# centroids of fit.json\r\n\r\n"
out += "".join(", ".join(repr(v) for v in r) + " \r\n" for r in j["centroids"])
open(sys.argv[2], "w", encoding="utf-8").write(out)' "$T/fit.json" "$W/init_excel.csv"
run "$STRATA" fit "$D" -k 4 -o "$W/m_init2.h5" --labels "$W/l_init2.h5" --features $F --init "$W/init_excel.csv" --quiet
if [ "$RC" -eq 0 ] && labels_equal "$W/l.h5" "$W/l_init2.h5"; then ok "--init FILE with BOM, quotes, CRLF and comments"
else bad "--init FILE spreadsheet style" "rc=$RC" "$(head -c 300 "$T/err")"; fi

# ---- missing values
run "$STRATA" fit "$W/nan.h5" -k 3 -o "$W/m_drop.h5" --labels "$W/l_drop.h5" --missing drop --json
cp "$T/out" "$T/drop.json"
check_json "--missing drop: rows dropped and n add up to the rows" \
  'j["missing"] == "drop" and j["rows_dropped"] > 0 and j["n"] + j["rows_dropped"] == 1500' "$T/drop.json"
unlabelled=$(label_counts "$W/l_drop.h5" | sed -n 2p)
dropped=$(jq_py "$T/drop.json" 'j["rows_dropped"]')
if [ "$unlabelled" = "$dropped" ]; then ok "--missing drop: dropped rows carry segment -1 ($dropped)"
else bad "--missing drop: $unlabelled rows without a segment, $dropped dropped"; fi
run "$STRATA" assign "$W/m_drop.h5" "$W/nan.h5" --labels "$W/l_drop2.h5"
if [ "$RC" -eq 0 ] && labels_equal "$W/l_drop.h5" "$W/l_drop2.h5" && grep -q "rows without a segment (missing values): $dropped" "$T/out"; then
  ok "--missing drop: assign reproduces the labels and reports the rows without a segment"
else bad "--missing drop: assign" "rc=$RC" "$(cat "$T/out" | head -n 3)" "$(head -c 300 "$T/err")"; fi
run "$STRATA" fit "$W/nan.h5" -k 3 -o "$W/m_mean.h5" --missing mean --json
cp "$T/out" "$T/mean.json"
check_json "--missing mean: every row used" 'j["missing"] == "mean" and j["n"] == 1500 and j["rows_dropped"] == 0' "$T/mean.json"

# ---- --dataset
run "$STRATA" fit "$W/grouped.h5" --dataset /customers -k 2 -o "$W/m_group.h5" --features age,income --json
cp "$T/out" "$T/group.json"
check_json "--dataset /customers" 'j["n"] == 800 and j["d"] == 2' "$T/group.json"

# ---- human summary
run "$STRATA" fit "$D" -k 4 -o "$W/m_h.h5" --features $F --seed 5
head -n 1 "$T/out" >"$T/head"
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] &&
  grep -Eq '^fit: rows=3000 features=4 k=4 backend=[a-z0-9-]+ mode=in-core iterations=[0-9]+ converged=(yes|no) inertia=[0-9.e+-]+ seconds=[0-9.]+ s/iteration=[0-9.e+-]+$' "$T/head"; then
  ok "summary: header line"
else bad "summary: header line" "$(cat "$T/head")" "$(head -c 300 "$T/err")"; fi
if grep -Eq '^segment +size +share +age +income +purchase_frequency +recency_days$' "$T/out" &&
  [ "$(grep -Ec '^ +[0-3] +[0-9]+ +[0-9.]+% ' "$T/out")" -eq 4 ]; then
  ok "summary: segment table with the feature names and k rows"
else bad "summary: segment table" "$(cat "$T/out")"; fi
run "$STRATA" fit "$D" -k 4 -o "$W/m_v.h5" --features $F --seed 5 -v
iters=$(jq_py "$T/fit.json" 'j["iterations"]')
rows=$(sed -n '/^iteration /,$p' "$T/out" | grep -Ec '^ +[0-9]+ ')
if [ "$RC" -eq 0 ] && [ "$rows" = "$iters" ]; then ok "--verbose: per-iteration table, one row per iteration ($iters)"
else bad "--verbose: iteration table has $rows rows, expected $iters" "$(cat "$T/out")"; fi

# Many features: the table is transposed and wrapped to the width.
COLUMNS=72 run "$STRATA" fit "$W/wide.h5" -k 9 -o "$W/m_wide.h5"
long=$(awk 'length > 72' "$T/out" | grep -Ev '^(fit|model|labels|backend): ' || true)
if [ "$RC" -eq 0 ] && [ -z "$long" ] && grep -Eq '^x11 ' "$T/out" && grep -Eq '^size ' "$T/out" &&
  [ "$(grep -c '^segment ' "$T/out")" -ge 2 ]; then
  ok "d = 12: features as rows, wrapped to 72 columns"
else bad "d = 12 table" "rc=$RC" "$(cat "$T/out")"; fi

# --quiet: nothing but errors.
run "$STRATA" fit "$D" -k 4 -o "$W/m_q.h5" --features $F --quiet
if [ "$RC" -eq 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] && [ -f "$W/m_q.h5" ]; then ok "--quiet prints nothing"
else bad "--quiet" "rc=$RC" "$(head -c 300 "$T/out")" "$(head -c 300 "$T/err")"; fi

# ---- library warnings: "strata: warning: ..." on stderr, none with --quiet
"$STRATA_GEN" --kind blobs --layout columns --dims 2 --centers 1 --std 0 --rows 50 -o "$W/const.h5"
run "$STRATA" fit "$W/const.h5" -k 1 -o "$W/m_const.h5" --json
if [ "$RC" -eq 0 ] && [ "$(grep -c '^strata: warning: .*constant' "$T/err")" -eq 2 ] &&
  [ "$(wc -l <"$T/err")" -eq 2 ] && python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/out"; then
  ok "warnings: one 'strata: warning:' line per constant column, stdout still JSON"
else bad "warnings" "rc=$RC" "$(head -c 400 "$T/err")"; fi
run "$STRATA" fit "$W/const.h5" -k 1 -o "$W/m_const.h5" --quiet
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ]; then ok "warnings: --quiet silences them"
else bad "warnings with --quiet" "$(head -c 400 "$T/err")"; fi

# ---- progress
run "$STRATA" fit "$D" -k 4 -o "$W/m_p.h5" --features $F --seed 5 --json --progress log
lines=$(grep -Ec '^strata: +1/1 +[0-9]+ ' "$T/err" || true)
if [ "$RC" -eq 0 ] && [ "$lines" = "$iters" ] && python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/out"; then
  ok "--progress log: one stderr line per iteration ($iters), stdout still one JSON object"
else bad "--progress log" "rc=$RC lines=$lines iterations=$iters" "$(head -c 600 "$T/err")"; fi
if grep -q '^strata: statistics pass' "$T/err"; then ok "--progress log: statistics pass reported"
else bad "--progress log: no statistics pass line"; fi
run "$STRATA" fit "$D" -k 4 -o "$W/m_b.h5" --features $F --progress bar --quiet
run "$STRATA" fit "$D" -k 4 -o "$W/m_b.h5" --features $F --progress bar
if [ "$RC" -eq 0 ] && grep -q $'\r\\[[#.]*\\] run 1/1' "$T/err"; then ok "--progress bar: redrawn line on stderr"
else bad "--progress bar" "$(head -c 300 "$T/err" | cat -A)"; fi
run "$STRATA" fit "$D" -k 4 -o "$W/m_a.h5" --features $F --progress auto
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ]; then ok "--progress auto: nothing when stderr is not a terminal"
else bad "--progress auto" "$(head -c 300 "$T/err" | cat -A)"; fi

# ---- inspect
run "$STRATA" inspect "$W/nan.h5" --json
cp "$T/out" "$T/inspect_nan.json"
check_json "inspect --json: rows and 7 columns with types" \
  'j["rows"] == 1500 and len(j["columns"]) == 7 and j["columns"][0]["name"] == "customer_id" and j["columns"][0]["type"] == "int64"' \
  "$T/inspect_nan.json"
check_json "inspect --json: count + missing + infinite = rows, missing values seen" \
  'all(c["count"] + c["missing"] + c["infinite"] == 1500 for c in j["columns"]) and sum(c["missing"] for c in j["columns"]) > 0' \
  "$T/inspect_nan.json"
check_json "inspect --json: min <= mean <= max, std >= 0" \
  'all(c["min"] <= c["mean"] <= c["max"] and c["std"] >= 0 for c in j["columns"])' "$T/inspect_nan.json"
run "$STRATA" inspect "$D"
if [ "$RC" -eq 0 ] && grep -q 'rows=3000 columns=7' "$T/out" &&
  grep -Eq '^column +type +count +missing +inf +min +max +mean +std$' "$T/out" &&
  [ "$(grep -Ec '^(customer_id|age|income|purchase_frequency|recency_days|avg_basket_value|tenure_months) ' "$T/out")" -eq 7 ]; then
  ok "inspect: table of every column"
else bad "inspect table" "$(cat "$T/out")"; fi

# ---- auto measures the direct kernels and sgemm (2nkd >= 4e9 per pass) and
# takes the faster; either way the model is the same, bit for bit.  Each
# candidate in turn is made 1000x slower (STRATA_SCHED_SLOWDOWN, a test hook).
"$STRATA_GEN" --kind blobs --layout matrix --dims 64 --centers 40 --std 30 --rows 20000 --seed 21 -o "$W/big.h5"
fit_slow() { # TABLE TAG
  STRATA_SCHED_SLOWDOWN="$1:1000" run "$STRATA" fit "$W/big.h5" -k 1600 --init random --refine none \
    --max-iter 2 --tol 0 --seed 3 -o "$W/big_$2.h5" --labels "$W/big_$2.l.h5" --json
  cp "$T/out" "$T/big_$2.json"
}
fit_slow blas direct
direct=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["backend"])' "$T/big_direct.json" 2>/dev/null || echo none)
fit_slow "$direct" blas
if python3 - "$T/big_direct.json" "$T/big_blas.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["backend"] not in ("blas", "") and b["backend"] == "blas", (a["backend"], b["backend"])
assert "measured" in a["backend_reason"] and "blas" in a["backend_reason"], a["backend_reason"]
for key in ("centroids", "centroids_scaled", "inertia", "sizes"):
    assert a[key] == b[key], key
strip = lambda j: [(s["inertia"], s["shift"], s["relocations"]) for s in j["iterations_stats"]]
assert strip(a) == strip(b)
PY
then
  if labels_equal "$W/big_direct.l.h5" "$W/big_blas.l.h5"; then
    ok "auto: the direct kernels ($direct) or sgemm, whichever measures faster: the same model and labels"
  else bad "auto: labels differ between $direct and blas"; fi
else bad "auto: models differ between the direct kernels and sgemm" "$(head -c 300 "$T/big_direct.json")"; fi

finish

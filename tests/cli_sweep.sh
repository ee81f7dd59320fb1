#!/usr/bin/env bash
# `strata sweep`: planted segments give the planted k; each k equals
# `strata fit -k K`; outputs (table, CSV, JSON, -o); determinism across
# threads, chunk sizes and streaming; error cases leave no file behind.
NAME=cli_sweep
source "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?}"

"$STRATA_GEN" --kind blobs --rows 12000 --dims 5 --centers 4 --seed 7 -o "$T/blobs4.h5"
"$STRATA_GEN" --kind blobs --rows 12000 --dims 3 --centers 6 --seed 8 --chunk-rows 3000 -o "$T/blobs6.h5"
"$STRATA_GEN" --kind blobs --rows 50 --dims 2 --centers 2 --seed 9 -o "$T/tiny.h5"

# planted k is the knee and the recommendation
for case in "blobs4 4" "blobs6 6"; do
  set -- $case
  run "$STRATA" sweep "$T/$1.h5" -k 2:10 --json
  if [ "$RC" -ne 0 ]; then bad "$1: sweep runs" "$(cat "$T/err")"; continue; fi
  cp "$T/out" "$T/$1.json"
  rec=$(jq_py "$T/$1.json" 'j["recommended_k"]')
  knee=$(jq_py "$T/$1.json" 'j["knee_k"]')
  [ "$rec" = "$2" ] && ok "$1: recommended k = $2" || bad "$1: recommended k" "got $rec, want $2: $(jq_py "$T/$1.json" 'j["reason"]')"
  [ "$knee" = "$2" ] && ok "$1: knee at k = $2" || bad "$1: knee" "got $knee, want $2"
  best=$(jq_py "$T/$1.json" 'max(j["results"], key=lambda r: r["silhouette"])["k"]')
  [ "$best" = "$2" ] && ok "$1: best silhouette at k = $2" || bad "$1: best silhouette" "got $best"
  keys=$(jq_py "$T/$1.json" 'sorted(j.keys()) == sorted(["command","data","fingerprint","rows","features","left_out","weight_column","k_min","k_max","seed","n_init","silhouette_sample","ranks","threads","results","knee_k","recommended_k","reason"]) and all(sorted(r.keys()) == sorted(["k","inertia","iterations","converged","silhouette","calinski_harabasz","davies_bouldin"]) for r in j["results"]) and [r["k"] for r in j["results"]] == list(range(2, 11))')
  [ "$keys" = "True" ] && ok "$1: JSON schema" || bad "$1: JSON schema" "$(head -c 300 "$T/$1.json")"
done

# each k is the model `strata fit -k K` makes (same seed): identical inertia and iterations (sweep runs Lloyd only: --refine none)
for k in 2 4 7; do
  run "$STRATA" fit "$T/blobs4.h5" -k $k -o "$T/m$k.h5" --json --seed 3 --refine none
  fit=$(jq_py "$T/out" '(repr(j["inertia"]), j["iterations"], j["converged"])')
  run "$STRATA" sweep "$T/blobs4.h5" -k 2:8 --seed 3 --json
  sw=$(jq_py "$T/out" "[(repr(r['inertia']), r['iterations'], r['converged']) for r in j['results'] if r['k'] == $k][0]")
  [ "$fit" = "$sw" ] && ok "k = $k equals strata fit" || bad "k = $k equals strata fit" "fit $fit" "sweep $sw"
done

# determinism: threads, chunk size, streaming, a k list
run "$STRATA" sweep "$T/blobs6.h5" -k 2:9 --threads 1 --json; cp "$T/out" "$T/t1.json"
run "$STRATA" sweep "$T/blobs6.h5" -k 2:9 --threads 2 --chunk-rows 4096 --streaming --json; cp "$T/out" "$T/t2.json"
# (but "threads", which says how it ran)
cmp -s <(grep -v '"threads":' "$T/t1.json") <(grep -v '"threads":' "$T/t2.json") &&
  ok "same result for threads / chunk rows / streaming" || bad "determinism" "$(diff "$T/t1.json" "$T/t2.json" | head -5)"
run "$STRATA" sweep "$T/blobs6.h5" -k 3,6,9 --threads 1 --json; cp "$T/out" "$T/list.json"
same=$(python3 -c 'import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
ra={r["k"]: r for r in a["results"]}
print(all(ra[r["k"]]["inertia"] == r["inertia"] and ra[r["k"]]["davies_bouldin"] == r["davies_bouldin"] for r in b["results"]) and [r["k"] for r in b["results"]] == [3,6,9])' "$T/t1.json" "$T/list.json")
[ "$same" = "True" ] && ok "-k list gives the same models as the range" || bad "-k list" "$(head -c 300 "$T/list.json")"

# k = 1: metrics undefined (null / empty / -)
run "$STRATA" sweep "$T/blobs4.h5" -k 1:3 --json
n=$(jq_py "$T/out" '[j["results"][0][m] for m in ("silhouette","calinski_harabasz","davies_bouldin")]')
[ "$n" = "[null, null, null]" ] && ok "k = 1: null metrics in JSON" || bad "k = 1 JSON" "$n"
run "$STRATA" sweep "$T/blobs4.h5" -k 1:3 --csv
head -n 2 "$T/out" | tail -n 1 | grep -Eq '^1,[0-9.e+]+,[0-9]+,true,,,,false,false$' && ok "k = 1: empty CSV cells" || bad "k = 1 CSV" "$(head -n 2 "$T/out")"
[ "$(wc -l <"$T/out")" -eq 4 ] && ok "CSV: header and one row per k" || bad "CSV rows" "$(cat "$T/out")"
run "$STRATA" sweep "$T/blobs4.h5" -k 1:3
grep -Eq '^ +1 +[0-9.e+]+ +[0-9]+ +yes +- +- +-' "$T/out" && ok "k = 1: - in the table" || bad "k = 1 table" "$(cat "$T/out")"
grep -q '^recommended k = ' "$T/out" && ok "table ends with the recommendation" || bad "table recommendation" "$(tail -3 "$T/out")"

# -o writes the chosen format, nothing on stdout but the note
run "$STRATA" sweep "$T/blobs4.h5" -k 2:5 --json -o "$T/sweep.json"
[ "$RC" -eq 0 ] && [ ! -s "$T/out" ] && [ "$(jq_py "$T/sweep.json" 'j["command"]')" = sweep ] &&
  ok "-o FILE with --json" || bad "-o --json" "rc $RC, stdout $(head -c 200 "$T/out")"
run "$STRATA" sweep "$T/blobs4.h5" -k 2:5 --csv -o "$T/sweep.csv"
head -n 1 "$T/sweep.csv" | grep -q '^k,inertia,iterations,converged,silhouette,calinski_harabasz,davies_bouldin' &&
  ok "-o FILE with --csv" || bad "-o --csv" "$(head -n 2 "$T/sweep.csv")"
run "$STRATA" sweep --help
grep -q -- '--silhouette-sample' "$T/out" && ok "--help lists --silhouette-sample" || bad "--help"

# errors: one line, exit status, no file left
mkdir -p "$T/outdir"
expect_error "reversed range" 2 "empty range 5:2" "$STRATA" sweep "$T/blobs4.h5" -k 5:2
expect_error "k = 0" 2 "at least 1" "$STRATA" sweep "$T/blobs4.h5" -k 0:4
expect_error "bad range text" 2 "-k" "$STRATA" sweep "$T/blobs4.h5" -k a:b
expect_error "list not increasing" 2 "increasing" "$STRATA" sweep "$T/blobs4.h5" -k 4,3
expect_error "missing -k" 2 "-k" "$STRATA" sweep "$T/blobs4.h5"
expect_error "json and csv" 2 "exclude" "$STRATA" sweep "$T/blobs4.h5" -k 2:3 --json --csv
expect_error "init file" 2 "k-means\\+\\+ or random" "$STRATA" sweep "$T/blobs4.h5" -k 2:3 --init "$T/c.csv"
expect_error_clean "k above the rows" 2 "k = 60 exceeds the number of rows \\(50\\)" "$T/outdir" \
  "$STRATA" sweep "$T/tiny.h5" -k 2:60 -o "$T/outdir/r.json" --json
expect_error_clean "missing data file" 2 "not found|no such" "$T/outdir" \
  "$STRATA" sweep "$T/nope.h5" -k 2:3 -o "$T/outdir/r.json"
expect_error "unwritable output" 1 "output|directory|writ" "$STRATA" sweep "$T/blobs4.h5" -k 2:3 -o "$T/no/such/dir/r.json"
expect_error "bad silhouette sample" 2 "silhouette-sample" "$STRATA" sweep "$T/blobs4.h5" -k 2:3 --silhouette-sample -4
expect_error "device backend name" 2 "backend" "$STRATA" sweep "$T/blobs4.h5" -k 2:3 --backend nosuch
# Progress: one log line per shared pass, the last with every k done; none
# stays silent; a bad mode is refused.
run "$STRATA" sweep "$T/blobs4.h5" -k 2:5 --progress log
if [ "$RC" -eq 0 ] && grep -q "^strata: statistics pass:" "$T/err" &&
  [ "$(grep -c '^strata: sweep pass ' "$T/err")" -ge 2 ] &&
  tail -n 1 "$T/err" | grep -q "4 of 4 k done"; then ok "--progress log: one line per shared pass"
else bad "--progress log" "$(cat "$T/err")"; fi
run "$STRATA" sweep "$T/blobs4.h5" -k 2:5 --progress none
[ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && ok "--progress none is silent" || bad "--progress none" "$(cat "$T/err")"
expect_error "--progress bad" 2 "progress" "$STRATA" sweep "$T/blobs4.h5" -k 2:5 --progress fast
# Restarts: the kept run per k is the one fit --n-init keeps.
run "$STRATA" sweep "$T/blobs6.h5" -k 3:5 --n-init 3 --seed 2 --json
cp "$T/out" "$T/sweep_ninit.json"
run "$STRATA" fit "$T/blobs6.h5" -k 4 --n-init 3 --seed 2 --refine none -o "$T/m_ninit.h5" --json --progress none
if [ "$RC" -eq 0 ] && python3 - "$T/sweep_ninit.json" "$T/out" <<'PY'; then ok "--n-init: the run fit --n-init keeps"; else bad "--n-init" "$(cat "$T/err")"; fi
import json, sys
s = json.load(open(sys.argv[1])); f = json.load(open(sys.argv[2]))
assert s["n_init"] == 3
k4 = [r for r in s["results"] if r["k"] == 4][0]
assert k4["inertia"] == f["inertia"] and k4["iterations"] == f["iterations"], (k4, f["inertia"], f["iterations"])
PY
expect_error "--n-init 0" 2 "n-init" "$STRATA" sweep "$T/blobs4.h5" -k 2:5 --n-init 0
finish

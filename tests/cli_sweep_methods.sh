#!/usr/bin/env bash
# `strata sweep --algorithm kmeans,gmm,ward`: one row per method and k, the
# recommended (method, k) with a one-line reason; gmm's BIC at each k is
# `fit --algorithm gmm -k K`'s and ward's inertia `fit --algorithm ward
# -k K`'s (same seed); outputs (JSON, CSV, table, -o) and thread counts
# agree; `stability --algorithm gmm|ward`; bad lists fail in one line.
NAME=cli_sweep_methods
source "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?}"

"$STRATA_GEN" --kind blobs --rows 2000 --dims 3 --centers 4 --std 1 --seed 5 -o "$T/b.h5"
common=(-k 2:5 --seed 3 --progress none)

run "$STRATA" sweep "$T/b.h5" --algorithm kmeans,gmm,ward "${common[@]}" --json
if [ "$RC" -ne 0 ]; then
  bad "sweep compares methods" "$(cat "$T/err")"
else
  cp "$T/out" "$T/cmp.json"
  ok "sweep compares methods"
  v=$(jq_py "$T/cmp.json" 'j["algorithms"] == ["kmeans","gmm","ward"] and len(j["comparison"]) == 12 and all(sorted(r.keys()) == sorted(["algorithm","k","inertia","iterations","converged","silhouette","calinski_harabasz","davies_bouldin","bic","aic","stability"]) for r in j["comparison"]) and [(r["algorithm"], r["k"]) for r in j["comparison"]] == [(a, k) for a in ("kmeans","gmm","ward") for k in range(2, 6)]')
  [ "$v" = "True" ] && ok "JSON: one comparison row per method and k" || bad "JSON: comparison rows" "$(head -c 400 "$T/cmp.json")"
  v=$(jq_py "$T/cmp.json" 'j["recommended_algorithm"] in ("kmeans","gmm","ward") and j["recommended_k"] == 4 and j["reason"].startswith(j["recommended_algorithm"] + ", k = 4") and "\n" not in j["reason"] and all(r["algorithm"] == j["recommended_algorithm"] for r in j["results"]) and len(j["results"]) == 4')
  [ "$v" = "True" ] && ok "JSON: the planted k and its method, one-line reason; results are that method's" \
    || bad "JSON: recommendation" "$(jq_py "$T/cmp.json" '[j["recommended_algorithm"], j["recommended_k"], j["reason"]]')"
  v=$(jq_py "$T/cmp.json" 'all((r["bic"] is None) == (r["algorithm"] != "gmm") and r["stability"] is None for r in j["comparison"])')
  [ "$v" = "True" ] && ok "JSON: BIC for gmm only, no stability unless asked" || bad "JSON: BIC/stability fields" "$v"
  for k in 2 3 4 5; do
    run "$STRATA" fit "$T/b.h5" -k "$k" --algorithm gmm --seed 3 -o "$T/g.h5" --json --progress none
    f=$(jq_py "$T/out" 'repr(j["gmm"]["bic"]) + " " + repr(j["gmm"]["aic"])')
    s=$(jq_py "$T/cmp.json" "[repr(r['bic']) + ' ' + repr(r['aic']) for r in j['comparison'] if r['algorithm'] == 'gmm' and r['k'] == $k][0]")
    [ "$f" = "$s" ] && ok "gmm k = $k: sweep BIC and AIC equal fit's ($s)" || bad "gmm k = $k: BIC/AIC" "fit $f, sweep $s"
    run "$STRATA" fit "$T/b.h5" -k "$k" --algorithm ward --seed 3 -o "$T/w.h5" --json --progress none
    f=$(jq_py "$T/out" 'repr(j["inertia"])')
    s=$(jq_py "$T/cmp.json" "[repr(r['inertia']) for r in j['comparison'] if r['algorithm'] == 'ward' and r['k'] == $k][0]")
    [ "$f" = "$s" ] && ok "ward k = $k: sweep inertia equals fit's" || bad "ward k = $k: inertia" "fit $f, sweep $s"
  done
fi

# the same bytes for 2 threads and another chunk size
run "$STRATA" sweep "$T/b.h5" --algorithm kmeans,gmm,ward "${common[@]}" --json --threads 2 --chunk-rows 333
cmp -s "$T/out" "$T/cmp.json" && ok "2 threads, chunk 333: the same JSON" || bad "2 threads: the same JSON" "$(diff "$T/out" "$T/cmp.json" | head -5)"

# CSV and table
run "$STRATA" sweep "$T/b.h5" --algorithm gmm,ward "${common[@]}" --csv
v=$(python3 -c 'import csv,sys
r = list(csv.DictReader(open(sys.argv[1])))
print(len(r) == 8 and list(r[0].keys())[:2] == ["algorithm", "k"] and sum(x["recommended"] == "true" for x in r) == 1 and all((x["bic"] == "") == (x["algorithm"] != "gmm") for x in r))' "$T/out")
[ "$RC" -eq 0 ] && [ "$v" = "True" ] && ok "CSV: a row per method and k, one recommended" || bad "CSV" "$(head -c 300 "$T/out") $(cat "$T/err")"
run "$STRATA" sweep "$T/b.h5" --algorithm gmm,ward "${common[@]}" -o "$T/t.txt"
if [ "$RC" -eq 0 ] && grep -q "^recommended \(gmm\|ward\), k = 4" "$T/t.txt" && grep -q "^  gmm " "$T/t.txt" && grep -q "bic" "$T/t.txt"; then
  ok "table into -o: rows per method and the recommendation"
else
  bad "table into -o" "$(cat "$T/t.txt" "$T/err" 2>/dev/null | head -20)"
fi

# stability runs for each method and k
run "$STRATA" sweep "$T/b.h5" --algorithm gmm,ward -k 3:4 --seed 3 --stability 2 --json --silhouette-sample 500
v=$(jq_py "$T/out" 'all(r["stability"] is not None and -1 <= r["stability"] <= 1 for r in j["comparison"]) and j["stability_runs"] == 2 and "stability" in j["reason"]')
[ "$RC" -eq 0 ] && [ "$v" = "True" ] && ok "--stability: a mean ARI per method and k" || bad "--stability" "$(head -c 300 "$T/out") $(cat "$T/err")"

# stability --algorithm
run "$STRATA" stability "$T/b.h5" -k 4 --algorithm gmm --runs 3 --json
v=$(jq_py "$T/out" 'j["algorithm"] == "gmm" and j["k"] == 4 and j["ari"]["mean"] > 0.9')
[ "$RC" -eq 0 ] && [ "$v" = "True" ] && ok "stability --algorithm gmm" || bad "stability --algorithm gmm" "$(head -c 300 "$T/out") $(cat "$T/err")"
run "$STRATA" stability "$T/b.h5" -k 4 --algorithm ward --runs 2 --sample 600
[ "$RC" -eq 0 ] && grep -q "^stability of .*: ward, k = 4" "$T/out" && ok "stability --algorithm ward" || bad "stability --algorithm ward" "$(head -3 "$T/out") $(cat "$T/err")"

expect_error "sweep --algorithm dbscan" 2 "dbscan finds its own" "$STRATA" sweep "$T/b.h5" -k 2:3 --algorithm kmeans,dbscan
expect_error "sweep --algorithm unknown" 2 "unknown algorithm 'nope'" "$STRATA" sweep "$T/b.h5" -k 2:3 --algorithm gmm,nope
expect_error "sweep --algorithm twice" 2 "listed twice" "$STRATA" sweep "$T/b.h5" -k 2:3 --algorithm ward,ward
expect_error "sweep --stability 1" 2 "stability" "$STRATA" sweep "$T/b.h5" -k 2:3 --stability 1
expect_error "stability --algorithm dbscan" 2 "kmeans, gmm or ward" "$STRATA" stability "$T/b.h5" -k 2 --algorithm dbscan
finish

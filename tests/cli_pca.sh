#!/usr/bin/env bash
# `strata pca`: the table and JSON, the projection files (CSV with and
# without a model, HDF5), results independent of threads and chunk size,
# and bad input failing with one error line and nothing left behind.
NAME=cli_pca
. "$(dirname "$0")/cli_lib.sh"

O="$T/outputs"
mkdir "$O"
"$STRATA_GEN" --rows 9000 --seed 8 -o "$T/c.h5"
"$STRATA" fit "$T/c.h5" -k 3 -o "$T/m.h5" --missing mean -q

run "$STRATA" pca --help
if [ "$RC" -eq 0 ] && grep -q -- '--components' "$T/out" && grep -q -- '--model' "$T/out" &&
   grep -q -- '--sample' "$T/out"; then ok "help lists the options"; else bad "help" "rc $RC"; fi

run "$STRATA" pca "$T/c.h5"
if [ "$RC" -eq 0 ] && grep -q 'PC1' "$T/out" && grep -q 'cumulative' "$T/out" && grep -q '100.00%' "$T/out"; then
  ok "table: components and cumulative ratio up to 100%"
else
  bad "table" "rc $RC" "$(head -c 400 "$T/out")"
fi

"$STRATA" pca "$T/c.h5" --json --threads 1 --chunk-rows 4096 -o "$O/a.csv" --sample 500 --seed 3 >"$T/a.json"
"$STRATA" pca "$T/c.h5" --json --threads 2 --chunk-rows 8192 -o "$O/b.csv" --sample 500 --seed 3 >"$T/b.json"
if cmp -s <(sed 's/"output":"[^"]*"//' "$T/a.json") <(sed 's/"output":"[^"]*"//' "$T/b.json") &&
   cmp -s "$O/a.csv" "$O/b.csv"; then
  ok "same JSON and projection for 1 and 2 threads, 4096 and 8192 chunk rows"
else
  bad "determinism across threads and chunk sizes"
fi
ratio_sum=$(jq_py "$T/a.json" 'round(sum(c["explained_ratio"] for c in j["components"]), 9)')
if [ "$ratio_sum" = "1.0" ]; then ok "ratios add up to 1"; else bad "ratios add up to 1" "$ratio_sum"; fi
if [ "$(head -n 1 "$O/a.csv")" = "row,pc1,pc2" ] && [ "$(wc -l <"$O/a.csv")" -gt 400 ]; then
  ok "CSV projection: header row,pc1,pc2 and the sampled rows"
else
  bad "CSV projection" "$(head -n 2 "$O/a.csv")"
fi

"$STRATA" pca "$T/c.h5" --model "$T/m.h5" --components 3 -o "$O/m.csv" --sample 300 -q
if [ "$(head -n 1 "$O/m.csv")" = "row,pc1,pc2,pc3,segment" ] && [ "$(wc -l <"$O/m.csv")" -eq 301 ] &&
   [ "$(tail -n +2 "$O/m.csv" | cut -d, -f5 | sort -u | tr '\n' ' ')" = "0 1 2 " ]; then
  ok "--model: 3 components and the segment column"
else
  bad "--model projection" "$(head -n 2 "$O/m.csv")"
fi
"$STRATA" pca "$T/c.h5" -o "$O/p.h5" --sample 200 -q
if [ -s "$O/p.h5" ]; then ok "HDF5 projection written"; else bad "HDF5 projection"; fi

# Wide tables: more columns than rows go through the Gram matrix (rows - 1
# components, at once); the exact covariance sums past --mem-limit are
# refused with exit 2 and no output, and run under a larger limit.
"$STRATA_GEN" --kind blobs --rows 30 --dims 500 --seed 2 -o "$T/wide.h5" >/dev/null
run "$STRATA" pca "$T/wide.h5" --json --threads 2
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'len(j["components"]), j["rows"]')" = "(29, 30)" ]; then
  ok "pca of 30 rows x 500 columns: 29 components"
else bad "pca of a wide table" "rc=$RC $(head -c 300 "$T/err")"; fi
"$STRATA_GEN" --kind blobs --rows 5000 --dims 300 --seed 3 -o "$T/tall300.h5" >/dev/null
expect_error_clean "pca: exact covariance past --mem-limit" 2 'exact covariance .* memory limit' "$O" \
  "$STRATA" pca "$T/tall300.h5" --threads 2 --mem-limit 40M -o "$O/x.csv"
run "$STRATA" pca "$T/tall300.h5" --threads 2 --mem-limit 200M -o "$O/tall.csv" -q
if [ "$RC" -eq 0 ] && [ -s "$O/tall.csv" ]; then ok "pca: the same table within --mem-limit 200M"
else bad "pca under --mem-limit 200M" "rc=$RC $(head -c 300 "$T/err")"; fi
rm -f "$O/tall.csv"
expect_error "missing data file" 2 'missing the data file' "$STRATA" pca
expect_error "--components 4" 2 'components' "$STRATA" pca "$T/c.h5" --components 4
expect_error_clean "no such data" 2 'cannot open' "$O" "$STRATA" pca "$T/nope.h5" -o "$O/x.csv"
expect_error_clean "no such model" 2 'cannot open' "$O" "$STRATA" pca "$T/c.h5" --model "$T/nope.h5" -o "$O/x.csv"
expect_error_clean "output is the data" 2 'input data file' "$O" "$STRATA" pca "$T/c.h5" -o "$T/c.h5"
expect_error "output directory missing" 1 'output' "$STRATA" pca "$T/c.h5" -o "$T/no/such/dir/x.csv"
expect_error "unknown feature" 2 "nosuch" "$STRATA" pca "$T/c.h5" --features age,nosuch

finish

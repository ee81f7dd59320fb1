#!/usr/bin/env bash
# Records the golden outputs of the `strata` command: every command on a few
# generated tables (fit, assign, sweep, profile, stability, pca, inspect,
# import, export, report), each output normalised by normalize.py (timings,
# dates and versions removed; numbers keep every bit).
#   record.sh OUTDIR            STRATA and STRATA_GEN name the tools
# OUTDIR receives one normalised file per output and MANIFEST (sha256 of each).
# With STRATA_GOLDEN_REAL=DIR (a datasets folder), real tables are added; the
# suite never sets it.
set -euo pipefail
: "${STRATA:?}" "${STRATA_GEN:?}"
OUT=$(realpath -m "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
NORM="python3 $HERE/normalize.py"
rm -rf "$OUT"; mkdir -p "$OUT"
W=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/golden.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
# One thread count and ISA for every run: the outputs do not depend on threads
# (tested elsewhere), but the ISA level chooses the float32 kernel.
export OMP_NUM_THREADS=2

# step NAME CMD...: runs CMD, keeps its exit status and normalised stderr.
step() {
  local name=$1; shift
  set +e
  "$@" >"$W/$name.stdout" 2>"$W/$name.stderr" </dev/null
  echo "$?" >"$OUT/$name.rc"
  set -e
  $NORM text "$W/$name.stderr" >"$OUT/$name.stderr"
}
json() {
  if [ -s "$W/$1.stdout" ]; then $NORM json "$W/$1.stdout" >"$OUT/$1.json"; else echo "(no output)" >"$OUT/$1.json"; fi
}
stdout_text() { $NORM text "$W/$1.stdout" >"$OUT/$1.txt"; }
h5() { h5dump -m '%a' "$1" >"$W/dump.txt"; $NORM h5dump "$W/dump.txt" >"$OUT/$2.h5.txt"; }
file_text() { $NORM text "$1" >"$OUT/$2"; }

"$STRATA_GEN" --rows 6000 --seed 7 -o cust.h5
"$STRATA_GEN" --rows 3000 --seed 8 --shift 0 -o cust2.h5 2>/dev/null || "$STRATA_GEN" --rows 3000 --seed 8 -o cust2.h5
"$STRATA_GEN" --kind blobs --rows 5000 --dims 5 --centers 4 --seed 3 -o blobs.h5
python3 - cat.csv <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("customer_id,age,income,region,channel,joined\n")
    for i in range(900):
        s = i % 3
        region = ["North", "South", "East"][s] if random.random() < 0.9 else random.choice(["North", "South", "East"])
        channel = random.choice(["web", "store"]) if random.random() > 0.05 else ""
        income = f"{[30,60,90][s] + random.gauss(0,3):.2f}" if random.random() > 0.03 else ""
        f.write(f"{i+1},{[25,45,65][s] + random.gauss(0,3):.2f},{income},{region},{channel},2020-0{1 + s}-1{s}\n")
PY

step import "$STRATA" import cat.csv -o cat.h5 --json; json import; h5 cat.h5 import_out
step inspect "$STRATA" inspect cust.h5 --json; json inspect
step inspect_table "$STRATA" inspect blobs.h5; stdout_text inspect_table

step fit1 "$STRATA" fit cust.h5 -k 5 --missing median -o m1.h5 --labels l1.h5 --json
json fit1; h5 m1.h5 fit1_model; h5 l1.h5 fit1_labels
step fit1_table "$STRATA" fit cust.h5 -k 5 --missing median -o m1b.h5
stdout_text fit1_table
step fit2 "$STRATA" fit cust.h5 -k 4 --missing mean --scale minmax --n-init 3 --seed 11 \
  --streaming --chunk-rows 1000 -o m2.h5 --labels l2.h5 --json
json fit2; h5 m2.h5 fit2_model; h5 l2.h5 fit2_labels
step fit3 "$STRATA" fit cust.h5 -k 6 --missing drop --init random --seed 5 -o m3.h5 --labels l3.h5 --json
json fit3; h5 m3.h5 fit3_model; h5 l3.h5 fit3_labels
step fit_blobs "$STRATA" fit blobs.h5 -k 4 --scale none -o mb.h5 --labels lb.h5 --json --backend blas
json fit_blobs; h5 mb.h5 fit_blobs_model; h5 lb.h5 fit_blobs_labels
step fit_cat "$STRATA" fit cat.h5 -k 3 --categorical region,channel --missing mean --seed 1 -o mc.h5 \
  --labels lc.h5 --json
json fit_cat; h5 mc.h5 fit_cat_model; h5 lc.h5 fit_cat_labels
step fit_warm "$STRATA" fit cust2.h5 -k 5 --missing median --warm-start m1.h5 -o mw.h5 --json
json fit_warm; h5 mw.h5 fit_warm_model
step fit_err "$STRATA" fit cust.h5 -k 5 -o merr.h5

step assign "$STRATA" assign m1.h5 cust2.h5 --labels a1.h5 --json
json assign; h5 a1.h5 assign_labels
step assign_cat "$STRATA" assign mc.h5 cat.h5 --labels ac.h5 --json
json assign_cat

step sweep "$STRATA" sweep cust.h5 -k 2:6 --missing median --json
json sweep
step sweep_csv "$STRATA" sweep blobs.h5 -k 2,4,7 --n-init 2 --csv
stdout_text sweep_csv

step profile "$STRATA" profile m1.h5 cust.h5 --json; json profile
step profile_csv "$STRATA" profile m1.h5 cust.h5 --labels l1.h5 --csv; stdout_text profile_csv
step profile_cat "$STRATA" profile mc.h5 cat.h5 --markdown; stdout_text profile_cat

step stability "$STRATA" stability cust.h5 -k 4 --runs 5 --sample 3000 --missing median --json
json stability
step stability_sub "$STRATA" stability blobs.h5 -k 4 --runs 4 --method subsample --json
json stability_sub

step pca "$STRATA" pca cust.h5 --json -o proj.csv --sample 800
json pca; [ -f proj.csv ] && file_text proj.csv pca_proj.csv
step pca_blobs "$STRATA" pca blobs.h5 --components 3; stdout_text pca_blobs
step pca_model "$STRATA" pca cust.h5 --model m1.h5 --components 3 --json -o projm.h5
# The first 300 rows of each column: enough to see every column's layout
# and values, small enough to keep as text (compared with a tolerance).
json pca_model
if [ -f projm.h5 ]; then
  h5dump -m '%a' -d /pc1 -c 300 -d /pc2 -c 300 -d /pc3 -c 300 -d /row -c 300 -d /segment -c 300 projm.h5 >"$W/dump.txt"
  $NORM h5dump "$W/dump.txt" >"$OUT/pca_model_proj.h5.txt"
fi

step export "$STRATA" export lc.h5 --with cat.h5 --columns customer_id,region -o seg.csv
[ -f seg.csv ] && file_text seg.csv export.csv

step report "$STRATA" report m1.h5 cust.h5 -o r.html --sample 500
[ -f r.html ] && file_text r.html report.html

if [ -n "${STRATA_GOLDEN_REAL:-}" ]; then
  R=$STRATA_GOLDEN_REAL
  step real_mall_import "$STRATA" import "$R/mall_customers_kaggle/Mall_Customers.csv" -o mall.h5 --json
  step real_mall_fit "$STRATA" fit mall.h5 -k 5 --categorical Genre -o mm.h5 --labels ml.h5 --json
  json real_mall_fit; h5 mm.h5 real_mall_model; h5 ml.h5 real_mall_labels
  step real_mall_profile "$STRATA" profile mm.h5 mall.h5 --json; json real_mall_profile
  step real_whole_import "$STRATA" import "$R/wholesale_customers_uci/wholesale_customers_data.csv" -o wh.h5
  step real_whole_sweep "$STRATA" sweep wh.h5 -k 2:8 --json; json real_whole_sweep
  step real_whole_stab "$STRATA" stability wh.h5 -k 3 --runs 6 --json; json real_whole_stab
  step real_cc_import "$STRATA" import "$R/cc_general_kaggle/CC_GENERAL.csv" -o cc.h5
  step real_cc_fit "$STRATA" fit cc.h5 -k 6 --missing median -o cm.h5 --labels cl.h5 --json
  json real_cc_fit; h5 cm.h5 real_cc_model; h5 cl.h5 real_cc_labels
  step real_cc_pca "$STRATA" pca cc.h5 --json; json real_cc_pca
  step real_cc_assign "$STRATA" assign cm.h5 cc.h5 --labels ca.h5 --json; json real_cc_assign
  step real_bank_import "$STRATA" import "$R/bank_marketing_uci_full/bank-full.csv" -o bank.h5
  step real_bank_fit "$STRATA" fit bank.h5 -k 4 --categorical job,marital -o bm.h5 --json --streaming --chunk-rows 4096
  json real_bank_fit; h5 bm.h5 real_bank_model
  step real_bank_sweep "$STRATA" sweep bank.h5 -k 2:5 --json; json real_bank_sweep
fi

(cd "$OUT" && sha256sum $(LC_ALL=C ls) >MANIFEST)

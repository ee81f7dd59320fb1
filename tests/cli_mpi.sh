#!/usr/bin/env bash
# One fit across MPI ranks (issue 14): `mpirun -n P strata fit` gives the
# model, the JSON (timings aside) and the labels of the single-process run,
# bit for bit, for P = 1..4 and 1 or 2 threads per rank: in core and
# streamed, with imputed and dropped missing values, restarts, k-means++,
# k-means|| and random init, one-hot categorical columns, median imputation, robust
# scaling, fitted transforms (sketches, samples and maxima combined across
# ranks), row weights, mini-batch k-means, Ward's two-step mode and Gaussian mixtures; assign, sweep, stability and profile
# likewise equal one process (JSON, -o CSV, table).  Then the failures: an
# option refused across ranks, a rank that cannot open the file, a rank
# killed mid-run; each ends the job with one message and no output.
# Registered only in a build with -DSTRATA_MPI=ON; without mpirun it skips,
# or fails with CI=true.
NAME=cli_mpi
. "$(dirname "$0")/cli_lib.sh"

if ! "$STRATA" --version | grep -q "MPI: built in"; then
  bad "strata was built without MPI" "$("$STRATA" --version)"
  finish
fi
if ! command -v mpirun >/dev/null 2>&1; then
  unavailable "mpirun not found (Debian: openmpi-bin)"
  finish
fi
# -q: no launcher banners, so stderr is strata's own.
MPIRUN=(mpirun --oversubscribe --allow-run-as-root -q)

D="$T/data"
mkdir "$D"
# 5 blocks of 4096 rows plus a partial one: P = 4 splits them 1/2/1/2.
"$STRATA_GEN" -o "$D/c.h5" --rows 22000 --seed 11 --missing 0.03 >/dev/null
# Duplicated rows and more centres than distinct points nearby: k-means++
# and random init meet empty clusters, re-seeded from the farthest rows.
"$STRATA_GEN" -o "$D/b.h5" --kind blobs --rows 13000 --dims 5 --centers 4 --std 0.05 --seed 5 >/dev/null
python3 - "$D/cat.csv" <<'EOF'
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    f.write("id,age,income,region\n")
    for i in range(9500):
        s = i % 3
        region = ["North", "South", "East"][s] if random.random() < 0.85 else random.choice(["North", "South", "East", "West"])
        age = "" if random.random() < 0.02 else f"{[25, 45, 65][s] + random.gauss(0, 4):.2f}"
        f.write(f"{i},{age},{[30, 60, 90][s] + random.gauss(0, 5):.2f},{region}\n")
EOF
"$STRATA" import "$D/cat.csv" -o "$D/cat.h5" -q
# Row weights (a customer's value; some 0), features with missing values.
python3 - "$D/wt.csv" <<'EOF'
import random, sys
random.seed(5)
with open(sys.argv[1], "w") as f:
    f.write("a,b,c,value\n")
    for i in range(17000):
        s = i % 4
        a = "" if random.random() < 0.02 else f"{s * 3 + random.gauss(0, 1):.3f}"
        value = 0 if random.random() < 0.05 else random.expovariate(0.01)
        f.write(f"{a},{s * s + random.gauss(0, 1):.3f},{random.gauss(0, 2):.3f},{value:.2f}\n")
EOF
"$STRATA" import "$D/wt.csv" -o "$D/wt.h5" -q

# same_fit NAME A.json B.json: equal but for what may differ between runs.
same_fit() {
  if python3 - "$2" "$3" >"$T/diff" 2>&1 <<'EOF'; then ok "$1"; else bad "$1" "$(head -c 800 "$T/diff")"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
volatile = {"seconds", "seconds_per_iteration", "peak_rss_bytes", "created", "model", "labels",
            "ranks", "threads", "mode", "backend_reason", "resumed_from_run", "resumed_from_iteration"}
for j in (a, b):
    for it in j["iterations_stats"]:
        it.pop("seconds"); it.pop("rows_per_second")
diff = [key for key in sorted(set(a) | set(b)) if key not in volatile and a.get(key) != b.get(key)]
assert not diff, "differ: " + ", ".join(f"{key}: {a.get(key)!r:.120} vs {b.get(key)!r:.120}" for key in diff)
EOF
}

# check_config TAG DATA ARGS...: the single-process run, then P = 1..4.
check_config() {
  local tag=$1 data=$2
  shift 2
  "$STRATA" fit "$data" "$@" -o "$T/$tag.m1.h5" --labels "$T/$tag.l1.h5" --json >"$T/$tag.j1" 2>"$T/err" ||
    { bad "$tag: single-process fit" "$(cat "$T/err")"; return; }
  local P threads
  for P in 1 2 3 4; do
    threads=$((P % 2 + 1))
    run "${MPIRUN[@]}" -n "$P" "$STRATA" fit "$data" "$@" --threads "$threads" -o "$T/$tag.m$P.h5" \
      --labels "$T/$tag.l$P.h5" --json
    if [ "$RC" -ne 0 ]; then
      bad "$tag: P=$P fit" "rc=$RC $(head -c 600 "$T/err")"
      continue
    fi
    cp "$T/out" "$T/$tag.j$P"
    if [ "$(jq_py "$T/$tag.j$P" 'j["ranks"], j["threads"]')" = "($P, $threads)" ]; then
      ok "$tag: P=$P --json reports ranks $P, threads $threads"
    else bad "$tag: P=$P ranks/threads in --json" "$(jq_py "$T/$tag.j$P" 'j["ranks"], j["threads"]')"; fi
    same_fit "$tag: P=$P model and JSON equal the single-process run" "$T/$tag.j1" "$T/$tag.j$P"
    if labels_equal "$T/$tag.l1.h5" "$T/$tag.l$P.h5" &&
      cmp -s <(h5dump -d /distance -y -w 0 -m %.9g "$T/$tag.l1.h5" | sed 1,2d) \
        <(h5dump -d /distance -y -w 0 -m %.9g "$T/$tag.l$P.h5" | sed 1,2d); then
      ok "$tag: P=$P labels and distances equal"
    else bad "$tag: P=$P labels differ from the single-process run"; fi
    if cmp -s <(h5dump -d /centroids -m %.17g "$T/$tag.m1.h5" | sed 1d) \
      <(h5dump -d /centroids -m %.17g "$T/$tag.m$P.h5" | sed 1d); then
      ok "$tag: P=$P model file centroids equal"
    else bad "$tag: P=$P model file centroids differ"; fi
  done
}

check_config mean "$D/c.h5" -k 6 --missing mean --seed 4
check_config stream "$D/c.h5" -k 5 --missing mean --streaming --chunk-rows 8192 --seed 2
check_config drop "$D/c.h5" -k 4 --missing drop --n-init 2 --seed 9
check_config empty "$D/b.h5" -k 12 --init random --seed 1 --max-iter 30
check_config cat "$D/cat.h5" -k 3 --categorical region --missing mean --seed 1
# k-means||: each rank keeps its rows' distances; phi, the rows taken and
# the candidates' weights are combined across ranks.
check_config kpar "$D/c.h5" -k 6 --init "k-means||" --missing drop --seed 3
# Ward's two-step mode: the micro-clusters' k-means across ranks, Ward on
# their means on every rank alike, the labelling pass's sums allreduced.
check_config ward2 "$D/c.h5" -k 4 --algorithm ward --ward-mode twostep --micro-clusters 200 --missing drop --seed 2
# Mini-batches: every rank assigns the batch's blocks in its rows.
check_config minibatch "$D/c.h5" -k 5 --algorithm minibatch --batch-rows 5000 --missing drop --seed 3
# More centres than blobs: low-count centres are moved to rows of a batch
# (counted and fetched across ranks).
check_config minibatch_b "$D/b.h5" -k 7 --algorithm minibatch --batch-rows 4096 --seed 1
# Row weights: the weighted statistics, the init sample's weights and the
# clusters' weights combined across ranks.
check_config weights "$D/wt.h5" -k 5 --weights value --missing drop --n-init 2 --seed 2
check_config weights_stream "$D/wt.h5" -k 4 --weights value --missing mean --init random --streaming --chunk-rows 8192 --seed 6
check_config weights_kpar "$D/wt.h5" -k 5 --weights value --init "k-means||" --missing drop --seed 7
check_config weights_mb "$D/wt.h5" -k 6 --weights value --algorithm minibatch --batch-rows 4096 --missing drop --seed 3
check_config weights_gmm "$D/wt.h5" -k 3 --weights value --algorithm gmm --covariance-type diag --missing drop --seed 5
check_config weights_ward2 "$D/wt.h5" -k 4 --weights value --algorithm ward --ward-mode twostep --micro-clusters 150 --missing drop --seed 2
check_config kpar_stream "$D/c.h5" -k 5 --init "k-means||" --missing mean --streaming --chunk-rows 8192 --n-init 2 --seed 1
# The median sketches' merge tree meets on rank 0 (core/quantile_comm.c).
check_config median "$D/c.h5" -k 5 --missing median --seed 2
check_config robust "$D/c.h5" -k 4 --scale robust --missing median --streaming --chunk-rows 8192 --seed 5
# Transforms fitted across ranks: the yeo-johnson sample OR-ed, the clip
# sketches merged on rank 0, the age-days reference a maximum over ranks.
check_config tf "$D/c.h5" -k 4 --missing mean --seed 3 \
  --transform "income:yeo-johnson,avg_basket_value:clip(1,99),recency_days:log1p"
python3 - "$D/dates.csv" <<'EOF'
import random, sys
random.seed(4)
with open(sys.argv[1], "w") as f:
    f.write("id,joined,spend\n")
    for i in range(9000):
        f.write(f"{i},2024-{random.randint(1, 12):02d}-{random.randint(1, 28):02d},{random.gauss(100, 20):.2f}\n")
EOF
"$STRATA" import "$D/dates.csv" -o "$D/dates.h5" -q
check_config age "$D/dates.h5" -k 3 --features joined,spend --transform joined:age-days --seed 1
# Gaussian mixtures: the E-step's exact partials summed across ranks.
check_config gmm "$D/c.h5" -k 4 --algorithm gmm --missing mean --seed 2
check_config gmm_diag "$D/c.h5" -k 3 --algorithm gmm --covariance-type diag --missing drop --streaming \
  --chunk-rows 8192 --n-init 2 --seed 4

# ---- assign across ranks: each rank scores its own rows, rank 0 writes the
# labels; labels, distances, sizes, inertia and drift equal one process.
# check_assign TAG MODEL DATA ARGS...
check_assign() {
  local tag=$1 model=$2 data=$3 P
  shift 3
  "$STRATA" assign "$model" "$data" "$@" --labels "$T/$tag.a1.h5" --json >"$T/$tag.aj1" 2>"$T/err" ||
    { bad "$tag: single-process assign" "$(cat "$T/err")"; return; }
  for P in 2 3 4; do
    run "${MPIRUN[@]}" -n "$P" "$STRATA" assign "$model" "$data" "$@" --threads $((P % 2 + 1)) \
      --labels "$T/$tag.a$P.h5" --json
    if [ "$RC" -ne 0 ]; then
      bad "$tag: P=$P assign" "rc=$RC $(head -c 600 "$T/err")"
      continue
    fi
    cp "$T/out" "$T/$tag.aj$P"
    if python3 - "$T/$tag.aj1" "$T/$tag.aj$P" "$P" >"$T/diff" 2>&1 <<'EOF'; then
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert b["ranks"] == int(sys.argv[3]), f"ranks {b['ranks']}"
assert a.get("drift") is not None, "no drift measured"
for j in (a, b):
    for key in ("seconds", "labels", "ranks", "threads"):
        j.pop(key)
assert a == b, "differ: " + ", ".join(k for k in a if a[k] != b.get(k))
EOF
      ok "$tag: P=$P assign JSON (sizes, inertia, drift) equals one process, ranks $P"
    else bad "$tag: P=$P assign JSON" "$(head -c 600 "$T/diff")"; fi
    if labels_equal "$T/$tag.a1.h5" "$T/$tag.a$P.h5" &&
      cmp -s <(h5dump -d /distance -y -w 0 -m %.9g "$T/$tag.a1.h5" | sed 1,2d) \
        <(h5dump -d /distance -y -w 0 -m %.9g "$T/$tag.a$P.h5" | sed 1,2d); then
      ok "$tag: P=$P assign labels and distances equal"
    else bad "$tag: P=$P assign labels differ from one process"; fi
  done
}
check_assign mean "$T/mean.m1.h5" "$D/c.h5"
check_assign drop "$T/drop.m1.h5" "$D/c.h5"
check_assign cat "$T/cat.m1.h5" "$D/cat.h5" --chunk-rows 4096
mkdir -p "$T/o"
"$STRATA" fit "$D/c.h5" -k 3 --missing mean --algorithm gmm --covariance-type diag -o "$T/gmm.h5" -q
# A mixture's E-step sums its exact partials across ranks: assign's labels,
# distances, sizes and log-likelihood equal one process.
"$STRATA" assign "$T/gmm.h5" "$D/c.h5" --no-drift --labels "$T/ga1.h5" --json >"$T/ga1.j"
for P in 2 3; do
  run "${MPIRUN[@]}" -n "$P" "$STRATA" assign "$T/gmm.h5" "$D/c.h5" --no-drift --threads 1 --labels "$T/ga$P.h5" --json
  cp "$T/out" "$T/ga$P.j"
  if [ "$RC" -eq 0 ] && python3 - "$T/ga1.j" "$T/ga$P.j" <<'EOF' && labels_equal "$T/ga1.h5" "$T/ga$P.h5" &&
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for j in (a, b):
    for key in ("seconds", "labels", "ranks", "threads"):
        j.pop(key, None)
assert a == b, [k for k in a if a[k] != b.get(k)]
EOF
    cmp -s <(h5dump -d /distance -y -w 0 -m %.9g "$T/ga1.h5" | sed 1,2d) <(h5dump -d /distance -y -w 0 -m %.9g "$T/ga$P.h5" | sed 1,2d); then
    ok "gmm: P=$P assign JSON, labels and distances equal one process"
  else bad "gmm: P=$P assign" "rc=$RC $(head -c 400 "$T/err")"; fi
done
# --soft: each rank's probabilities go to rank 0's labels file with its rows.
"$STRATA" fit "$D/c.h5" -k 3 --missing mean --algorithm gmm --soft --seed 2 -o "$T/gs1.h5" --labels "$T/gsl1.h5" -q
"$STRATA" assign "$T/gmm.h5" "$D/c.h5" --no-drift --soft --labels "$T/gsa1.h5" -q
same_column() { cmp -s <(h5dump -d "/$3" -y -w 0 -m %.9g "$1" | sed 1,2d) <(h5dump -d "/$3" -y -w 0 -m %.9g "$2" | sed 1,2d); }
for P in 2 3; do
  run "${MPIRUN[@]}" -n "$P" "$STRATA" fit "$D/c.h5" -k 3 --missing mean --algorithm gmm --soft --seed 2 --threads 1 \
    -o "$T/gs$P.h5" --labels "$T/gsl$P.h5"
  if [ "$RC" -eq 0 ] && same_column "$T/gsl1.h5" "$T/gsl$P.h5" segment && same_column "$T/gsl1.h5" "$T/gsl$P.h5" probability; then
    ok "gmm --soft: P=$P fit's labels and probabilities equal one process"
  else bad "gmm --soft: P=$P fit" "rc=$RC $(head -c 300 "$T/err")"; fi
  run "${MPIRUN[@]}" -n "$P" "$STRATA" assign "$T/gmm.h5" "$D/c.h5" --no-drift --soft --threads 1 --labels "$T/gsa$P.h5"
  if [ "$RC" -eq 0 ] && same_column "$T/gsa1.h5" "$T/gsa$P.h5" segment && same_column "$T/gsa1.h5" "$T/gsa$P.h5" probability; then
    ok "gmm --soft: P=$P assign's labels and probabilities equal one process"
  else bad "gmm --soft: P=$P assign" "rc=$RC $(head -c 300 "$T/err")"; fi
done
expect_error_clean "P=3: assign, rank 2 cannot open the data" 2 "rank 2: .*nothere" "$T/o" \
  "${MPIRUN[@]}" -n 2 "$STRATA" assign "$T/mean.m1.h5" "$D/c.h5" --labels "$T/o/a.h5" : \
  -n 1 "$STRATA" assign "$T/mean.m1.h5" "$D/nothere.h5" --labels "$T/o/a.h5"

# ---- sweep and stability across ranks: every k's passes (sweep) and every
# refit on the sample (stability) combine their partials across ranks; the
# JSON (timings, ranks and threads aside), the CSV written with -o by rank 0
# alone, and the table equal one process's.
# same_json NAME A B P: equal but for timings, ranks and threads; B says P ranks.
same_json() {
  if python3 - "$2" "$3" "$4" >"$T/diff" 2>&1 <<'EOF'; then ok "$1"; else bad "$1" "$(head -c 600 "$T/diff")"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert b["ranks"] == int(sys.argv[3]), f"ranks {b['ranks']}"
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in ("seconds", "ranks", "threads")}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
a, b = strip(a), strip(b)
assert a == b, "differ: " + ", ".join(k for k in a if a[k] != b.get(k))
EOF
}
# check_multi TAG CMD ARGS...: CMD (sweep or stability) in one process, then P = 2..4.
check_multi() {
  local tag=$1 P
  shift
  "$STRATA" "$@" --json >"$T/$tag.s1" 2>"$T/err" || { bad "$tag: single process" "$(cat "$T/err")"; return; }
  for P in 2 3 4; do
    run "${MPIRUN[@]}" -n "$P" "$STRATA" "$@" --threads $((P % 2 + 1)) --json
    if [ "$RC" -ne 0 ]; then
      bad "$tag: P=$P" "rc=$RC $(head -c 600 "$T/err")"
      continue
    fi
    cp "$T/out" "$T/$tag.s$P"
    same_json "$tag: P=$P JSON equals one process, ranks $P" "$T/$tag.s1" "$T/$tag.s$P" "$P"
  done
}
check_multi sweep sweep "$D/c.h5" -k 2:6 --missing mean --seed 3
check_multi sweep_stream sweep "$D/c.h5" -k 3,5 --missing drop --streaming --chunk-rows 8192 --n-init 2 --seed 1
check_multi sweep_stab sweep "$D/b.h5" -k 3:5 --init random --stability 3 --silhouette-sample 2000
check_multi sweep_cat sweep "$D/cat.h5" -k 2:4 --categorical region --missing mean
check_multi sweep_gmm sweep "$D/c.h5" -k 2:4 --missing mean --algorithm kmeans,gmm --covariance-type diag
check_multi stab_boot stability "$D/c.h5" -k 4 --missing mean --runs 4 --sample 9000
check_multi stab_sub stability "$D/b.h5" -k 4 --runs 3 --method subsample --fraction 0.7
# The sample keeps its rows' weights (read beside each rank's chunks, OR-ed); every refit is weighted.
# Weighted sweep: each k's weighted passes and dispersion sums, the silhouette sample's weights.
check_multi sweep_weights sweep "$D/wt.h5" -k 2:5 --weights value --missing drop --seed 4 --stability 2 --silhouette-sample 3000
check_multi sweep_weights_gmm sweep "$D/wt.h5" -k 2:3 --weights value --missing drop --algorithm kmeans,gmm --covariance-type spherical
check_multi stab_weights stability "$D/wt.h5" -k 4 --weights value --missing drop --runs 3 --sample 9000
# profile: exact partials summed, the median sketches merged on rank 0.
check_multi prof profile "$T/mean.m1.h5" "$D/c.h5"
check_multi prof_labels profile "$T/median.m1.h5" "$D/c.h5" --labels "$T/median.l1.h5"
check_multi prof_cat profile "$T/cat.m1.h5" "$D/cat.h5" --chunk-rows 4096
mkdir -p "$T/so"
"$STRATA" sweep "$D/c.h5" -k 2:4 --missing mean --csv -o "$T/so/one.csv" -q
run "${MPIRUN[@]}" -n 3 "$STRATA" sweep "$D/c.h5" -k 2:4 --missing mean --csv -o "$T/so/three.csv" -q
if [ "$RC" -eq 0 ] && cmp -s "$T/so/one.csv" "$T/so/three.csv" && [ "$(listing "$T/so" | tr '\n' ' ')" = "one.csv three.csv " ]; then
  ok "P=3: sweep -o writes one CSV, equal to one process's, and no temporary"
else bad "P=3: sweep -o" "rc=$RC files: $(listing "$T/so" | tr '\n' ' ')"; fi
"$STRATA" stability "$D/c.h5" -k 3 --missing mean --runs 3 >"$T/st1"
run "${MPIRUN[@]}" -n 2 "$STRATA" stability "$D/c.h5" -k 3 --missing mean --runs 3
if [ "$RC" -eq 0 ] && cmp -s <(sed -E 's/, [0-9.]+ s$//' "$T/st1") <(sed -E 's/, [0-9.]+ s$//' "$T/out"); then
  ok "P=2: the stability table is printed once, as one process prints it"
else bad "P=2: stability table" "rc=$RC $(diff "$T/st1" "$T/out" | head -c 400)"; fi
expect_error_clean "P=2: sweep --algorithm kmeans,ward refused (exact Ward)" 2 "exact Ward holds every row in one process" \
  "$T/so" "${MPIRUN[@]}" -n 2 "$STRATA" sweep "$D/c.h5" -k 2:3 --missing mean --algorithm kmeans,ward \
  -o "$T/so/x.json" --json
expect_error_clean "P=3: sweep, rank 2 cannot open the data" 2 "rank 2: .*nothere" "$T/so" \
  "${MPIRUN[@]}" -n 2 "$STRATA" sweep "$D/c.h5" -k 2:3 --missing mean -o "$T/so/x.csv" --csv : \
  -n 1 "$STRATA" sweep "$D/nothere.h5" -k 2:3 --missing mean -o "$T/so/x.csv" --csv
expect_error_clean "P=2: stability, rank 1 cannot open the data" 2 "rank 1: .*nothere" "$T/so" \
  "${MPIRUN[@]}" -n 1 "$STRATA" stability "$D/c.h5" -k 3 --missing mean -o "$T/so/x.json" --json : \
  -n 1 "$STRATA" stability "$D/nothere.h5" -k 3 --missing mean -o "$T/so/x.json" --json

# ---- checkpoint and resume across ranks (issue 14 point 6): SIGUSR1 to one
# rank stops every rank at the same iteration boundary (the request is
# OR-ed across ranks) with exit 75 and the checkpoint saved by rank 0; a
# rank killed leaves the last periodic checkpoint; either resumed with
# another number of ranks gives the single-process model and labels.
"$STRATA_GEN" -o "$D/ck.h5" --rows 150000 --seed 21 --missing 0.02 >/dev/null
CK=(-k 32 --missing mean --seed 3 --tol 0 --max-iter 80)
"$STRATA" fit "$D/ck.h5" "${CK[@]}" -o "$T/ck.m1.h5" --labels "$T/ck.l1.h5" --json >"$T/ck.j1"
C="$T/ckpt"
mkdir "$C"
# mpi_interrupt SIG ITER ARGS...: mpirun -n 2 strata fit ARGS --progress log;
# SIG to rank 1 (a child of the launcher) once rank 0 reported iteration ITER.
mpi_interrupt() {
  local sig=$1 want=$2 launcher victim at sent=0
  shift 2
  : >"$T/err"
  set +e
  mpirun --oversubscribe --allow-run-as-root -q -n 2 "$STRATA" fit "$@" --threads 1 --streaming --chunk-rows 4096 \
    --progress log >"$T/out" 2>"$T/err" </dev/null &
  launcher=$!
  while kill -0 "$launcher" 2>/dev/null; do
    at=$(grep -Eo '^strata: +1/1 +[0-9]+ ' "$T/err" | tail -n 1 | awk '{print $3}')
    if [ -n "$at" ] && [ "$at" -ge "$want" ]; then
      victim=$(pgrep -P "$launcher" | tail -n 1 || true)
      [ -n "$victim" ] && kill "-$sig" "$victim" 2>/dev/null && sent=1
      break
    fi
    sleep 0.02
  done
  wait "$launcher"
  RC=$?
  set -e
  MPI_SENT=$sent
}
# same_as_one TAG: TAG's model and labels equal the single-process run's.
same_as_one() {
  same_fit "$1: model and JSON equal the single-process run" "$T/ck.j1" "$T/$1.j"
  if labels_equal "$T/ck.l1.h5" "$C/$1.l.h5" &&
    cmp -s <(h5dump -d /centroids -m %.17g "$T/ck.m1.h5" | sed 1d) <(h5dump -d /centroids -m %.17g "$C/$1.m.h5" | sed 1d)
  then ok "$1: labels and model centroids equal the single-process run"
  else bad "$1: labels or centroids differ from the single-process run"; fi
}
at=$((RANDOM % 10 + 4))
mpi_interrupt USR1 "$at" "$D/ck.h5" "${CK[@]}" --checkpoint "$C/ck" -o "$C/u.m.h5" --labels "$C/u.l.h5"
if [ "$MPI_SENT" -eq 1 ] && [ "$RC" -eq 75 ] && grep -q "stopped on request after iteration .* checkpoint saved to" "$T/err" &&
   [ "$(listing "$C")" = ck ]; then
  ok "P=2: SIGUSR1 to rank 1 at iteration $at: every rank stops, exit 75, only rank 0's checkpoint left"
else bad "P=2: SIGUSR1 to rank 1 at iteration $at" "sent=$MPI_SENT exit $RC $(grep -v '^strata: *[0-9]' "$T/err" | head -c 400)" \
  "files: $(listing "$C" | tr '\n' ' ')"; fi
stopped=$(sed -n 's/.*stopped on request after iteration \([0-9]*\) of run.*/\1/p' "$T/err" | head -n 1)
run "${MPIRUN[@]}" -n 3 "$STRATA" fit "$D/ck.h5" "${CK[@]}" --resume "$C/ck" -o "$C/u.m.h5" --labels "$C/u.l.h5" --json
cp "$T/out" "$T/u.j"
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/u.j" 'j["ranks"], j["resumed_from_iteration"]')" = "(3, ${stopped:-x})" ]; then
  ok "P=3 resumes P=2's checkpoint of iteration $stopped"
else bad "P=3 resume" "exit $RC $(head -c 300 "$T/err")"; fi
same_as_one u
rm -f "$C"/*
at=$((RANDOM % 10 + 6))
mpi_interrupt KILL "$at" "$D/ck.h5" "${CK[@]}" --checkpoint "$C/ck" --checkpoint-every 5 -o "$C/k.m.h5" --labels "$C/k.l.h5"
last=$(grep -Eo '^strata: +1/1 +[0-9]+ ' "$T/err" | tail -n 1 | awk '{print $3}')
if [ "$MPI_SENT" -eq 1 ] && [ "$RC" -ne 0 ] && [ -f "$C/ck" ] && [ ! -e "$C/k.m.h5" ]; then
  ok "P=2: rank 1 killed at iteration ${last:-?}: the periodic checkpoint is there, no model"
else bad "P=2: rank 1 killed at iteration $at" "sent=$MPI_SENT exit $RC files: $(listing "$C" | tr '\n' ' ')"; fi
run "${MPIRUN[@]}" -n 4 "$STRATA" fit "$D/ck.h5" "${CK[@]}" --threads 1 --resume "$C/ck" -o "$C/k.m.h5" --labels "$C/k.l.h5" --json
cp "$T/out" "$T/k.j"
from=$(jq_py "$T/k.j" 'j.get("resumed_from_iteration")' 2>/dev/null || echo x)
if [ "$RC" -eq 0 ] && [ "$from" != x ] && [ "$from" != None ] && [ $((from % 5)) -eq 0 ] && [ "$from" -le "${last:-0}" ]; then
  ok "P=4 resumes the killed job's periodic checkpoint (iteration $from, killed at ${last:-?})"
else bad "P=4 resume after a kill" "exit $RC from=$from $(head -c 300 "$T/err")"; fi
same_as_one k

# ---- failures: one line from rank 0, exit status, nothing left behind
O="$T/o"
mkdir -p "$O"
expect_error_clean "P=2: --algorithm dbscan refused (it holds every row)" 2 \
  "algorithm dbscan does not run across MPI ranks" "$O" \
  "${MPIRUN[@]}" -n 2 "$STRATA" fit "$D/c.h5" --missing mean --algorithm dbscan -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "P=2: exact Ward refused, naming the two-step mode" 2 \
  "exact Ward holds every row in one process .*--ward-mode twostep" "$O" \
  "${MPIRUN[@]}" -n 2 "$STRATA" fit "$D/c.h5" -k 3 --missing mean --algorithm ward -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "P=2: a command other than fit refused" 2 "does not run across MPI ranks" "$O" \
  "${MPIRUN[@]}" -n 2 "$STRATA" inspect "$D/c.h5"
expect_error_clean "P=2: pca refused" 2 "'pca' does not run across MPI ranks yet" "$O" \
  "${MPIRUN[@]}" -n 2 "$STRATA" pca "$D/b.h5" -o "$O/p.csv"
# MPMD: rank 1 is given a file its node cannot see.
expect_error_clean "P=3: rank 1 cannot open the file" 2 "rank 1: .*nothere" "$O" \
  "${MPIRUN[@]}" -n 1 "$STRATA" fit "$D/c.h5" -k 3 --missing mean -o "$O/m.h5" --labels "$O/l.h5" : \
  -n 1 "$STRATA" fit "$D/nothere.h5" -k 3 --missing mean -o "$O/m.h5" --labels "$O/l.h5" : \
  -n 1 "$STRATA" fit "$D/c.h5" -k 3 --missing mean -o "$O/m.h5" --labels "$O/l.h5"
# A missing value only in rank 1's rows (blocks 1-2 of 3): its message.
python3 - "$D/nan.csv" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("a,b\n")
    for i in range(9000):
        f.write(("," if i == 6000 else f"{i % 7}.5,") + f"{i % 5}\n")
EOF
"$STRATA" import "$D/nan.csv" -o "$D/nan.h5" -q
expect_error_clean "P=2: a missing value in rank 1's rows: its message, from rank 1" 2 \
  "rank 1: column 'a' has a missing value \(NaN\) at row 6000" "$O" \
  "${MPIRUN[@]}" -n 2 "$STRATA" fit "$D/nan.h5" -k 3 -o "$O/m.h5" --labels "$O/l.h5"

# A rank killed (SIGKILL) mid-run (a million rows: the fit must still be
# iterating when the kill comes, whatever the machine): the job ends within 10 s, non-zero, with
# the launcher's line naming the rank, and no output.  Rank 1 (no writer): nothing at all is
# left.  Rank 0 holds the model's and labels' temporary files when it dies and cannot remove
# them: they are hidden, never the outputs, and the next run writing those outputs removes them
# (output_file.c: a dead pid's temporary names).
"$STRATA_GEN" -o "$D/big.h5" --rows 1000000 --seed 5 >/dev/null
"$STRATA_GEN" -o "$D/small.h5" --rows 3000 --seed 6 >/dev/null
# kill_rank R: the test above with rank R as the victim.
kill_rank() {
  local rank=$1 tag="kill -9 of rank $1" victim="" p launcher
  rm -rf "$O" && mkdir -p "$O"
  set +e
  mpirun --oversubscribe --allow-run-as-root -n 2 "$STRATA" fit "$D/big.h5" -k 60 --missing mean --tol 0 \
    --max-iter 100000 --streaming --chunk-rows 8192 --threads 1 -o "$O/m.h5" --labels "$O/l.h5" \
    >"$T/out" 2>"$T/err" </dev/null &
  launcher=$!
  # The launcher's children are the ranks; Open MPI gives each its rank in the environment.
  for _ in $(seq 1 100); do
    sleep 0.1
    for p in $(pgrep -P "$launcher"); do
      tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank" && victim=$p
    done
    [ -n "$victim" ] && break
  done
  sleep 1
  local killed_at
  killed_at=$(date +%s%N)
  [ -n "$victim" ] && kill -9 "$victim"
  for _ in $(seq 1 150); do
    kill -0 "$launcher" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$launcher" 2>/dev/null; then
    kill -9 "$launcher"
    bad "$tag: the job still runs 15 s later (a hang)"
  fi
  wait "$launcher"
  RC=$?
  set -e
  local secs=$(((killed_at > 0 ? $(date +%s%N) - killed_at : 0) / 1000000))
  if [ -z "$victim" ]; then
    bad "$tag: no rank process found" "$(cat "$T/err")"
  elif [ "$RC" -eq 0 ]; then
    bad "$tag: exit status 0 (the fit ended before the kill? ${secs} ms)"
  elif [ "$secs" -gt 10000 ]; then
    bad "$tag: the job took ${secs} ms to end (limit 10 s)"
  else
    ok "$tag: the job ended in ${secs} ms with status $RC"
  fi
  if grep -q "exited on signal 9" "$T/err"; then ok "$tag: the message names the killed rank"
  else bad "$tag: no message naming it" "$(head -c 600 "$T/err")"; fi
  if [ -z "$(listing "$O" | grep -v '^\.')" ]; then ok "$tag: no output"
  else bad "$tag: output left" "$(listing "$O")"; fi
  if [ "$rank" != 0 ]; then
    if [ -z "$(listing "$O")" ]; then ok "$tag: no temporary file either"
    else bad "$tag: files left" "$(listing "$O")"; fi
  else
    "$STRATA" fit "$D/small.h5" -k 3 --missing mean -o "$O/m.h5" --labels "$O/l.h5" -q 2>"$T/err2" ||
      bad "$tag: the next run" "$(cat "$T/err2")"
    if [ "$(listing "$O" | tr '\n' ' ')" = "l.h5 m.h5 " ]; then
      ok "$tag: the next run to the same outputs removes the dead rank's temporary files"
    else bad "$tag: stale temporary files stay after the next run" "$(listing "$O")"; fi
  fi
}
kill_rank 1
kill_rank 0

# A rank out of memory (rank 1 under ulimit -v; its share of 3e6 rows does not fit): the job
# ends with exit 1, rank 0's one line naming rank 1 and the memory, and no output.
"$STRATA_GEN" -o "$D/big3.h5" --rows 3000000 --seed 5 >/dev/null
rm -rf "$O" && mkdir -p "$O"
start=$(date +%s%N)
set +e
mpirun --oversubscribe --allow-run-as-root -q -n 1 "$STRATA" fit "$D/big3.h5" -k 8 --missing mean --threads 1 \
  -o "$O/m.h5" --labels "$O/l.h5" : -n 1 bash -c "ulimit -v 200000 && exec $STRATA fit $D/big3.h5 -k 8 \
  --missing mean --threads 1 -o $O/m.h5 --labels $O/l.h5" >"$T/out" 2>"$T/err" </dev/null
RC=$?
set -e
secs=$((($(date +%s%N) - start) / 1000000))
if [ "$RC" -eq 1 ] && [ "$secs" -lt 10000 ] && grep -q "^strata: error: rank 1: out of memory" "$T/err" &&
  [ "$(grep -c '^strata: ' "$T/err")" = 1 ] && [ -z "$(listing "$O")" ]; then
  ok "rank 1 out of memory: exit 1 after ${secs} ms, one line naming it, no output"
else
  bad "rank 1 out of memory" "rc=$RC ${secs} ms $(grep -v mca_base "$T/err" | head -c 400) $(listing "$O")"
fi

# A rank that never gets through MPI start-up (Open MPI spins for ever in MPI_Comm_dup when a
# rank's allocations fail there): here rank 1 starts 20 s late and the limit is 2 s.  The job
# ends with exit 1, rank 0's one line, and no output.
rm -rf "$O" && mkdir -p "$O"
start=$(date +%s%N)
set +e
STRATA_MPI_START_TIMEOUT=2 mpirun --oversubscribe --allow-run-as-root -q -x STRATA_MPI_START_TIMEOUT \
  -n 1 "$STRATA" fit "$D/c.h5" -k 3 --missing mean -o "$O/m.h5" : \
  -n 1 bash -c "sleep 20; exec $STRATA fit $D/c.h5 -k 3 --missing mean -o $O/m.h5" >"$T/out" 2>"$T/err" </dev/null
RC=$?
set -e
secs=$((($(date +%s%N) - start) / 1000000))
lines=$(grep -c "MPI start-up did not finish in time" "$T/err" || true)
if [ "$RC" -eq 1 ] && [ "$secs" -lt 10000 ] && [ "$lines" = 1 ] && [ -z "$(listing "$O")" ]; then
  ok "a rank stuck in MPI start-up: exit 1 after ${secs} ms, one line, no output"
else
  bad "a rank stuck in MPI start-up" "rc=$RC ${secs} ms lines=$lines $(head -c 400 "$T/err") $(listing "$O")"
fi
finish

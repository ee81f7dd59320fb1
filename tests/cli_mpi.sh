#!/usr/bin/env bash
# One fit across MPI ranks (issue 14): `mpirun -n P strata fit` gives the
# model, the JSON (timings aside) and the labels of the single-process run,
# bit for bit, for P = 1..4 and 1 or 2 threads per rank: in core and
# streamed, with imputed and dropped missing values, restarts, k-means++ and
# random init, and one-hot categorical columns.  Then the failures: an
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

# same_fit NAME A.json B.json: equal but for what may differ between runs.
same_fit() {
  if python3 - "$2" "$3" >"$T/diff" 2>&1 <<'EOF'; then ok "$1"; else bad "$1" "$(head -c 800 "$T/diff")"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
volatile = {"seconds", "seconds_per_iteration", "peak_rss_bytes", "created", "model", "labels",
            "ranks", "threads", "mode", "backend_reason"}
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

# ---- failures: one line from rank 0, exit status, nothing left behind
O="$T/o"
mkdir "$O"
expect_error_clean "P=2: --missing median refused" 2 "median is not supported across MPI ranks" "$O" \
  "${MPIRUN[@]}" -n 2 "$STRATA" fit "$D/c.h5" -k 3 --missing median -o "$O/m.h5" --labels "$O/l.h5"
for alg in gmm ward; do
  expect_error_clean "P=2: --algorithm $alg refused (only k-means combines across ranks)" 2 \
    "algorithm $alg does not run across MPI ranks" "$O" \
    "${MPIRUN[@]}" -n 2 "$STRATA" fit "$D/c.h5" -k 3 --algorithm $alg -o "$O/m.h5" --labels "$O/l.h5"
done
expect_error_clean "P=2: a command other than fit refused" 2 "does not run across MPI ranks" "$O" \
  "${MPIRUN[@]}" -n 2 "$STRATA" inspect "$D/c.h5"
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
# the launcher's line naming the rank, and neither output nor temporary.
"$STRATA_GEN" -o "$D/big.h5" --rows 1000000 --seed 5 >/dev/null
start=$(date +%s%N)
set +e
mpirun --oversubscribe --allow-run-as-root -n 2 "$STRATA" fit "$D/big.h5" -k 60 --missing mean --tol 0 \
  --max-iter 100000 --streaming --chunk-rows 8192 --threads 1 -o "$O/m.h5" --labels "$O/l.h5" \
  >"$T/out" 2>"$T/err" </dev/null &
launcher=$!
victim=""
for _ in $(seq 1 100); do
  sleep 0.1
  victim=$(pgrep -P "$launcher" | tail -n 1 || true)
  [ -n "$victim" ] && [ -e "/proc/$victim" ] && break
done
sleep 1
killed_at=$(date +%s%N)
[ -n "$victim" ] && kill -9 "$victim"
for _ in $(seq 1 150); do
  kill -0 "$launcher" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$launcher" 2>/dev/null; then
  kill -9 "$launcher"
  bad "kill -9 of a rank: the job still runs 15 s later (a hang)"
fi
wait "$launcher"
RC=$?
set -e
secs=$(((killed_at > 0 ? $(date +%s%N) - killed_at : 0) / 1000000))
if [ -z "$victim" ]; then
  bad "kill -9 of a rank: no rank process found" "$(cat "$T/err")"
elif [ "$RC" -eq 0 ]; then
  bad "kill -9 of a rank: exit status 0 (the fit ended before the kill? ${secs} ms)"
elif [ "$secs" -gt 10000 ]; then
  bad "kill -9 of a rank: the job took ${secs} ms to end (limit 10 s)"
else
  ok "kill -9 of a rank: the job ended in ${secs} ms with status $RC"
fi
if grep -q "exited on signal 9" "$T/err"; then ok "kill -9 of a rank: the message names the killed rank"
else bad "kill -9 of a rank: no message naming it" "$(head -c 600 "$T/err")"; fi
if [ -z "$(listing "$O")" ]; then ok "kill -9 of a rank: no output and no temporary file"
else bad "kill -9 of a rank: files left" "$(listing "$O")"; fi
finish

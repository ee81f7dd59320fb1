#!/usr/bin/env bash
# Checkpoint and resume of a k-means fit (issue 14 point 6), one process:
# SIGTERM or SIGUSR1 at a random iteration saves the checkpoint and stops
# with exit 75 and no output; SIGKILL at a random iteration leaves the last
# periodic checkpoint; `--resume` then finishes with the model, JSON
# (timings aside) and labels of the uninterrupted run, bit for bit, also
# with other threads and in-core/streaming.  A checkpoint of other data or
# other options, or a damaged one, is refused with exit 2.
# (The MPI variant is in tests/cli_mpi.sh.)
NAME=cli_checkpoint
. "$(dirname "$0")/cli_lib.sh"

D="$T/data"
O="$T/o"
mkdir "$D" "$O"
"$STRATA_GEN" -o "$D/c.h5" --rows 150000 --seed 21 --missing 0.02 >/dev/null
# --tol 0: the runs stop only when no label changes or at --max-iter, so
# there are many iterations to stop in.  One thread, streamed: slow enough
# for a signal to land between the iterations it aims at.
FIT=(-k 32 --missing mean --seed 3 --tol 0 --max-iter 80)
SLOW=(--threads 1 --streaming --chunk-rows 4096)
RESTARTS=(-k 24 --missing mean --seed 5 --tol 0 --max-iter 25 --n-init 3)

# same_fit NAME A.json B.json: equal but for timings, paths and where it took up.
same_fit() {
  if python3 - "$2" "$3" >"$T/diff" 2>&1 <<'EOF'; then ok "$1"; else bad "$1" "$(head -c 800 "$T/diff")"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
volatile = {"seconds", "seconds_per_iteration", "peak_rss_bytes", "created", "model", "labels",
            "threads", "mode", "backend_reason", "resumed_from_run", "resumed_from_iteration"}
for j in (a, b):
    for it in j["iterations_stats"]:
        it.pop("seconds"); it.pop("rows_per_second")
diff = [key for key in sorted(set(a) | set(b)) if key not in volatile and a.get(key) != b.get(key)]
assert not diff, "differ: " + ", ".join(f"{key}: {a.get(key)!r:.120} vs {b.get(key)!r:.120}" for key in diff)
EOF
}

# same_outputs NAME TAG: model (JSON, centroids) and labels of TAG equal the reference REF.
same_outputs() {
  local name=$1 tag=$2
  same_fit "$name: model and JSON equal the uninterrupted run" "$T/$REF.json" "$T/$tag.json"
  if labels_equal "$T/$REF.l.h5" "$O/$tag.l.h5" &&
     cmp -s <(h5dump -d /distance -y -w 0 -m %.9g "$T/$REF.l.h5" | sed 1,2d) \
       <(h5dump -d /distance -y -w 0 -m %.9g "$O/$tag.l.h5" | sed 1,2d); then
    ok "$name: labels and distances equal"
  else bad "$name: labels differ from the uninterrupted run"; fi
  if cmp -s <(h5dump -d /centroids -m %.17g "$T/$REF.m.h5" | sed 1d) <(h5dump -d /centroids -m %.17g "$O/$tag.m.h5" | sed 1d)
  then ok "$name: model file centroids equal"
  else bad "$name: model file centroids differ"; fi
}

# The latest "run/n_init iteration" of a --progress log on stderr file $1.
progress_at() { grep -Eo '^strata: +[0-9]+/[0-9]+ +[0-9]+ ' "$1" 2>/dev/null | tail -n 1 | awk '{print $2, $3}'; }

# interrupt SIG RUN ITER ARGS...: starts `strata fit ARGS --progress log`,
# sends SIG once restart RUN (1-based) reached iteration ITER; sets RC,
# leaves stdout/stderr in $T/out and $T/err.  STOPPED_EARLY=1 when the fit
# ended before the signal (the check then proves nothing).
interrupt() {
  local sig=$1 want_run=$2 want_iter=$3 pid at run iter sent=0
  shift 3
  set +e
  "$STRATA" fit "$@" --progress log >"$T/out" 2>"$T/err" </dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    at=$(progress_at "$T/err")
    if [ -n "$at" ]; then
      run=${at%%/*}
      iter=${at##* }
      if [ "$run" -gt "$want_run" ] || { [ "$run" -eq "$want_run" ] && [ "$iter" -ge "$want_iter" ]; }; then
        kill "-$sig" "$pid" 2>/dev/null && sent=1
        break
      fi
    fi
    sleep 0.02
  done
  STOPPED_EARLY=$((1 - sent))
  wait "$pid"
  RC=$?
  set -e
  return 0
}

# The uninterrupted references.
REF=ref
"$STRATA" fit "$D/c.h5" "${FIT[@]}" -o "$T/ref.m.h5" --labels "$T/ref.l.h5" --json >"$T/ref.json"
"$STRATA" fit "$D/c.h5" "${RESTARTS[@]}" -o "$T/ref3.m.h5" --labels "$T/ref3.l.h5" --json >"$T/ref3.json"
iters=$(jq_py "$T/ref.json" 'j["iterations"]')
if [ "$iters" -ge 30 ]; then ok "the reference fit runs $iters iterations"
else bad "the reference fit runs only $iters iterations: too few to stop in"; fi

# ---- SIGTERM at a random iteration, then --resume
# (Targets early in the run leave a margin for a slow, loaded machine.)
at=$((RANDOM % 12 + 3))
interrupt TERM 1 "$at" "$D/c.h5" "${FIT[@]}" "${SLOW[@]}" --checkpoint "$O/ck" -o "$O/t.m.h5" --labels "$O/t.l.h5"
if [ "$STOPPED_EARLY" -eq 1 ]; then
  bad "SIGTERM at iteration $at: the fit finished first; nothing was checked"
elif [ "$RC" -eq 75 ] && grep -Eq '^strata: stopped on request after iteration [0-9]+ of run 1; checkpoint saved to .*; resume with --resume' "$T/err" &&
     [ ! -s "$T/out" ] && [ "$(listing "$O")" = "ck" ]; then
  ok "SIGTERM at iteration $at: exit 75, the message, only the checkpoint left"
else
  bad "SIGTERM at iteration $at" "exit $RC: $(grep -v '^strata: *[0-9]' "$T/err" | head -c 400)" "files: $(listing "$O" | tr '\n' ' ')"
fi
stopped=$(sed -n 's/.*stopped on request after iteration \([0-9]*\) of run.*/\1/p' "$T/err")
run "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$O/ck" --checkpoint "$O/ck" -o "$O/t.m.h5" --labels "$O/t.l.h5" --json
cp "$T/out" "$T/t.json"
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/t.json" 'j["resumed_from_run"], j["resumed_from_iteration"]')" = "(0, ${stopped:-x})" ]; then
  ok "resume after SIGTERM: exit 0, --json says resumed_from_iteration $stopped"
else bad "resume after SIGTERM" "exit $RC $(head -c 300 "$T/err")" "$(head -c 200 "$T/out")"; fi
same_outputs "resume after SIGTERM (iteration $stopped)" t
if [ "$(listing "$O" | tr '\n' ' ')" = "t.l.h5 t.m.h5 " ]; then ok "resume: the checkpoint is removed when the fit completes"
else bad "resume: files left" "$(listing "$O" | tr '\n' ' ')"; fi
rm -f "$O"/*

# ---- SIGUSR1 in the second of three restarts; resumed in core on 2 threads
REF=ref3
at=$((RANDOM % 8 + 2))
interrupt USR1 2 "$at" "$D/c.h5" "${RESTARTS[@]}" "${SLOW[@]}" --checkpoint "$O/ck3" -o "$O/u.m.h5" --labels "$O/u.l.h5"
if [ "$STOPPED_EARLY" -eq 0 ] && [ "$RC" -eq 75 ] && grep -Eq 'of run [23]; checkpoint saved' "$T/err" &&
   [ "$(listing "$O")" = "ck3" ]; then
  ok "SIGUSR1 in restart 2, iteration $at: exit 75, only the checkpoint left"
else bad "SIGUSR1 in restart 2, iteration $at" "exit $RC early=$STOPPED_EARLY: $(grep -v '^strata: *[0-9]' "$T/err" | head -c 400)"; fi
stopped_run=$(sed -n 's/.*stopped on request after iteration [0-9]* of run \([0-9]*\);.*/\1/p' "$T/err")
cp "$O/ck3" "$T/ck3.keep"
run "$STRATA" fit "$D/c.h5" "${RESTARTS[@]}" --threads 2 --resume "$O/ck3" -o "$O/u.m.h5" --labels "$O/u.l.h5" --json
cp "$T/out" "$T/u.json"
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/u.json" 'j["resumed_from_run"] + 1')" = "${stopped_run:-x}" ]; then
  ok "resume in restart $stopped_run (2 threads, in core): exit 0, resumed_from_run $((stopped_run - 1))"
else bad "resume in restart 2" "exit $RC $(head -c 300 "$T/err")"; fi
same_outputs "resume in restart 2" u
rm -f "$O"/*

# ---- SIGKILL at a random iteration: the last periodic checkpoint
REF=ref
at=$((RANDOM % 12 + 5))
interrupt KILL 1 "$at" "$D/c.h5" "${FIT[@]}" "${SLOW[@]}" --checkpoint "$O/ckk" --checkpoint-every 4 \
  -o "$O/k.m.h5" --labels "$O/k.l.h5"
if [ "$STOPPED_EARLY" -eq 0 ] && [ "$RC" -eq 137 ] && [ -f "$O/ckk" ] && [ ! -e "$O/k.m.h5" ]; then
  ok "SIGKILL at iteration $at: the periodic checkpoint is there, no model"
else bad "SIGKILL at iteration $at" "exit $RC early=$STOPPED_EARLY files: $(listing "$O" | tr '\n' ' ')"; fi
# The fit may have gone on a few iterations between the progress line and the kill.
last=$(progress_at "$T/err" | awk '{print $2}')
cp "$O/ckk" "$T/ckk.keep"
run "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$O/ckk" --checkpoint "$O/ckk" -o "$O/k.m.h5" --labels "$O/k.l.h5" --json
cp "$T/out" "$T/k.json"
from=$(jq_py "$T/k.json" 'j.get("resumed_from_iteration")' 2>/dev/null || echo x)
if [ "$RC" -eq 0 ] && [ "$from" != x ] && [ "$from" != None ] && [ $((from % 4)) -eq 0 ] && [ "$from" -le "${last:-0}" ] && [ "$from" -gt $((last - 8)) ]; then
  # (A kill during a save leaves the checkpoint before it: hence up to 8 back.)
  ok "resume after SIGKILL: from iteration $from (the last whole save, multiple of 4, before the kill at $last)"
else bad "resume after SIGKILL" "exit $RC from=$from $(head -c 300 "$T/err")"; fi
same_outputs "resume after SIGKILL (iteration $from)" k
if [ "$(listing "$O" | tr '\n' ' ')" = "k.l.h5 k.m.h5 " ]; then
  ok "resume after SIGKILL: the killed run's temporary files and the checkpoint are gone"
else bad "resume after SIGKILL: files left" "$(listing "$O" | tr '\n' ' ')"; fi
rm -f "$O"/*

# ---- refusals: exit 2, one line, no output
ck="$T/ckk.keep"
expect_error_clean "resume with another k" 2 "does not belong to this fit: k is 32 there, 31 here" "$O" \
  "$STRATA" fit "$D/c.h5" -k 31 --missing mean --seed 3 --tol 0 --max-iter 80 --resume "$ck" -o "$O/m.h5"
expect_error_clean "resume with another seed" 2 "does not belong to this fit: seed is 3 there, 4 here" "$O" \
  "$STRATA" fit "$D/c.h5" -k 32 --missing mean --seed 4 --tol 0 --max-iter 80 --resume "$ck" -o "$O/m.h5"
expect_error_clean "resume with another scaler" 2 "does not belong to this fit: scale is" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --scale minmax --resume "$ck" -o "$O/m.h5"
expect_error_clean "resume with other features" 2 "does not belong to this fit: features is" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --features age,income --resume "$ck" -o "$O/m.h5"
expect_error_clean "resume the restarts' checkpoint with --n-init 2" 2 "n-init is 3 there, 2 here" "$O" \
  "$STRATA" fit "$D/c.h5" -k 24 --missing mean --seed 5 --tol 0 --max-iter 25 --n-init 2 --resume "$T/ck3.keep" -o "$O/m.h5"
cp "$D/c.h5" "$D/copy.h5"
expect_error_clean "resume on another input file" 2 "does not belong to this fit: input is .*c.h5 there, .*copy.h5 here" "$O" \
  "$STRATA" fit "$D/copy.h5" "${FIT[@]}" --resume "$ck" -o "$O/m.h5"
cp -p "$D/c.h5" "$T/c.h5.orig"
touch -d '2001-01-01' "$D/c.h5"
expect_error_clean "resume on an input file modified since" 2 "does not belong to this fit: input modified is" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$ck" -o "$O/m.h5"
cp -p "$T/c.h5.orig" "$D/c.h5"
# The same path, size and time but other values: the statistics pass tells.
"$STRATA_GEN" -o "$D/other.h5" --rows 150000 --seed 22 --missing 0.02 >/dev/null
if [ "$(stat -c %s "$D/other.h5")" = "$(stat -c %s "$D/c.h5")" ]; then
  cp "$D/other.h5" "$D/c.h5"
  touch -r "$T/c.h5.orig" "$D/c.h5"
  expect_error_clean "resume on other values with the same name, size and time" 2 \
    "does not belong to this fit: data statistics is" "$O" "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$ck" -o "$O/m.h5"
  cp -p "$T/c.h5.orig" "$D/c.h5"
else
  skip "resume on other values with the same size" "the generated files differ in size"
fi
size=$(stat -c %s "$ck")
head -c $((size - 5)) "$ck" >"$T/trunc.ck"
expect_error_clean "a truncated checkpoint" 2 "checkpoint '.*trunc.ck' is damaged .*length" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$T/trunc.ck" -o "$O/m.h5"
cp "$ck" "$T/flip.ck"
printf '\x5a' | dd of="$T/flip.ck" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect_error_clean "a checkpoint with one byte changed" 2 "checkpoint '.*flip.ck' is damaged .*checksum" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$T/flip.ck" -o "$O/m.h5"
expect_error_clean "a model file given as a checkpoint" 2 "is damaged or not a Strata checkpoint" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$T/ref.m.h5" -o "$O/m.h5"
: >"$T/empty.ck"
expect_error_clean "an empty checkpoint" 2 "is damaged or not a Strata checkpoint" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$T/empty.ck" -o "$O/m.h5"
expect_error_clean "a checkpoint that does not exist" 2 "cannot open checkpoint '.*nothere.ck'" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$T/nothere.ck" -o "$O/m.h5"
expect_error_clean "a directory given as a checkpoint" 2 "checkpoint '.*' is not a regular file" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --resume "$D" -o "$O/m.h5"
expect_error_clean "--checkpoint with gmm" 2 "checkpoint and resume are for k-means fits" "$O" \
  "$STRATA" fit "$D/c.h5" -k 3 --missing mean --algorithm gmm --checkpoint "$O/ck" -o "$O/m.h5"
expect_error_clean "--checkpoint-every without --checkpoint" 2 "checkpoint-every needs a checkpoint file" "$O" \
  "$STRATA" fit "$D/c.h5" -k 3 --missing mean --checkpoint-every 2 -o "$O/m.h5"
expect_error_clean "--checkpoint onto the data file" 2 "checkpoint file .* is the data" "$O" \
  "$STRATA" fit "$D/c.h5" -k 3 --missing mean --checkpoint "$D/c.h5" -o "$O/m.h5"
other=ref
[ "$(jq_py "$T/ref.json" 'j["backend"]')" = ref ] && other=blas
expect_error_clean "--resume with an explicit other backend ($other)" 2 "was made with backend" "$O" \
  "$STRATA" fit "$D/c.h5" "${FIT[@]}" --backend "$other" --resume "$ck" -o "$O/m.h5"

# ---- row weights: SIGTERM, then --resume (the weighted statistics, seeding
# and passes taken up), and a resume without the weights refused
python3 - "$D/w.csv" <<'EOF'
import random, sys
random.seed(8)
with open(sys.argv[1], "w") as f:
    f.write("a,b,c,d,value\n")
    for i in range(60000):
        s = i % 20
        f.write(",".join(f"{(s >> q & 3) * 2 + random.gauss(0, 1.2):.3f}" for q in range(4)) +
                f",{0 if i % 13 == 0 else random.expovariate(0.05):.2f}\n")
EOF
"$STRATA" import "$D/w.csv" -o "$D/w.h5" -q
WFIT=(-k 20 --weights value --seed 4 --tol 0 --max-iter 80)
"$STRATA" fit "$D/w.h5" "${WFIT[@]}" -o "$T/refw.m.h5" --labels "$T/refw.l.h5" --json >"$T/refw.json"
REF=refw
at=$((RANDOM % 6 + 3))
interrupt TERM 1 "$at" "$D/w.h5" "${WFIT[@]}" "${SLOW[@]}" --checkpoint "$O/ckw" -o "$O/w.m.h5" --labels "$O/w.l.h5"
if [ "$STOPPED_EARLY" -eq 0 ] && [ "$RC" -eq 75 ] && [ "$(listing "$O")" = "ckw" ]; then
  ok "weighted fit: SIGTERM at iteration $at, exit 75, only the checkpoint left"
else bad "weighted fit: SIGTERM at iteration $at" "exit $RC early=$STOPPED_EARLY: $(grep -v '^strata: *[0-9]' "$T/err" | head -c 400)"; fi
expect_error_clean "a weighted checkpoint resumed without --weights" 2 "does not belong to this fit" "$O" \
  "$STRATA" fit "$D/w.h5" -k 20 --features a,b,c,d --seed 4 --tol 0 --max-iter 80 --resume "$O/ckw" -o "$O/m.h5"
run "$STRATA" fit "$D/w.h5" "${WFIT[@]}" --resume "$O/ckw" -o "$O/w.m.h5" --labels "$O/w.l.h5" --json
cp "$T/out" "$T/w.json"
if [ "$RC" -eq 0 ]; then ok "weighted fit: resume exits 0"; else bad "weighted resume" "exit $RC $(head -c 300 "$T/err")"; fi
same_outputs "weighted resume" w
rm -rf "${O:?}"/*

# ---- without --checkpoint, SIGUSR1 is ignored (the fit completes)
interrupt USR1 1 3 "$D/c.h5" -k 24 --missing mean --seed 3 --tol 0 --max-iter 40 "${SLOW[@]}" -o "$O/n.m.h5"
if [ "$STOPPED_EARLY" -eq 0 ] && [ "$RC" -eq 0 ] && [ -f "$O/n.m.h5" ]; then ok "SIGUSR1 without --checkpoint: ignored, exit 0"
else bad "SIGUSR1 without --checkpoint" "exit $RC early=$STOPPED_EARLY $(grep -v '^strata: *[0-9]' "$T/err" | head -c 300)"; fi
finish

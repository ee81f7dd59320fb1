#!/usr/bin/env bash
# docs/CLUSTER.md's Slurm and PBS job scripts (issue 14 point 7), run as
# written on this machine, with only what it lacks replaced:
#  - the launcher: Slurm's `srun --cpu-bind=sockets` and PBS's
#    `mpirun --map-by ppr:1:socket:PE=16 --bind-to core` become
#    `mpirun --oversubscribe --allow-run-as-root -q -n 2` (no Slurm, 2 cores);
#  - `scontrol` is a stub on PATH that records its arguments;
#  - the scheduler's variables (SLURM_SUBMIT_DIR, SLURM_JOB_ID,
#    SLURM_CPUS_PER_TASK, PBS_O_WORKDIR) are set as the scheduler would;
#  - the table on the parallel file system is a generated one (1e6 rows),
#    and the fit has k = 64 and `--tol 0 --max-iter 2000` (about 200
#    iterations, 3-4 s here) so that it is still iterating when the signal
#    or the kill comes, 1.5 s in.
# Checks: the uninterrupted script exits 0 with 2 ranks, a model and labels
# and no checkpoint left; Slurm: SIGUSR1 to a rank (what srun delivers for
# --signal=USR1@120) makes the script exit 75 and requeue its job, with the
# checkpoint saved and no model; the requeued script (the same one) resumes
# and gives the uninterrupted labels bit for bit; PBS: the job killed with
# SIGKILL (the walltime's end) and rerun takes up the periodic checkpoint and
# gives the same labels.  Registered with -DSTRATA_MPI=ON; without mpirun it
# skips (fails with CI=true).
NAME=cluster_templates
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
doc="$here/../docs/CLUSTER.md"
if ! command -v mpirun >/dev/null 2>&1; then
  unavailable "mpirun not found (Debian: openmpi-bin)"
  finish
fi
STRATA=$(realpath "$(command -v "$STRATA")")
LAUNCH="mpirun --oversubscribe --allow-run-as-root -q -n 2"

# template HEADING: the first ```bash block after the line "## HEADING".
template() {
  awk -v h="## $1" '$0 == h { on = 1; next } on && /^```bash/ { inb = 1; next }
                    inb && /^```/ { exit } inb { print }' "$doc"
}
"$STRATA_GEN" -o "$T/customers.h5" --rows 1000000 --seed 21 --missing 0.02 >/dev/null
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "$@" >>"%s/scontrol.log"\n' "$T" >"$T/bin/scontrol"
chmod +x "$T/bin/scontrol"
# A directory on PATH named strata: the templates call `strata`.
ln -s "$STRATA" "$T/bin/strata"

slurm=$(template "Slurm")
pbs=$(template "PBS / Torque")
[ -n "$slurm" ] && ok "the Slurm template is in docs/CLUSTER.md" || bad "no Slurm template in docs/CLUSTER.md"
[ -n "$pbs" ] && ok "the PBS template is in docs/CLUSTER.md" || bad "no PBS template in docs/CLUSTER.md"
# local SCRIPT: the script with this machine's launcher, data and a long fit.
local_script() {
  printf '%s\n' "$1" |
    sed -e "s#srun --cpu-bind=sockets strata#$LAUNCH strata#" \
        -e "s#mpirun --map-by ppr:1:socket:PE=16 --bind-to core#$LAUNCH#" \
        -e "s#/lustre/\$USER/customers.h5#$T/customers.h5#" \
        -e "s#/scratch/\$USER/customers.h5#$T/customers.h5#" \
        -e "s#-k 8 --missing mean#-k 64 --missing mean --tol 0 --max-iter 2000#"
}
printf '%s\n' "$(local_script "$slurm")" >"$T/slurm.sh"
printf '%s\n' "$(local_script "$pbs")" >"$T/pbs.sh"
for s in slurm pbs; do
  if grep -q "$T/customers.h5" "$T/$s.sh" && grep -q -- "-k 64 --missing mean --tol 0" "$T/$s.sh" &&
    grep -q "$LAUNCH" "$T/$s.sh"; then
    ok "$s: launcher, data and fit length replaced"
  else
    bad "$s: the template changed (the replacements no longer apply)" "$(cat "$T/$s.sh")"
  fi
done

# job KIND DIR [SIGNAL]: runs KIND's script in DIR (its submit directory)
# as the scheduler would, in its own process group; with SIGNAL, after 1.5 s
# sends it (USR1: to rank 1, as srun delivers it; KILL: to the whole job).
# Sets RC.
job() {
  local kind=$1 dir=$2 sig=${3:-} pid victim="" p
  mkdir -p "$dir"
  set +e
  (cd "$dir" && SLURM_SUBMIT_DIR=$dir SLURM_JOB_ID=4242 SLURM_CPUS_PER_TASK=1 PBS_O_WORKDIR=$dir \
    PATH="$T/bin:$PATH" setsid bash "$T/$kind.sh" >"$dir/stdout" 2>"$dir/stderr") &
  pid=$!
  if [ -n "$sig" ]; then
    sleep 1.5
    if [ "$sig" = USR1 ]; then
      for p in $(pgrep -f "strata fit $T/customers.h5"); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && victim=$p
      done
      [ -n "$victim" ] && kill -USR1 "$victim"
    else
      pkill -KILL -f "strata fit $T/customers.h5"
    fi
  fi
  wait "$pid"
  RC=$?
  set -e
}

# Uninterrupted: the reference.
job slurm "$T/ref"
if [ "$RC" -eq 0 ] && [ -f "$T/ref/model.h5" ] && [ -f "$T/ref/labels.h5" ] && [ ! -e "$T/ref/fit.ckpt" ] &&
  grep -q '"ranks":2' "$T/ref/fit.json"; then
  ok "slurm: the script runs to the end on 2 ranks (model, labels, no checkpoint left)"
else
  bad "slurm: the uninterrupted script" "rc=$RC $(tail -c 400 "$T/ref/stderr")"
fi

# Slurm's warning signal, then the requeued job.
job slurm "$T/s" USR1
if [ "$RC" -eq 75 ] && [ -f "$T/s/fit.ckpt" ] && [ ! -e "$T/s/model.h5" ] &&
  grep -q "requeue 4242" "$T/scontrol.log" 2>/dev/null; then
  ok "slurm: SIGUSR1 to a rank: exit 75, checkpoint saved, no model, scontrol requeue 4242"
else
  bad "slurm: SIGUSR1 to a rank" "rc=$RC $(tail -c 400 "$T/s/stderr") scontrol: $(cat "$T/scontrol.log" 2>/dev/null)"
fi
job slurm "$T/s"
if [ "$RC" -eq 0 ] && grep -q '"resumed_from_iteration"' "$T/s/fit.json" && [ ! -e "$T/s/fit.ckpt" ] &&
  labels_equal "$T/ref/labels.h5" "$T/s/labels.h5"; then
  ok "slurm: the requeued script resumes and gives the uninterrupted labels bit for bit"
else
  bad "slurm: the requeued script" "rc=$RC $(tail -c 400 "$T/s/stderr")"
fi

# PBS: killed at the walltime (SIGKILL), then rerun.
job pbs "$T/p" KILL
if [ "$RC" -ne 0 ] && [ -f "$T/p/fit.ckpt" ] && [ ! -e "$T/p/model.h5" ]; then
  ok "pbs: the job killed mid-fit leaves its periodic checkpoint and no model (rc=$RC)"
else
  bad "pbs: the killed job" "rc=$RC $(ls -A "$T/p" | tr '\n' ' ')"
fi
job pbs "$T/p"
if [ "$RC" -eq 0 ] && grep -q '"resumed_from_iteration"' "$T/p/fit.json" && labels_equal "$T/ref/labels.h5" "$T/p/labels.h5"; then
  ok "pbs: the rerun takes up the checkpoint and gives the uninterrupted labels bit for bit"
else
  bad "pbs: the rerun" "rc=$RC $(tail -c 400 "$T/p/stderr")"
fi
finish

#!/usr/bin/env bash
# A file size limit (ulimit -f: what a full disk looks like to a writer,
# without needing root for a small tmpfs) makes every writing command fail
# with exit 1, one error line and nothing left behind: no output, no
# temporary file.  import used to crash in HDF5's exit handler (exit 139)
# after a failed close; import and export used to die of SIGXFSZ with their
# temporary files left.  Then a memory limit (ulimit -v): fit, and every
# other command that reads or writes (import, export, assign, pca, profile,
# report, sweep, stability, explain, inspect, rfm), either fits or fails
# with exit 1, one "out of memory" line and nothing left behind.
NAME=cli_limits
. "$(dirname "$0")/cli_lib.sh"

O="$T/outputs"
mkdir "$O"
awk 'BEGIN { print "id,spend,visits,region"; for (i = 0; i < 60000; i++) printf "%d,%.3f,%d,r%d\n", i, (i * 7919) % 1000 / 3.0, i % 13, i % 5 }' >"$T/big.csv"
"$STRATA" import "$T/big.csv" -o "$T/big.h5" -q
"$STRATA" fit "$T/big.h5" -k 3 --features spend,visits -o "$T/m.h5" --labels "$T/l.h5" -q

# limited NAME KB CMD...: runs CMD with files limited to KB KiB (SIGXFSZ at
# its default action, as a shell leaves it) and checks the failure.
limited() {
  local name=$1 kb=$2
  shift 2
  local before after lines
  before=$(listing "$O")
  set +e
  (ulimit -f "$kb" && exec "$@") >"$T/out" 2>"$T/err" </dev/null
  RC=$?
  set -e
  lines=$(wc -l <"$T/err")
  after=$(listing "$O")
  if [ "$RC" -eq 1 ] && [ "$lines" -eq 1 ] && grep -Eq '^strata: error: .*(too large|limit)' "$T/err" &&
     [ "$before" = "$after" ]; then
    ok "$name: exit 1, one line, nothing left behind"
  else
    bad "$name" "exit $RC, $lines stderr lines: $(head -c 300 "$T/err")" "outputs: $(echo $after)"
  fi
}

limited "import over the limit" 24 "$STRATA" import "$T/big.csv" -o "$O/out.h5"
limited "export over the limit" 256 "$STRATA" export "$T/l.h5" --data "$T/big.h5" -o "$O/e.csv"
limited "fit's labels over the limit" 256 \
  "$STRATA" fit "$T/big.h5" -k 3 --features spend,visits -o "$O/m.h5" --labels "$O/l.h5"
limited "assign's labels over the limit" 256 "$STRATA" assign "$T/m.h5" "$T/big.h5" --labels "$O/l.h5"

# Out of memory (ulimit -v, RLIMIT_AS): HDF5 cannot allocate the chunk
# buffer of an in-core read of 200,000 rows.  Exit 1 saying out of memory
# (it used to say the file was corrupt, exit 2), nothing left behind.
# Without OPENBLAS_NUM_THREADS: the pthread OpenBLAS's pool, started before
# main, spun forever in mmap under the limit and the exit waited for it (a
# hang, killed by the timeout); strata now runs itself again with one
# OpenBLAS thread, so that no pool starts.  A sanitizer build cannot run
# under the limit: SKIP.
"$STRATA_GEN" --rows 200000 --seed 3 -o "$T/wide.h5" >/dev/null
VMEM=100000
if ! (ulimit -v "$VMEM" && exec "$STRATA" --version) >/dev/null 2>&1; then
  skip "out of memory: this build cannot start under ulimit -v $VMEM (a sanitizer build)"
else
  before=$(listing "$O")
  set +e
  (unset OPENBLAS_NUM_THREADS; ulimit -v "$VMEM" && exec timeout -s KILL 120 "$STRATA" fit "$T/wide.h5" -k 4 \
    --missing drop --threads 1 -o "$O/m.h5" --labels "$O/l.h5") >"$T/out" 2>"$T/err" </dev/null
  RC=$?
  set -e
  if [ "$RC" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^strata: error: out of memory' "$T/err" &&
     [ "$before" = "$(listing "$O")" ]; then
    ok "fit out of memory: exit 1, one line, nothing left behind"
  else
    bad "fit out of memory" "exit $RC: $(head -c 300 "$T/err")" "outputs: $(listing "$O" | tr '\n' ' ')"
  fi
  # Every other command that reads or writes, under the same limit: it
  # either fits (exit 0, its output there) or says out of memory (exit 1,
  # one line, nothing left behind); never a crash, a hang (the timeout's
  # kill) or another message.
  "$STRATA" fit "$T/wide.h5" -k 4 --missing drop -o "$T/wide.m.h5" --labels "$T/wide.l.h5" -q
  "$STRATA" export "$T/wide.l.h5" --with "$T/wide.h5" -o "$T/wide.csv" -q
  awk 'BEGIN { print "cust,inv,date,qty,price"; for (i = 0; i < 300000; i++) printf "c%d,i%d,2024-%02d-%02d,%d,%.2f\n", i % 5000, int(i / 3), i % 12 + 1, i % 28 + 1, i % 7 + 1, (i * 13) % 100 / 3.0 }' >"$T/tx.csv"
  under_limit() {
    local name=$1 out=$2
    shift 2
    local before
    before=$(listing "$O")
    set +e
    (unset OPENBLAS_NUM_THREADS; ulimit -v "$VMEM" && exec timeout -s KILL 120 "$@") >"$T/out" 2>"$T/err" </dev/null
    RC=$?
    set -e
    if [ "$RC" -eq 0 ] && { [ -z "$out" ] || [ -s "$out" ]; }; then
      ok "$name under ulimit -v $VMEM: fits (exit 0)"
      rm -f "$O"/*
    elif [ "$RC" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^strata: error: out of memory' "$T/err" &&
         [ "$before" = "$(listing "$O")" ]; then
      ok "$name under ulimit -v $VMEM: exit 1, out of memory in one line, nothing left behind"
    else
      bad "$name under ulimit -v $VMEM" "exit $RC: $(head -c 300 "$T/err")" "outputs: $(listing "$O" | tr '\n' ' ')"
    fi
  }
  under_limit import "$O/i.h5" "$STRATA" import "$T/wide.csv" -o "$O/i.h5" -q
  under_limit export "$O/e.csv" "$STRATA" export "$T/wide.l.h5" --with "$T/wide.h5" -o "$O/e.csv" -q
  under_limit assign "$O/a.h5" "$STRATA" assign "$T/wide.m.h5" "$T/wide.h5" --labels "$O/a.h5" --threads 1 -q
  under_limit pca "$O/p.h5" "$STRATA" pca "$T/wide.h5" -o "$O/p.h5" --threads 1 -q
  under_limit profile "$O/pr.txt" "$STRATA" profile "$T/wide.m.h5" "$T/wide.h5" -o "$O/pr.txt" --threads 1
  under_limit report "$O/r.html" "$STRATA" report "$T/wide.m.h5" "$T/wide.h5" -o "$O/r.html" --threads 1 -q
  under_limit sweep "$O/s.json" "$STRATA" sweep "$T/wide.h5" -k 2:4 --missing drop -o "$O/s.json" --threads 1
  under_limit stability "$O/st.json" "$STRATA" stability "$T/wide.h5" -k 3 --missing drop --runs 2 -o "$O/st.json" \
    --threads 1
  under_limit explain "" "$STRATA" explain "$T/wide.m.h5" "$T/wide.h5" --threads 1
  under_limit inspect "" "$STRATA" inspect "$T/wide.h5"
  under_limit rfm "$O/c.h5" "$STRATA" rfm "$T/tx.csv" --customer cust --invoice inv --date date --quantity qty \
    --price price -o "$O/c.h5" -q
  # OpenBLAS retries its 128 MiB work buffer for ever when it cannot have
  # it: sgemm (the BLAS backend) and dsyrk/dsyevd (pca of 64 columns) under
  # limits where the data fits but the buffer may not.
  awk 'BEGIN { srand(5); for (j = 0; j < 64; j++) printf "%sc%d", j ? "," : "", j; print ""
               for (i = 0; i < 20000; i++) { for (j = 0; j < 64; j++) printf "%s%.3f", j ? "," : "", rand(); print "" } }' \
    >"$T/d64.csv"
  "$STRATA" import "$T/d64.csv" -o "$T/d64.h5" -q
  for vmem in 150000 200000 300000; do
    VMEM=$vmem under_limit "fit --backend blas" "$O/m64.h5" "$STRATA" fit "$T/d64.h5" -k 256 --backend blas \
      --max-iter 3 -o "$O/m64.h5" --threads 1 -q
    VMEM=$vmem under_limit "pca of 64 columns" "$O/p64.h5" "$STRATA" pca "$T/d64.h5" -o "$O/p64.h5" --threads 1 -q
  done
fi
finish

#!/usr/bin/env bash
# SIGTERM and SIGINT end a running command with exit 1, one error line and
# no output: during a fit's Lloyd passes, and during PCA's
# eigendecomposition (LAPACK cannot be interrupted: the signal is honoured
# when it returns, where the old binary went on and exited 0 with its
# output).  Each run is signalled while it is still running; a run that
# finished first would prove nothing, so that counts as a failure to
# measure, not a pass.
NAME=cli_signals
. "$(dirname "$0")/cli_lib.sh"

O="$T/outputs"
mkdir "$O"
"$STRATA_GEN" --rows 400000 --seed 5 --missing 0 -o "$T/c.h5"
# 1200 columns: the covariance's eigendecomposition takes about a second.
"$STRATA_GEN" --kind blobs --rows 1500 --dims 1200 --centers 4 --seed 6 -o "$T/wide.h5"

# signalled NAME SIGNAL DELAY CMD...: starts CMD, sends SIGNAL after DELAY
# seconds, and checks exit 1, one "cancelled" line and an untouched $O.
signalled() {
  local name=$1 sig=$2 delay=$3
  shift 3
  local before after pid lines
  before=$(listing "$O")
  set +e
  "$@" >"$T/out" 2>"$T/err" </dev/null &
  pid=$!
  sleep "$delay"
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    bad "$name: finished (exit $?) before the signal after ${delay}s; the check did not run"
    set -e
    return
  fi
  kill "-$sig" "$pid"
  wait "$pid"
  RC=$?
  set -e
  lines=$(wc -l <"$T/err")
  after=$(listing "$O")
  if [ "$RC" -eq 1 ] && [ "$lines" -eq 1 ] && grep -Eqi '^strata: error: .*cancel' "$T/err" && [ ! -s "$T/out" ] &&
     [ "$before" = "$after" ]; then
    ok "$name: exit 1, one line, no output"
  else
    bad "$name" "exit $RC, $lines stderr lines: $(head -c 300 "$T/err")" "outputs: $(echo $after)"
  fi
}

signalled "SIGTERM during fit" TERM 0.5 \
  "$STRATA" fit "$T/c.h5" -k 8 --max-iter 100000 --tol 0 --streaming -o "$O/m.h5" --labels "$O/l.h5"
signalled "SIGINT during fit" INT 0.5 \
  "$STRATA" fit "$T/c.h5" -k 8 --max-iter 100000 --tol 0 --streaming -o "$O/m.h5" --labels "$O/l.h5"
signalled "SIGTERM during pca" TERM 0.4 "$STRATA" pca "$T/wide.h5" -o "$O/p.h5" --json

# A second signal ends a command still running after the first cancelled
# it (a loop that does not poll: a report drawing a damaged dendrogram once
# ran for ever, deaf to SIGTERM): exit 1 at once with one line, no output;
# the hidden temporaries it leaves are removed by the next run to the same
# outputs.  Both signals land together: the run is stopped, sent SIGTERM
# and SIGINT (two different signals stay pending; two SIGTERMs would
# merge), then continued.
set +e
"$STRATA" fit "$T/c.h5" -k 8 --max-iter 100000 --tol 0 --streaming -o "$O/m.h5" --labels "$O/l.h5" \
  >"$T/out" 2>"$T/err" </dev/null &
pid=$!
sleep 0.5
if kill -0 "$pid" 2>/dev/null; then
  kill -STOP "$pid"
  kill -TERM "$pid"
  kill -INT "$pid"
  kill -CONT "$pid"
  wait "$pid"
  RC=$?
  set -e
  if [ "$RC" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^strata: error: stopped by a second signal' "$T/err" &&
     [ ! -e "$O/m.h5" ] && [ ! -e "$O/l.h5" ]; then
    ok "a second signal: exit 1 at once, one line, no output"
  else
    bad "a second signal" "exit $RC: $(head -c 300 "$T/err")" "outputs: $(listing "$O" | tr '\n' ' ')"
  fi
  run "$STRATA" fit "$T/c.h5" -k 2 --max-iter 1 -o "$O/m.h5" --labels "$O/l.h5" -q
  if [ "$RC" -eq 0 ] && [ "$(listing "$O" | tr '\n' ' ')" = "l.h5 m.h5 " ]; then
    ok "the next run to the same outputs removes the temporaries the second signal left"
  else
    bad "the next run removes the temporaries" "exit $RC" "outputs: $(listing "$O" | tr '\n' ' ')"
  fi
  rm -f "$O/m.h5" "$O/l.h5"
else
  wait "$pid"
  set -e
  bad "a second signal: the fit finished before the signals; the check did not run"
fi
finish

#!/usr/bin/env bash
# `-o -`: a text output (export's CSV, pca's projection CSV, the HTML
# report, sweep, stability and profile) goes to standard output, equal to
# what -o FILE writes, with nothing else on stdout and no file left in the
# working directory; an HDF5 output (fit's model and labels, assign's
# labels, import's table) and `-o -` with --json (both on stdout) are
# refused with exit 2 and one line, before any work.
NAME=cli_stdout
. "$(dirname "$0")/cli_lib.sh"

D="$T/data"
W="$T/work"
mkdir "$D" "$W"
"$STRATA_GEN" --kind blobs --rows 3000 --dims 4 --centers 3 --seed 2 -o "$D/b.h5" >/dev/null
"$STRATA" fit "$D/b.h5" -k 3 -o "$D/m.h5" --labels "$D/l.h5" -q
cd "$W"

# same_as_file TAG CMD...: CMD -o - equals CMD -o FILE (timings aside), on
# stdout only, no file left here.
same_as_file() {
  local tag=$1
  shift
  "$@" -o "$T/file.out" -q >/dev/null 2>"$T/err" || { bad "$tag: -o FILE" "$(cat "$T/err")"; return; }
  run "$@" -o -
  if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && [ -s "$T/out" ] && [ -z "$(listing "$W")" ] &&
     cmp -s <(sed -E 's/"seconds": ?[^,}]*//' "$T/file.out") <(sed -E 's/"seconds": ?[^,}]*//' "$T/out"); then
    ok "$tag: -o - writes what -o FILE writes, to stdout only"
  else
    bad "$tag: -o -" "exit $RC, stderr: $(head -c 300 "$T/err")" "files here: $(listing "$W" | tr '\n' ' ')" \
      "$(diff "$T/file.out" "$T/out" | head -5)"
  fi
}
same_as_file export "$STRATA" export "$D/l.h5"
same_as_file pca "$STRATA" pca "$D/b.h5" --sample 500
same_as_file sweep_csv "$STRATA" sweep "$D/b.h5" -k 2:4 --csv
same_as_file sweep_json "$STRATA" sweep "$D/b.h5" -k 2:4 --json
same_as_file stability "$STRATA" stability "$D/b.h5" -k 3 --runs 3 --json
same_as_file profile "$STRATA" profile "$D/m.h5" "$D/b.h5" --csv
# The report embeds its creation time: compared without it.
"$STRATA" report "$D/m.h5" "$D/b.h5" -o "$T/r.html" -q
run "$STRATA" report "$D/m.h5" "$D/b.h5" -o -
if [ "$RC" -eq 0 ] && grep -q '^<!DOCTYPE html>' "$T/out" && [ "$(wc -c <"$T/out")" -gt 10000 ] &&
   [ "$(grep -c . "$T/out")" = "$(grep -c . "$T/r.html")" ] && [ -z "$(listing "$W")" ]; then
  ok "report: -o - writes the page to stdout only"
else bad "report -o -" "exit $RC $(head -c 300 "$T/err")"; fi

# A reader that stops early: the writer ends (SIGPIPE or EPIPE), never hangs.
set +e
timeout 20 "$STRATA" export "$D/l.h5" -o - | head -n 2 >"$T/out"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 124 ] && [ "$(wc -l <"$T/out")" -eq 2 ]; then ok "export -o - into a closed pipe ends (status $rc)"
else bad "export -o - into a closed pipe" "status $rc"; fi

expect_error_clean "fit -o -: the model is an HDF5 file" 2 "cannot write the model to standard output" "$W" \
  "$STRATA" fit "$D/b.h5" -k 3 -o -
expect_error_clean "fit --labels -" 2 "cannot write the labels to standard output" "$W" \
  "$STRATA" fit "$D/b.h5" -k 3 -o m.h5 --labels -
expect_error_clean "assign --labels -" 2 "cannot write the labels to standard output" "$W" \
  "$STRATA" assign "$D/m.h5" "$D/b.h5" --labels -
printf 'a,b\n1,2\n3,4\n' >"$T/t.csv"
expect_error_clean "import -o -" 2 "standard output.*HDF5" "$W" "$STRATA" import "$T/t.csv" -o -
expect_error_clean "export -o - --json" 2 "both write to standard output" "$W" \
  "$STRATA" export "$D/l.h5" -o - --json
expect_error_clean "pca -o - --json" 2 "both write to standard output" "$W" "$STRATA" pca "$D/b.h5" -o - --json
finish

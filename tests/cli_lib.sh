# Shared helpers of the `strata` command's script tests (cli_*.sh); sourced,
# not run.  The sourcing script sets NAME first.
# Environment: STRATA (the command), STRATA_GEN (the data generator),
# STRATA_TEST_TMP (scratch directory), optional STRATA_LABELS_EQUAL (the
# tests/labels_equal helper; h5dump is used when it is not set).
set -euo pipefail

: "${STRATA:?STRATA must name the strata command}"
BASE=${STRATA_TEST_TMP:-${TMPDIR:-/tmp}}
mkdir -p "$BASE"
T=$(mktemp -d "$BASE/$NAME.XXXXXX")
trap 'rm -rf "$T"' EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() {
  FAIL=$((FAIL + 1))
  echo "FAIL - $1"
  shift
  local line
  for line in "$@"; do echo "       $line"; done
}
finish() {
  echo "$NAME: $PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}

# run CMD...: runs a command without stopping the script; sets RC and leaves
# its output in $T/out and $T/err.
run() {
  set +e
  "$@" >"$T/out" 2>"$T/err" </dev/null
  RC=$?
  set -e
}

# listing DIR: every entry of DIR, dotfiles included (temporary outputs are
# dotfiles), one per line.
listing() { (cd "$1" && LC_ALL=C ls -A); }

# expect_error NAME CODE REGEX CMD...: the command fails with exit status
# CODE, prints nothing on stdout and exactly one line on stderr, of the form
# "strata: error: ..." and matching REGEX (extended, case-insensitive).
expect_error() {
  local name=$1 code=$2 re=$3
  shift 3
  run "$@"
  local lines
  lines=$(wc -l <"$T/err")
  local first
  first=$(head -n 1 "$T/err")
  if [ "$RC" -ne "$code" ]; then
    bad "$name" "exit status $RC, expected $code" "stderr: $(head -c 300 "$T/err")"
  elif [ "$lines" -ne 1 ] || [ "$(wc -c <"$T/err")" -ne "$((${#first} + 1))" ]; then
    bad "$name" "stderr has $lines lines, expected exactly one:" "$(head -c 600 "$T/err")"
  elif ! grep -q '^strata: error: ' "$T/err"; then
    bad "$name" "stderr is not 'strata: error: ...': $first"
  elif ! grep -Eqi -- "$re" "$T/err"; then
    bad "$name" "error does not match /$re/: $first"
  elif [ -s "$T/out" ]; then
    bad "$name" "stdout is not empty: $(head -c 200 "$T/out")"
  else
    ok "$name"
  fi
}

# expect_error_clean NAME CODE REGEX DIR CMD...: expect_error, and DIR holds
# the same entries afterwards as before (no output, no temporary file).
expect_error_clean() {
  local name=$1 code=$2 re=$3 dir=$4
  shift 4
  local before after
  before=$(listing "$dir")
  expect_error "$name" "$code" "$re" "$@"
  after=$(listing "$dir")
  if [ "$before" != "$after" ]; then
    bad "$name: no file left behind" "before: $(echo $before)" "after:  $(echo $after)"
  else
    ok "$name: no file left behind"
  fi
}

# labels_equal A B: the segment columns of two labels files are equal.
labels_equal() {
  if [ -n "${STRATA_LABELS_EQUAL:-}" ]; then
    "$STRATA_LABELS_EQUAL" "$1" "$2"
  else
    cmp -s <(h5dump -d /segment -y -w 0 "$1" | sed 1,2d) <(h5dump -d /segment -y -w 0 "$2" | sed 1,2d)
  fi
}

# label_counts A: rows per segment ("n0 n1 ...") on the first line, rows
# without a segment on the second.
label_counts() {
  if [ -n "${STRATA_LABELS_EQUAL:-}" ]; then
    "$STRATA_LABELS_EQUAL" --counts "$1"
  else
    h5dump -d /segment -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | tr -c -- '-0-9\n' ' ' | tr ' ' '\n' |
      grep -E -- '^-?[0-9]+$' | python3 -c '
import sys, collections
v = [int(x) for x in sys.stdin.read().split()]
c = collections.Counter(v)
k = max([x for x in v if x >= 0], default=-1) + 1
print(" ".join(str(c[i]) for i in range(k)))
print(c[-1])'
  fi
}

# jq_py FILE EXPR: evaluates a Python expression over the JSON object in
# FILE (bound to j) and prints the result.
jq_py() {
  python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(json.dumps(r) if isinstance(r, (list, dict)) else r)' "$1" "$2"
}

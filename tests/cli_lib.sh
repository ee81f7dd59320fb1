# Shared helpers of the script tests (cli_*.sh and the cross-checks' *.sh);
# sourced, not run.  The sourcing script sets NAME first and ends with
# `finish`, which exits 0 (passed), 1 (a check failed, or none ran: a test
# that checked nothing proves nothing) or 77 (skipped: ctest's
# SKIP_RETURN_CODE, set on every test by tests/CMakeLists.txt).
# Environment: STRATA (the command), STRATA_GEN (the data generator),
# STRATA_TEST_TMP (scratch directory), optional STRATA_LABELS_EQUAL (the
# tests/labels_equal helper; h5dump is used when it is not set), optional
# STRATA_PYTHON (the Python of the cross-checks), CI (see ci_run).
set -euo pipefail

: "${STRATA:?STRATA must name the strata command}"
BASE=${STRATA_TEST_TMP:-${TMPDIR:-/tmp}}
mkdir -p "$BASE"
T=$(mktemp -d "$BASE/$NAME.XXXXXX")
trap 'rm -rf "$T"' EXIT

PASS=0
FAIL=0
SKIP=0
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() {
  FAIL=$((FAIL + 1))
  echo "FAIL - $1"
  shift
  local line
  for line in "$@"; do echo "       $line"; done
}

# ci_run: true in a CI run (CI set to anything but "", "0" or "false"), where
# every prerequisite of a cross-check is installed on purpose.  The same rule
# as check_in_ci() in tests/check.h.
ci_run() {
  case "${CI:-}" in
    "" | 0 | false) return 1 ;;
    *) return 0 ;;
  esac
}

# skip WHY: a part of the test cannot run on this machine (an ISA it lacks);
# the test reports skipped, in CI too.
skip() {
  SKIP=$((SKIP + 1))
  echo "SKIP - $1"
}

# unavailable WHY: a prerequisite of a part of the test is missing (a Python
# with scikit-learn, Chromium, an OpenCL device).  The test reports skipped,
# or with CI=true fails: a cross-check that silently did not run is no check.
unavailable() {
  if ci_run; then
    bad "$1" "CI=true: CI must provide this, so a check that cannot run fails instead of skipping"
  else
    skip "$1"
  fi
}

finish() {
  echo "$NAME: $PASS passed, $FAIL failed, $SKIP skipped"
  if [ "$FAIL" -gt 0 ]; then exit 1; fi
  if [ "$SKIP" -gt 0 ]; then exit 77; fi
  if [ "$PASS" -eq 0 ]; then
    echo "FAIL - $NAME ran no check"
    exit 1
  fi
  exit 0
}

# oracle_python MODULES: sets PY to a Python that imports MODULES (an import
# list, "numpy, h5py, sklearn") for a cross-check and returns 0: STRATA_PYTHON
# when set (one that cannot import them fails the test), else the first of
# build-venv (made by scripts/test.sh) or .venv in the source tree, .venv in
# the build tree or bench/, and python3.  With none, `unavailable` and
# returns 1.
oracle_python() {
  local mods=$1 src c
  PY=""
  if [ -n "${STRATA_PYTHON:-}" ]; then
    if "$STRATA_PYTHON" -c "import $mods" >"$T/oracle.err" 2>&1; then
      PY=$STRATA_PYTHON
      return 0
    fi
    bad "STRATA_PYTHON=$STRATA_PYTHON cannot import $mods" "$(tail -n 3 "$T/oracle.err")"
    return 1
  fi
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  # STRATA is <build>/cli/strata
  for c in "$src/build-venv/bin/python" "$src/.venv/bin/python" \
    "$(dirname "$(dirname "$STRATA")")/.venv/bin/python" "$src/build/.venv/bin/python" \
    "$src/bench/.venv/bin/python" "$(command -v python3 || true)"; do
    if [ -x "$c" ] && "$c" -c "import $mods" >/dev/null 2>&1; then
      PY=$c
      echo "$NAME: using $PY"
      return 0
    fi
  done
  unavailable "no Python imports $mods (set STRATA_PYTHON, or run scripts/test.sh, which makes build-venv)"
  return 1
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

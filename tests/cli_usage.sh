#!/usr/bin/env bash
# The `strata` command line: help, version, and usage errors.  Every usage
# error exits 2 with exactly one "strata: error: ..." line on stderr and
# nothing on stdout, and creates no file.  Needs no data.
NAME=cli_usage
. "$(dirname "$0")/cli_lib.sh"

D="$T/data.h5" # never created: usage errors are found before the data is read
M="$T/m.h5"

# ---- help and version: exit 0, on stdout, nothing on stderr
run "$STRATA" --version
if [ "$RC" -eq 0 ] && grep -Eq '^strata [0-9]+\.[0-9]+\.[0-9]+' "$T/out" && [ ! -s "$T/err" ]; then
  ok "--version"
else bad "--version" "rc=$RC out=$(cat "$T/out") err=$(cat "$T/err")"; fi

for h in --help -h help; do
  run "$STRATA" $h
  if [ "$RC" -eq 0 ] && grep -q 'fit' "$T/out" && grep -q 'assign' "$T/out" && grep -q 'inspect' "$T/out" &&
    [ ! -s "$T/err" ]; then
    ok "strata $h lists the commands"
  else bad "strata $h" "rc=$RC err=$(cat "$T/err")"; fi
done

# Every option of each command appears in its help, and the defaults are named.
fit_opts="-k --output --labels --dataset --features --scale --missing --init --n-init --max-iter --tol --seed
  --init-sample --backend --threads --chunk-rows --mem-limit --streaming --json --progress --verbose --quiet --help"
assign_opts="--labels --dataset --chunk-rows --threads --json --verbose --quiet --help"
inspect_opts="--dataset --features --chunk-rows --json --verbose --quiet --help"
for cmd in fit assign inspect; do
  eval "opts=\$${cmd}_opts"
  run "$STRATA" $cmd --help
  missing=""
  for o in $opts; do grep -q -- "$o" "$T/out" || missing="$missing $o"; done
  if [ "$RC" -eq 0 ] && [ -z "$missing" ] && [ ! -s "$T/err" ] && grep -q "usage: strata $cmd" "$T/out"; then
    ok "strata $cmd --help names every option"
  else bad "strata $cmd --help" "rc=$RC missing:$missing err=$(cat "$T/err")"; fi
  cp "$T/out" "$T/help_$cmd"
  run "$STRATA" help $cmd
  if [ "$RC" -eq 0 ] && cmp -s "$T/out" "$T/help_$cmd"; then ok "strata help $cmd = strata $cmd --help"
  else bad "strata help $cmd"; fi
done
run "$STRATA" fit --help
for d in "default zscore" "default error" "default k-means++" "default 300" "default 1)" "default auto"; do
  if grep -q -- "$d" "$T/out"; then ok "fit --help shows ($d...)"; else bad "fit --help lacks '$d'"; fi
done

# ---- usage errors: exit 2, one line
expect_error "no command" 2 'missing command' "$STRATA"
expect_error "unknown command" 2 "unknown command 'frobnicate'" "$STRATA" frobnicate
expect_error "unknown top-level option" 2 "unknown option '--frob'" "$STRATA" --frob
expect_error "help for an unknown command" 2 "unknown command 'nope'" "$STRATA" help nope
expect_error "--version with an argument" 2 "unexpected argument" "$STRATA" --version extra

expect_error "fit: k = 0" 2 'k must be at least 1' "$STRATA" fit "$D" -k 0 -o "$M"
expect_error "fit: k negative" 2 'k must be at least 1' "$STRATA" fit "$D" -k -3 -o "$M"
expect_error "fit: k not a number" 2 "k: 'abc' is not an integer" "$STRATA" fit "$D" -k abc -o "$M"
expect_error "fit: k with trailing text" 2 "k: '3x' is not an integer" "$STRATA" fit "$D" -k 3x -o "$M"
expect_error "fit: k too large" 2 'k must be at most' "$STRATA" fit "$D" -k 99999999999999 -o "$M"
expect_error "fit: no -o" 2 'missing required option -o' "$STRATA" fit "$D" -k 3
expect_error "fit: no -k" 2 'missing required option -k' "$STRATA" fit "$D" -o "$M"
expect_error "fit: no data file" 2 'missing the data file' "$STRATA" fit -k 3 -o "$M"
expect_error "fit: two data files" 2 "unexpected argument 'other.h5'" "$STRATA" fit "$D" other.h5 -k 3 -o "$M"
expect_error "fit: unknown long option" 2 "unknown or ambiguous option '--bogus'.*strata fit --help" \
  "$STRATA" fit "$D" -k 3 -o "$M" --bogus
expect_error "fit: unknown short option" 2 "unknown option '-z'" "$STRATA" fit "$D" -k 3 -o "$M" -z
expect_error "fit: unknown option in a cluster" 2 "unknown option '-z'" "$STRATA" fit "$D" -k 3 -o "$M" --json -zq
expect_error "fit: ambiguous abbreviation" 2 "ambiguous option '--m'" "$STRATA" fit "$D" -k 3 -o "$M" --m 3
expect_error "fit: option without its value" 2 "option '--labels' requires a value" "$STRATA" fit "$D" -k 3 -o "$M" --labels
expect_error "fit: -k without its value" 2 "option '-k'.* requires a value" "$STRATA" fit "$D" -o "$M" -k
expect_error "fit: flag given a value" 2 "option '--json' does not take a value" "$STRATA" fit "$D" -k 3 -o "$M" --json=yes
expect_error "fit: bad --scale" 2 "--scale: 'log' is not one of zscore\|minmax\|none" "$STRATA" fit "$D" -k 3 -o "$M" --scale log
expect_error "fit: bad --missing" 2 "--missing: 'skip' is not one of error\|drop\|mean" "$STRATA" fit "$D" -k 3 -o "$M" --missing skip
expect_error "fit: bad --progress" 2 "--progress: 'fancy' is not one of" "$STRATA" fit "$D" -k 3 -o "$M" --progress fancy
expect_error "fit: empty --init" 2 "--init" "$STRATA" fit "$D" -k 3 -o "$M" --init ''
expect_error "fit: --n-init 0" 2 '--n-init must be at least 1' "$STRATA" fit "$D" -k 3 -o "$M" --n-init 0
expect_error "fit: --max-iter 0" 2 '--max-iter must be at least 1' "$STRATA" fit "$D" -k 3 -o "$M" --max-iter 0
expect_error "fit: negative --tol" 2 '--tol must be at least 0' "$STRATA" fit "$D" -k 3 -o "$M" --tol -1e-3
expect_error "fit: --tol nan" 2 "--tol: 'nan' is not a finite number" "$STRATA" fit "$D" -k 3 -o "$M" --tol nan
expect_error "fit: negative --seed" 2 "--seed: '-1' is not a non-negative integer" "$STRATA" fit "$D" -k 3 -o "$M" --seed -1
expect_error "fit: --seed beyond 64 bits" 2 "--seed: .* is too large" "$STRATA" fit "$D" -k 3 -o "$M" --seed 18446744073709551616
expect_error "fit: negative --threads" 2 '--threads must be at least 0' "$STRATA" fit "$D" -k 3 -o "$M" --threads -2
expect_error "fit: bad --chunk-rows" 2 "--chunk-rows: 'many' is not an integer" "$STRATA" fit "$D" -k 3 -o "$M" --chunk-rows many
expect_error "fit: bad --mem-limit" 2 "--mem-limit: '8X' is not a size" "$STRATA" fit "$D" -k 3 -o "$M" --mem-limit 8X
expect_error "fit: negative --mem-limit" 2 "--mem-limit: '-1G' is not a size" "$STRATA" fit "$D" -k 3 -o "$M" --mem-limit -1G
expect_error "fit: empty feature name" 2 "--features: empty name at position 2" "$STRATA" fit "$D" -k 3 -o "$M" --features age,,income
expect_error "fit: repeated feature" 2 "--features: 'age' is listed twice" "$STRATA" fit "$D" -k 3 -o "$M" --features age,income,age
expect_error "fit: --quiet with --verbose" 2 'exclude each other' "$STRATA" fit "$D" -k 3 -o "$M" -q -v

expect_error "assign: no arguments" 2 'missing the model file and the data file' "$STRATA" assign
expect_error "assign: no data file" 2 'missing the data file' "$STRATA" assign "$M" --labels "$T/l.h5"
expect_error "assign: no --labels" 2 'missing required option --labels' "$STRATA" assign "$M" "$D"
expect_error "assign: unknown option" 2 "unknown or ambiguous option '--k'" "$STRATA" assign "$M" "$D" --labels "$T/l.h5" --k 3
expect_error "assign: bad --threads" 2 "--threads: 'x' is not an integer" "$STRATA" assign "$M" "$D" --labels "$T/l.h5" --threads x

expect_error "inspect: no data file" 2 'missing the data file' "$STRATA" inspect
expect_error "inspect: unknown option" 2 "unknown or ambiguous option '--rows'" "$STRATA" inspect "$D" --rows 3
expect_error "inspect: two data files" 2 "unexpected argument" "$STRATA" inspect "$D" "$D"

# ---- the help of the commands that share the option table: byte for byte as
# recorded before the table (tests/cli_help/), so a change to the table that
# moves a line, a column or a default shows here.
HELP_DIR="$(dirname "$0")/cli_help"
for cmd in fit sweep stability assign; do
  run "$STRATA" $cmd --help
  if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && cmp -s "$T/out" "$HELP_DIR/$cmd.txt"; then
    ok "strata $cmd --help is the recorded text"
  else bad "strata $cmd --help differs from tests/cli_help/$cmd.txt" "$(diff "$HELP_DIR/$cmd.txt" "$T/out" | head -5)"; fi
done

# ---- options fit, sweep and stability share: each is accepted or refused
# identically by the three (the same error line, but for the command named in
# "try 'strata CMD --help'").  A refusal is checked against REGEX; an accepted
# option leaves "missing the data file" as the only error.
declare -A need=([fit]="-k 3 -o $M" [sweep]="-k 2:4" [stability]="-k 3")
shared() { # NAME REGEX ARGS...: the same outcome in fit, sweep and stability
  local name=$1 re=$2 cmd first="" line
  shift 2
  for cmd in fit sweep stability; do
    # shellcheck disable=SC2086
    expect_error "$cmd: $name" 2 "$re" "$STRATA" $cmd "$D" ${need[$cmd]} "$@"
    line=$(sed "s/'strata $cmd --help'/'strata CMD --help'/" "$T/err")
    if [ -z "$first" ]; then first=$line
    elif [ "$line" = "$first" ]; then ok "$cmd: $name: the same line as fit"
    else bad "$cmd: $name: not the line fit gives" "fit: $first" "$cmd: $line"; fi
  done
}
accepted() { # NAME ARGS...: accepted by the three (only the data file is missing)
  local name=$1 cmd
  shift
  for cmd in fit sweep stability; do
    # shellcheck disable=SC2086
    expect_error "$cmd: $name accepted" 2 "^strata: error: missing the data file \(try 'strata $cmd --help'\)$" \
      "$STRATA" $cmd ${need[$cmd]} "$@"
  done
}
shared "unknown option" "^strata: error: unknown or ambiguous option '--bogus' \(try" --bogus
shared "unknown short option" "^strata: error: unknown option '-z' \(try" -z
shared "ambiguous abbreviation" "unknown or ambiguous option '--s'" --s 3
shared "--seed without its value" "^strata: error: option '--seed' requires a value \(try" --seed
shared "-k without its value" "option '-k' \(--k\) requires a value" -k
shared "flag given a value" "option '--json' does not take a value" --json=yes
shared "--max-iter not a number" "^strata: error: --max-iter: 'abc' is not an integer$" --max-iter abc
shared "--tol not a number" "^strata: error: --tol: '1e-3x' is not a number$" --tol 1e-3x
shared "--tol infinite" "^strata: error: --tol: 'inf' is not a finite number$" --tol inf
shared "--seed negative" "^strata: error: --seed: '-1' is not a non-negative integer$" --seed -1
shared "--seed beyond 64 bits" "^strata: error: --seed: '18446744073709551616' is too large" --seed 18446744073709551616
shared "--max-iter 0" "^strata: error: --max-iter must be at least 1$" --max-iter 0
shared "--max-iter too large" "^strata: error: --max-iter must be at most 100000000$" --max-iter 100000001
shared "--n-init 0" "^strata: error: --n-init must be at least 1$" --n-init 0
shared "--threads negative" "^strata: error: --threads must be at least 0$" --threads -1
shared "--tol negative" "^strata: error: --tol must be at least 0$" --tol -1
shared "--categorical-weight 0" "^strata: error: --categorical-weight must be a number above 0 and at most 1e6 \(got '0'\)$" \
  --categorical-weight 0
shared "--categorical-weight 1e100" "^strata: error: --categorical-weight must be a number above 0 and at most 1e6 \(got '1e100'\)$" \
  --categorical-weight 1e100
shared "--scale unknown" "^strata: error: --scale: 'log' is not one of zscore\|minmax\|none\|robust$" --scale log
shared "--missing unknown" "^strata: error: --missing: 'skip' is not one of error\|drop\|mean\|median$" --missing skip
shared "--features empty name" "^strata: error: --features: empty name at position 2 in 'a,,b'$" --features a,,b
shared "--categorical repeated" "^strata: error: --categorical: 'r' is listed twice$" --categorical r,r
shared "--backend empty" "^strata: error: --backend: empty name$" --backend ''
shared "--quiet with --verbose" "^strata: error: --quiet and --verbose exclude each other \(try" -q -v
accepted "the shared options" --dataset g --features a,b --categorical r --categorical-weight 0.5 --scale minmax \
  --missing drop --n-init 2 --max-iter 100000000 --tol 0 --seed 18446744073709551615 --threads 0 --backend ref \
  --json -q
accepted "abbreviations" --max-i 5 --categorical-w 2 --sc none --mis mean
# Where the three differ today, each keeps its own limit (recorded here so that
# unifying them is a decision, not an accident): --n-init at most 1000000 in
# fit, 1000 in sweep, 100000000 in stability; --threads at most 65536 in fit
# and sweep, 100000000 in stability; --init FILE only in fit.
expect_error "fit: --n-init 1000001" 2 "^strata: error: --n-init must be at most 1000000$" \
  "$STRATA" fit -k 3 -o "$M" --n-init 1000001
expect_error "sweep: --n-init 1001" 2 "^strata: error: --n-init must be at most 1000$" \
  "$STRATA" sweep -k 2:3 --n-init 1001
expect_error "stability: --n-init 100000000 accepted" 2 "missing the data file" \
  "$STRATA" stability -k 3 --n-init 100000000
expect_error "sweep: --threads 65537" 2 "^strata: error: --threads must be at most 65536$" \
  "$STRATA" sweep -k 2:3 --threads 65537
expect_error "stability: --threads 65537 accepted" 2 "missing the data file" "$STRATA" stability -k 3 --threads 65537
expect_error "sweep: --init FILE" 2 "^strata: error: --init: sweep takes k-means\+\+ or random, not a file \('c.csv'\)$" \
  "$STRATA" sweep -k 2:3 --init c.csv
expect_error "stability: no --init" 2 "unknown or ambiguous option '--init'" "$STRATA" stability -k 3 --init random
expect_error "fit: --init FILE accepted" 2 "missing the data file" "$STRATA" fit -k 3 -o "$M" --init c.csv

# None of the above created a file.
left=$(listing "$T" | grep -v -e '^out$' -e '^err$' -e '^help_' || true)
if [ -z "$left" ]; then ok "usage errors create no file"; else bad "usage errors created files" "$left"; fi

finish

#!/usr/bin/env bash
# `strata import`: small CSV files made here go through import -> inspect ->
# fit; every kind of bad CSV fails with exit status 2, one error line naming
# the line and column, and no output file; --on-error skip drops, counts and
# lists the bad rows.
NAME=cli_import
. "$(dirname "$0")/cli_lib.sh"

C="$T/csv"
O="$T/outputs" # where outputs of failing imports would go
mkdir "$C" "$O"

# ---- a small customer table: ids, text, dates, bools, gaps, quoting, CRLF
{
  printf 'customer_id,email,region,signup,member,age,income,visits\r\n'
  for i in $(seq 1 60); do
    region=$(((i * 7) % 3))
    case $region in 0) r=north ;; 1) r=south ;; 2) r='"east, coast"' ;; esac
    age=$((20 + (i * 13) % 50))
    [ $((i % 10)) -eq 0 ] && age=NA
    income="$((30000 + (i * 977) % 40000)).$((i % 10))5"
    [ $((i % 15)) -eq 0 ] && income=""
    member=$([ $((i % 3)) -eq 0 ] && echo yes || echo no)
    printf '%d,c%d@example.com,%s,2023-%02d-%02d,%s,%s,%s,%d\r\n' "$((1000 + i))" "$i" "$r" \
      $((1 + i % 12)) $((1 + i % 28)) "$member" "$age" "$income" $((i % 9))
  done
} >"$C/customers.csv"

run "$STRATA" import "$C/customers.csv" -o "$T/c.h5" --json
cp "$T/out" "$T/import.json"
if [ "$RC" -eq 0 ] && python3 - "$T/import.json" <<'EOF'; then ok "import --json: types, storage, counts, roles"
import json, sys
j = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in j["columns"]}
assert j["rows"] == 60 and j["cols"] == 8 and j["skipped_rows"] == 0 and j["delimiter"] == ","
assert c["customer_id"]["type"] == "int" and c["customer_id"]["role"] == "id" and c["customer_id"]["storage"] == "int16"
assert c["email"]["type"] == "categorical" and c["email"]["categories"] == 60 and c["email"]["role"] is None
assert c["region"]["type"] == "categorical" and c["region"]["categories"] == 3 and c["region"]["role"] is None
assert c["signup"]["type"] == "date" and c["member"]["type"] == "bool"
assert c["age"]["type"] == "int" and c["age"]["missing"] == 6 and c["age"]["storage"] == "float32"
assert c["income"]["type"] == "float" and c["income"]["missing"] == 4
assert c["visits"]["type"] == "int" and c["visits"]["storage"] == "int8"
assert j["rows_per_second"] > 0 and j["mb_per_second"] > 0 and j["peak_rss_bytes"] > 0
EOF
else bad "import --json" "rc=$RC" "$(head -c 800 "$T/out")" "$(cat "$T/err")"; fi

run env COLUMNS=200 "$STRATA" inspect "$T/c.h5"
if [ "$RC" -eq 0 ] && grep -Eq '^region +categorical +int32 +60 +0 .* 3$' "$T/out" &&
  grep -Eq '^customer_id +int \(id\) +int16 ' "$T/out" && grep -Eq '^signup +date .*2023-' "$T/out"; then
  ok "inspect: categorical columns with their categories, types, ids, dates"
else bad "inspect of an imported table" "$(cat "$T/out" "$T/err")"; fi

run "$STRATA" inspect "$T/c.h5" --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" '[c["kind"] for c in j["columns"]].count("categorical")')" = 2 ] &&
  [ "$(jq_py "$T/out" '[c["categories"] for c in j["columns"] if c["name"] == "region"][0]')" = 3 ]; then
  ok "inspect --json: kind and categories"
else bad "inspect --json" "$(head -c 600 "$T/out")"; fi

# fit picks the numeric columns only: not the ids, not the text, and (the
# safe default set) not the date or the boolean either.
run "$STRATA" fit "$T/c.h5" -k 2 -o "$T/m.h5" --missing mean --seed 1 --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["features"]')" = '["age", "income", "visits"]' ]; then
  ok "fit: default features leave out id, categorical, date and boolean columns"
else bad "fit on an imported table" "$(head -c 400 "$T/out")" "$(cat "$T/err")"; fi
expect_error "fit: a categorical feature" 2 "column 'region' is categorical; use --categorical region" \
  "$STRATA" fit "$T/c.h5" -k 2 -o "$T/m2.h5" --features age,region
run "$STRATA" fit "$T/c.h5" -k 2 -o "$T/m3.h5" --features customer_id,visits -q
if [ "$RC" -eq 0 ]; then ok "fit: a numeric id column named explicitly"; else bad "fit --features customer_id" "$(cat "$T/err")"; fi

# ---- options: delimiter, encoding, columns, group
printf 'name;city;spend\nAna;S\xe3o Paulo;12,5\nBo;Malm\xf6;7\n' >"$C/latin1.csv"
run "$STRATA" import "$C/latin1.csv" -o "$T/l.h5" --encoding latin-1 --json --group /shop/customers
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["delimiter"] + " " + j["group"]')" = "; /shop/customers" ] &&
  LC_ALL=C grep -q $'S\xc3\xa3o Paulo' "$T/l.h5" && ! LC_ALL=C grep -q $'S\xe3o' "$T/l.h5"; then
  ok "import: ';' guessed, Latin-1 transcoded to UTF-8, --group"
else bad "latin-1 import" "$(cat "$T/out" "$T/err")"; fi
run "$STRATA" inspect "$T/l.h5" --dataset /shop/customers
if [ "$RC" -eq 0 ] && grep -q 'rows=2 columns=3' "$T/out"; then ok "inspect --dataset of an imported group"
else bad "inspect --dataset" "$(cat "$T/out" "$T/err")"; fi
expect_error_clean "import: Latin-1 text read as UTF-8" 2 \
  "line 2, column 2 \(city\): invalid UTF-8 \(byte 0xE3\); use --encoding latin-1" "$O" \
  "$STRATA" import "$C/latin1.csv" -o "$O/l.h5"

printf 'a|b|c\n1|x|2\n3|y|4\n' >"$C/pipes.csv"
run "$STRATA" import "$C/pipes.csv" -o "$T/p.h5" --delimiter '|' --columns c,a --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" '[c["name"] for c in j["columns"]]')" = '["c", "a"]' ]; then
  ok "import --delimiter '|' --columns c,a (in that order)"
else bad "--columns" "$(cat "$T/out" "$T/err")"; fi
run "$STRATA" import "$C/pipes.csv" -o "$T/p2.h5" --skip-columns b --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" '[c["name"] for c in j["columns"]]')" = '["a", "c"]' ]; then
  ok "import --skip-columns b"
else bad "--skip-columns" "$(cat "$T/out" "$T/err")"; fi
printf 'a\tb\n1\t2\n' >"$C/tabs.csv"
run "$STRATA" import "$C/tabs.csv" -o "$T/t.h5" --delimiter tab -q
if [ "$RC" -eq 0 ] && [ ! -s "$T/out" ]; then ok "import --delimiter tab, -q"; else bad "tab" "$(cat "$T/err")"; fi
expect_error_clean "import: unknown --columns name" 2 "column 'zz' is not in the header.*\(have: a, b, c\)" "$O" \
  "$STRATA" import "$C/pipes.csv" -o "$O/p.h5" --columns a,zz
expect_error "import: --columns with --skip-columns" 2 "exclude each other" \
  "$STRATA" import "$C/pipes.csv" -o "$O/p.h5" --columns a --skip-columns b
expect_error "import: bad --encoding" 2 "--encoding: 'utf-16' is not one of" \
  "$STRATA" import "$C/pipes.csv" -o "$O/p.h5" --encoding utf-16
expect_error "import: no -o" 2 "missing required option -o" "$STRATA" import "$C/pipes.csv"

# ---- bad CSV: exit 2, one line naming line and column, nothing left behind
bad_csv() { # NAME CONTENT(printf format) REGEX
  printf "$2" >"$C/$1.csv"
  expect_error_clean "bad CSV: $1" 2 "$3" "$O" "$STRATA" import "$C/$1.csv" -o "$O/$1.h5"
}
bad_csv ragged_short 'a,b,c\n1,2,3\n4,5\n' "ragged_short\.csv', line 3, column 3 \(c\): row has 2 fields; the header has 3"
bad_csv ragged_long 'a,b\n1,2\n3,4,5\n' "line 3, column 3: row has 3 fields; the header has 2"
bad_csv unterminated 'a,b\n1,"open\n2,3\n' "line 2, column 2 \(b\): unterminated quoted field"
bad_csv after_quote 'a,b\n1,"x"y\n' "line 2, column 2 \(b\): text after the closing quote"
bad_csv invalid_utf8 'a,b\n1,ok\n2,\xff\xfe\n' "line 3, column 2 \(b\): invalid UTF-8 \(byte 0xFF\)"
bad_csv float_range 'a,b\n1,2.5\n2,1e999\n' "line 3, column 2 \(b\): '1e999' is beyond the range of a float64"
bad_csv empty '' "line 1: the file is empty"
bad_csv blank_lines '\n\r\n\n' "line 1: the file is empty"
bad_csv header_only 'a,b,c\n' "line 2: no data rows"
bad_csv duplicate_name 'a,b,a\n1,2,3\n' "line 1, column 3: duplicate column name 'a' \(also column 1\)"
bad_csv empty_name 'a,,c\n1,2,3\n' "line 1, column 2: empty column name"
bad_csv nul_byte 'a,b\n1,x\0y\n' "line 2, column 2 \(b\): NUL byte"
bad_csv multiline_ragged 'a,b,c\n1,"two\nlines",3\n4,5\n' "line 4, column 3 \(c\): row has 2 fields"
expect_error_clean "import: missing CSV file" 2 "cannot open .*nope\.csv" "$O" \
  "$STRATA" import "$C/nope.csv" -o "$O/nope.h5"
expect_error_clean "import: a directory as input" 2 "" "$O" "$STRATA" import "$C" -o "$O/dir.h5"
expect_error_clean "import: output in a missing directory" 1 "/nonexistent/dir/x\.h5" "$O" \
  "$STRATA" import "$C/pipes.csv" -o /nonexistent/dir/x.h5

# An integer beyond int64 is a float; a column that turns text late is text.
printf 'big,late\n1,1\n99999999999999999999,2\n3,x\n' >"$C/widen.csv"
run "$STRATA" import "$C/widen.csv" -o "$T/w.h5" --json -v
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" '[c["type"] for c in j["columns"]]')" = '["float", "categorical"]' ] &&
  grep -q "column 'late' is text: line 4 has 'x'" "$T/err"; then
  ok "int beyond int64 -> float; late text -> categorical (said with -v)"
else bad "widening" "$(cat "$T/out" "$T/err")"; fi

# ---- --on-error skip: bad rows dropped, counted, the first ten listed
{
  printf 'id,v,w\n'
  for i in $(seq 1 30); do
    if [ $((i % 2)) -eq 0 ]; then printf '%d,%d\n' "$i" "$i"; else printf '%d,%d,%d\n' "$i" "$i" "$i"; fi
  done
  printf '31,"x"y,1\n32,1e999,1\n33,5,6\n'
} >"$C/messy.csv"
expect_error_clean "messy CSV fails by default" 2 "line 3, column 3 \(w\): row has 2 fields" "$O" \
  "$STRATA" import "$C/messy.csv" -o "$O/messy.h5"
run "$STRATA" import "$C/messy.csv" -o "$T/messy.h5" --on-error skip --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'EOF'; then ok "--on-error skip: 17 rows dropped, first 10 listed in --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["rows"] == 16 and j["skipped_rows"] == 17, (j["rows"], j["skipped_rows"])
s = j["skipped"]
assert len(s) == 10 and s[0]["line"] == 3 and s[0]["column"] == 3 and "row has 2 fields" in s[0]["reason"], s[0]
EOF
else bad "--on-error skip --json" "$(head -c 600 "$T/out")" "$(cat "$T/err")"; fi
if [ "$(grep -c '^strata: warning: skipped line' "$T/err")" -eq 10 ] &&
  grep -q '^strata: warning: 7 more bad rows skipped' "$T/err"; then
  ok "--on-error skip: warnings on stderr"
else bad "skip warnings" "$(cat "$T/err")"; fi
run "$STRATA" import "$C/messy.csv" -o "$T/messy2.h5" --on-error skip
if [ "$RC" -eq 0 ] && grep -q '17 bad rows skipped' "$T/out"; then ok "--on-error skip: summary counts"
else bad "skip summary" "$(cat "$T/out")"; fi

# ---- the HDF5 layout (docs/FORMAT.md)
if h5dump -A "$T/c.h5" >"$T/dump.txt" 2>&1 &&
  grep -q 'ATTRIBUTE "strata_format"' "$T/dump.txt" && grep -q '"strata-table"' "$T/dump.txt" &&
  grep -q 'GROUP ".strata_dict"' "$T/dump.txt" && [ "$(grep -c 'DATASET "region"' "$T/dump.txt")" -eq 2 ] &&
  grep -q '"categorical"' "$T/dump.txt" && grep -q 'ATTRIBUTE "strata_role"' "$T/dump.txt"; then
  ok "layout: strata_format, strata_type, strata_role, .strata_dict"
else bad "layout" "$(head -50 "$T/dump.txt")"; fi
# Labels of a fit on an imported table line up with its rows.
run "$STRATA" fit "$T/c.h5" -k 3 -o "$T/m4.h5" --labels "$T/l4.h5" --missing drop --seed 2 -q
if [ "$RC" -eq 0 ] && [ "$(label_counts "$T/l4.h5" | sed -n 2p)" = 8 ]; then
  ok "fit --missing drop on an imported table: the 8 rows with gaps get no segment"
else bad "fit drop" "$(cat "$T/err")" "$(label_counts "$T/l4.h5")"; fi

finish

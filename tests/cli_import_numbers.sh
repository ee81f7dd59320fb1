#!/usr/bin/env bash
# strata import keeps numbers numbers: a few cells that are not numbers in
# a numeric column become missing values (counted, listed with their
# lines; --strict fails instead), a text column of mostly numbers is warned
# about, --date-format reads day-first dates as dates (the same days as
# their ISO spelling), --decimal , reads 10,5.
NAME=cli_import_numbers
. "$(dirname "$0")/cli_lib.sh"

col() { h5dump -A 0 -m %.17g -d "/$2" -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr -d ' \n'; }

# 300 rows: spend has 2 bad cells (lines 7 and 79), visits 1; code is text
# in 100 of 300 cells; ratio has 10 bad cells (3%, too many: text).
awk 'BEGIN { print "id,spend,visits,code,ratio";
  for (i = 0; i < 300; i++) {
    s = (i == 5 || i == 77) ? "abc" : sprintf("%d.%02d", i % 97, i % 100);
    v = (i == 150) ? "n/a?" : i % 7;
    c = (i < 100) ? "x" i : i;
    r = (i % 30 == 0) ? "bad" : i / 1000;
    print i "," s "," v "," c "," r } }' >"$T/spend.csv"
run "$STRATA" import "$T/spend.csv" -o "$T/s.h5" --json
types=$(jq_py "$T/out" '[(c["name"], c["type"], c["missing"], c.get("bad_cells", 0)) for c in j["columns"]]')
want='[["id", "int", 0, 0], ["spend", "float", 2, 2], ["visits", "int", 1, 1], ["code", "categorical", 0, 0], ["ratio", "categorical", 0, 0]]'
if [ "$RC" -eq 0 ] && [ "$types" = "$want" ]; then ok "a few bad cells: the column stays numeric, the cells are missing and counted"
else bad "bad cells" "rc=$RC got  $types" "want $want" "$(cat "$T/err")"; fi
if grep -q "column 'spend': 2 cells that are not a number became missing (lines 7 'abc', 79 'abc')" "$T/err" &&
  grep -q "column 'visits': 1 cell that is not a number became missing (line 152 'n/a?')" "$T/err"; then
  ok "bad cells are warned about with their lines"
else bad "bad cell warnings" "$(cat "$T/err")"; fi
if grep -q "column 'code': stored as text although 200 of its 300 values are numbers (the first that is not: line 2 'x0')" "$T/err" &&
  grep -q "column 'ratio': stored as text although 290 of its 300 values are numbers" "$T/err"; then
  ok "text columns of mostly numbers are warned about"
else bad "mostly-numeric warnings" "$(cat "$T/err")"; fi
spend=$(col "$T/s.h5" spend | cut -d, -f1-8)
if [ "$spend" = "0,1.01,2.02,3.0299999999999998,4.04,nan,6.0599999999999996,7.0700000000000003" ] &&
  [ "$(col "$T/s.h5" visits | cut -d, -f150-152)" = "2,nan,4" ]; then
  ok "the bad cells are NaN, the other values exact"
else bad "bad cell values" "spend $spend" "visits $(col "$T/s.h5" visits | cut -d, -f150-152)"; fi
if jq_py "$T/out" 'j["columns"][1]["note"]' | grep -q "strict"; then ok "--json carries the note"
else bad "--json note"; fi

expect_error_clean "--strict: a bad cell is an error" 2 \
  "'.*spend\.csv', line 7, column 2 \(spend\): 'abc' is not a number, in a column of numbers \(2 of 300" "$T" \
  "$STRATA" import "$T/spend.csv" -o "$T/strict.h5" --strict

# Day-first dates with a time, and ISO dates, in one column.
printf 'when,n\n01/12/2010 08:26,1\n2010-12-02T09:00,2\n 5/1/2011 17:45 ,3\n,4\n' >"$T/dates.csv"
printf 'when,n\n2010-12-01T08:26,1\n2010-12-02T09:00,2\n2011-01-05T17:45,3\n,4\n' >"$T/iso.csv"
run "$STRATA" import "$T/dates.csv" -o "$T/d.h5" --date-format '%d/%m/%Y %H:%M' --json
"$STRATA" import "$T/iso.csv" -o "$T/iso.h5" -q
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["columns"][0]["type"]')" = date ] &&
  [ "$(col "$T/d.h5" when)" = "$(col "$T/iso.h5" when)" ]; then
  ok "--date-format: the same days as the ISO spelling"
else bad "--date-format" "rc=$RC $(col "$T/d.h5" when) vs $(col "$T/iso.h5" when)" "$(cat "$T/err")"; fi
run "$STRATA" import "$T/dates.csv" -o "$T/d2.h5" --json
if [ "$(jq_py "$T/out" 'j["columns"][0]["type"]')" = categorical ]; then ok "without --date-format day-first dates are text"
else bad "no --date-format" "$(cat "$T/out")"; fi
expect_error_clean "unsupported --date-format" 2 "%j is not supported" "$T" \
  "$STRATA" import "$T/dates.csv" -o "$T/x.h5" --date-format '%Y-%j'

# Decimal commas, ';' delimiter.
printf 'a;b;c\n10,5;1;x\n2;2,25;y\n-3,75;1e3;z\n;NA;w\n' >"$T/eu.csv"
run "$STRATA" import "$T/eu.csv" -o "$T/eu.h5" --decimal , -q
if [ "$RC" -eq 0 ] && [ "$(col "$T/eu.h5" a)" = "10.5,2,-3.75,nan" ] && [ "$(col "$T/eu.h5" b)" = "1,2.25,1000,nan" ]; then
  ok "--decimal , reads 10,5"
else bad "--decimal ," "rc=$RC a=$(col "$T/eu.h5" a) b=$(col "$T/eu.h5" b) $(cat "$T/err")"; fi
run "$STRATA" import "$T/eu.csv" -o "$T/eu2.h5" --json
if [ "$(jq_py "$T/out" '[c["type"] for c in j["columns"]][:2]')" = '["categorical", "categorical"]' ] &&
  grep -q "column 'b': stored as text although 2 of its 3 values are numbers (the first that is not: line 3 '2,25')" "$T/err"; then
  ok "without --decimal , '10,5' is text, and a column of mostly numbers stored as text is warned about"
else bad "no --decimal" "$(cat "$T/out")"; fi
expect_error_clean "--decimal , with ',' as the delimiter" 2 "decimal mark ',' is also the field delimiter" "$T" \
  "$STRATA" import "$T/eu.csv" -o "$T/x.h5" --decimal , --delimiter ,
expect_error "--decimal x" 2 "--decimal: 'x' is not" "$STRATA" import "$T/eu.csv" -o "$T/x.h5" --decimal x
finish

#!/usr/bin/env bash
# strata rfm on hand-computed tables (no Python needed): the rules (missing
# keys, cancellations excluded or subtracted, customers with cancellations
# only, mixed integer/text keys, reference date, scores), the spill path
# against the in-memory path, decimal commas, and the errors (exit 2, one
# line naming the line and column, no file left behind).
NAME=cli_rfm
. "$(dirname "$0")/cli_lib.sh"

# col FILE NAME: the values of a column, comma-separated, no blanks.
col() { h5dump -A 0 -m %.17g -d "/$2" -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr -d ' \n'; }
dict() { col "$1" ".strata_dict/$2"; }
# same_table A B: every column and dictionary of A and B, floats to 17
# digits (what tells float64s apart); attributes aside (strata_source
# names the input).
same_table() { cmp -s <(h5dump -A 0 -m %.17g -w 0 "$1" | sed 1d) <(h5dump -A 0 -m %.17g -w 0 "$2" | sed 1d); }
RFM=(--customer cust --invoice inv --date when --quantity qty --price price)

# A: two invoices (one of two lines, one later), a cancellation; 17: one
# purchase; B: cancellations only; one row without a customer.
cat >"$T/tx.csv" <<'CSV'
inv,cust,when,qty,price
1,A,2024-01-01,2,1.5
1,A,2024-01-01T10:00,1,2
2,A,2024-01-05,1,10
C3,A,2024-01-06,-1,10
4,,2024-01-07,1,1
5,17,2024-01-09 23:59,3,0.5
C6,B,2024-01-03,-2,4
CSV

run "$STRATA" rfm "$T/tx.csv" "${RFM[@]}" -o "$T/c.h5" --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" '[j["customers"], j["skipped_no_customer"], j["cancelled_rows"], j["customers_without_purchase"], j["reference_date"], j["key_type"]]')" = '[2, 1, 2, 1, "2024-01-10", "categorical"]' ]; then
  ok "counts: 2 customers, 1 row without a key, 2 cancelled rows, 1 customer with cancellations only"
else bad "rfm counts" "rc=$RC $(cat "$T/out" "$T/err")"; fi
# Integer keys first (17), then text (A); reference 2024-01-10.
want="cust=0,1 dict=\"17\",\"A\" recency_days=1,5 frequency=1,2 monetary=1.5,15 tenure_days=1,9 avg_basket=1.5,7.5 r_score=3,1 f_score=1,3 m_score=1,3"
got="cust=$(col "$T/c.h5" cust) dict=$(dict "$T/c.h5" cust)"
for c in recency_days frequency monetary tenure_days avg_basket r_score f_score m_score; do got="$got $c=$(col "$T/c.h5" $c)"; done
if [ "$got" = "$want" ]; then ok "hand-computed RFM table (returns excluded)"
else bad "hand-computed RFM table" "got  $got" "want $want"; fi
if h5dump -a /cust/strata_role "$T/c.h5" | grep -q '"id"' && h5dump -a /cust/strata_type "$T/c.h5" | grep -q '"categorical"'; then ok "the key column is an identifier"
else bad "the key column is an identifier"; fi

run "$STRATA" rfm "$T/tx.csv" "${RFM[@]}" -o "$T/s.h5" --returns subtract --reference-date 2024-01-20 -q
got="$(col "$T/s.h5" monetary) $(col "$T/s.h5" avg_basket) $(col "$T/s.h5" recency_days) $(col "$T/s.h5" tenure_days)"
if [ "$RC" -eq 0 ] && [ "$got" = "1.5,5 1.5,2.5 11,15 11,19" ]; then ok "--returns subtract, --reference-date"
else bad "--returns subtract" "rc=$RC got '$got' $(cat "$T/err")"; fi

# " 17" and "17" are one integer key, written "17" among text keys.
printf 'inv,cust,when,qty,price\n1,17,2024-01-01,1,1\n2, 17 ,2024-01-02,1,1\n3,A,2024-01-03,1,1\n' >"$T/spell.csv"
run "$STRATA" rfm "$T/spell.csv" "${RFM[@]}" -o "$T/spell.h5" -q
if [ "$RC" -eq 0 ] && [ "$(dict "$T/spell.h5" cust) $(col "$T/spell.h5" frequency)" = '"17","A" 2,1' ]; then
  ok "integer keys in two spellings are one customer"
else bad "key spellings" "rc=$RC $(dict "$T/spell.h5" cust) $(col "$T/spell.h5" frequency) $(cat "$T/err")"; fi

# Decimal commas with ';' and a day-first format; integer keys only.
cat >"$T/eu.csv" <<'CSV'
inv;cust;when;qty;price
10;7;31/01/2024 9:05;2;1,25
11;7;01/02/2024 18:00;1;0,5
12;3;15/01/2024 12:00;4;2
CSV
run "$STRATA" rfm "$T/eu.csv" "${RFM[@]}" --decimal , --date-format '%d/%m/%Y %H:%M' -o "$T/eu.h5" -q
got="$(col "$T/eu.h5" cust) $(col "$T/eu.h5" monetary) $(col "$T/eu.h5" recency_days) $(col "$T/eu.h5" frequency)"
if [ "$RC" -eq 0 ] && [ "$got" = "3,7 8,3 18,1 1,2" ]; then ok "decimal commas, ';' and --date-format"
else bad "decimal commas" "rc=$RC got '$got' $(cat "$T/err")"; fi

# Spill path: many customers and invoices in a scrambled order; a tiny
# --mem-limit spills dozens of runs (merged in cascades); the table is the
# same, to the bit, and so is a reversed row order.
awk 'BEGIN { print "inv,cust,when,qty,price"; s = 7;
  for (i = 0; i < 6000; i++) { s = (s * 1103515245 + 12345) % 2147483648;
    c = s % 700; v = int(s / 700) % 900; d = 1 + int(s / 9) % 28; q = 1 + s % 13; p = (s % 997) / 100;
    printf "%s%d,%s%d,2023-03-%02d,%d,%.2f\n", (s % 17 == 0 ? "C" : ""), v, (c % 3 == 0 ? "k" : ""), c, d, q, p } }' >"$T/big.csv"
{ head -n 1 "$T/big.csv"; tail -n +2 "$T/big.csv" | tac; } >"$T/rev.csv"
run "$STRATA" rfm "$T/big.csv" "${RFM[@]}" -o "$T/mem.h5" --json
runs_mem=$(jq_py "$T/out" 'j["spilled_runs"]')
run "$STRATA" rfm "$T/big.csv" "${RFM[@]}" -o "$T/spill.h5" --mem-limit 8K --json
runs_spill=$(jq_py "$T/out" 'j["spilled_runs"]')
if [ "$runs_mem" = 0 ] && [ "$runs_spill" -gt 1 ] && same_table "$T/mem.h5" "$T/spill.h5"; then
  ok "spilled ($runs_spill runs) = in memory, to the bit"
else bad "spill = memory" "runs $runs_mem / $runs_spill"; fi
run "$STRATA" rfm "$T/rev.csv" "${RFM[@]}" -o "$T/rev.h5" --mem-limit 8K -q
if same_table "$T/mem.h5" "$T/rev.h5"; then ok "reversed row order: the same table"
else bad "reversed row order"; fi
if [ -z "$(ls -A "$T" | grep -v -E '\.(csv|h5)$' | grep -v -E '^(out|err)$')" ]; then ok "no run file left behind"
else bad "run files left" "$(ls -A "$T")"; fi

# ---- errors: exit 2, one line, no output
expect_error_clean "missing column" 2 "--price: column 'cost' is not in the header .*have: inv, cust" "$T" \
  "$STRATA" rfm "$T/tx.csv" --customer cust --invoice inv --date when --quantity qty --price cost -o "$T/x.h5"
expect_error_clean "ISO date expected" 2 "line 2, column 3 \(when\): '31/01/2024 9:05' is not a date.*--date-format" "$T" \
  "$STRATA" rfm "$T/eu.csv" "${RFM[@]}" --decimal , -o "$T/x.h5"
printf 'inv,cust,when,qty,price\n1,A,2024-01-01,1,1\n2,A,2024-13-01,1,1\n' >"$T/baddate.csv"
expect_error_clean "invalid calendar day" 2 "line 3, column 3 \(when\): '2024-13-01' is not a date" "$T" \
  "$STRATA" rfm "$T/baddate.csv" "${RFM[@]}" -o "$T/x.h5"
printf 'inv,cust,when,qty,price\n1,A,2024-01-01,abc,1\n' >"$T/badnum.csv"
expect_error_clean "a quantity that is no number" 2 "line 2, column 4 \(qty\): 'abc' is not a number" "$T" \
  "$STRATA" rfm "$T/badnum.csv" "${RFM[@]}" -o "$T/x.h5"
expect_error_clean "a decimal comma without --decimal ," 2 "line 2, column 5 \(price\): '1,25' is not a number" "$T" \
  "$STRATA" rfm "$T/eu.csv" "${RFM[@]}" --date-format '%d/%m/%Y %H:%M' -o "$T/x.h5"
printf 'inv,cust,when,qty,price\n1,,2024-01-01,1,1\nC2,A,2024-01-01,1,1\n' >"$T/empty.csv"
expect_error_clean "empty result" 2 "empty result.*2 rows, 1 without a customer, 1 cancelled" "$T" \
  "$STRATA" rfm "$T/empty.csv" "${RFM[@]}" -o "$T/x.h5"
printf 'inv,cust,when,qty,price\n1,A,2024-01-01,1\n' >"$T/ragged.csv"
expect_error_clean "ragged row" 2 "line 2, column 5: row has 4 fields; the header has 5" "$T" \
  "$STRATA" rfm "$T/ragged.csv" "${RFM[@]}" -o "$T/x.h5"
printf 'inv,cust,when,qty,price\n,A,2024-01-01,1,1\n' >"$T/noinv.csv"
expect_error_clean "missing invoice" 2 "line 2, column 1 \(inv\): missing invoice number" "$T" \
  "$STRATA" rfm "$T/noinv.csv" "${RFM[@]}" -o "$T/x.h5"
expect_error_clean "reference date before the last purchase" 2 "--reference-date 2024-01-02 is before the last purchase" "$T" \
  "$STRATA" rfm "$T/tx.csv" "${RFM[@]}" --reference-date 2024-01-02 -o "$T/x.h5"
expect_error_clean "bad --reference-date" 2 "--reference-date: '2024-1-2' is not a date" "$T" \
  "$STRATA" rfm "$T/tx.csv" "${RFM[@]}" --reference-date 2024-1-2 -o "$T/x.h5"
expect_error_clean "unsupported --date-format" 2 "%q is not supported" "$T" \
  "$STRATA" rfm "$T/tx.csv" "${RFM[@]}" --date-format '%d/%q' -o "$T/x.h5"
expect_error_clean "--date-format without a year" 2 "must name a year" "$T" \
  "$STRATA" rfm "$T/tx.csv" "${RFM[@]}" --date-format '%d/%m' -o "$T/x.h5"
expect_error "missing --invoice" 2 "missing required option --invoice" \
  "$STRATA" rfm "$T/tx.csv" --customer cust --date when --quantity qty --price price -o "$T/x.h5"
expect_error "bad --returns" 2 "--returns" "$STRATA" rfm "$T/tx.csv" "${RFM[@]}" --returns keep -o "$T/x.h5"
expect_error "missing input" 2 "cannot open" "$STRATA" rfm "$T/none.csv" "${RFM[@]}" -o "$T/x.h5"
# The same transactions imported to HDF5 (dates as dates, or as text read
# with --date-format) give the same table.
"$STRATA" import "$T/big.csv" -o "$T/big_tx.h5" -q
run "$STRATA" rfm "$T/big_tx.h5" "${RFM[@]}" -o "$T/from_h5.h5" -q
if [ "$RC" -eq 0 ] && same_table "$T/mem.h5" "$T/from_h5.h5"; then ok "an imported HDF5 transaction table gives the same table"
else bad "HDF5 input" "rc=$RC $(cat "$T/err")"; fi
"$STRATA" import "$T/eu.csv" -o "$T/eu_tx.h5" --decimal , -q
run "$STRATA" rfm "$T/eu_tx.h5" "${RFM[@]}" --date-format '%d/%m/%Y %H:%M' -o "$T/eu_h5.h5" -q
if [ "$RC" -eq 0 ] && same_table "$T/eu.h5" "$T/eu_h5.h5"; then ok "HDF5 input with text dates read by --date-format"
else bad "HDF5 input, text dates" "rc=$RC $(cat "$T/err")"; fi
expect_error_clean "HDF5 input: text dates without --date-format" 2 "'.*eu_tx\.h5', row 1, column 'when': '31/01/2024 9:05' is not a date" "$T" \
  "$STRATA" rfm "$T/eu_tx.h5" "${RFM[@]}" -o "$T/x.h5"
expect_error_clean "HDF5 input: a number column as the date" 2 "column 'qty' is not a date column" "$T" \
  "$STRATA" rfm "$T/eu_tx.h5" --customer cust --invoice inv --date qty --quantity qty --price price -o "$T/x.h5"
expect_error_clean "HDF5 input: a missing column" 2 "column 'cost' not found" "$T" \
  "$STRATA" rfm "$T/eu_tx.h5" --customer cust --invoice inv --date when --quantity qty --price cost -o "$T/x.h5"
expect_error "output is the input" 2 "is the input" "$STRATA" rfm "$T/tx.csv" "${RFM[@]}" -o "$T/tx.csv"
run "$STRATA" rfm --help
if [ "$RC" -eq 0 ] && grep -q -- '--returns exclude|subtract' "$T/out" && grep -q 'rank' "$T/out"; then ok "--help states the rules"
else bad "--help"; fi
finish

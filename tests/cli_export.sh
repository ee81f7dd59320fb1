#!/usr/bin/env bash
# `strata export`: labels joined back to chosen input columns as CSV, by row
# order: values come out exactly as the CSV had them (ids, amounts, dates,
# booleans, text with quotes and commas), rows without a segment have empty
# label fields, and mismatched inputs fail with nothing left behind.
NAME=cli_export
. "$(dirname "$0")/cli_lib.sh"

C="$T/in"
O="$T/outputs"
mkdir "$C" "$O"
{
  printf 'customer_id,email,note,signup,member,income,visits\n'
  for i in $(seq 1 40); do
    case $((i % 4)) in
      0) note='"said ""hello"", left"' ;;
      1) note=plain ;;
      2) note='"two
lines"' ;;
      3) note='' ;;
    esac
    income="$((20000 + (i * 7919) % 50000)).$((i % 100))"
    [ $((i % 9)) -eq 0 ] && income=NA
    printf '%d,user%d@example.com,%s,2024-%02d-%02d,%s,%s,%d\n' $((900000000000 + i)) "$i" "$note" \
      $((1 + i % 12)) $((1 + i % 27)) "$([ $((i % 2)) -eq 0 ] && echo true || echo false)" "$income" $((i % 7))
  done
} >"$C/customers.csv"
"$STRATA" import "$C/customers.csv" -o "$T/c.h5" -q
"$STRATA" fit "$T/c.h5" -k 3 -o "$T/m.h5" --labels "$T/labels.h5" --features visits,income --missing drop \
  --seed 4 -q

run "$STRATA" export "$T/labels.h5" --with "$T/c.h5" --columns customer_id,email,note,signup,member,income \
  -o "$T/segments.csv"
if [ "$RC" -eq 0 ] && grep -q 'export: .* rows=40 columns=8' "$T/out" &&
  python3 - "$C/customers.csv" "$T/segments.csv" <<'EOF'; then ok "export: every value as in the CSV, labels appended"
import csv, sys
src = list(csv.DictReader(open(sys.argv[1], newline="")))
out = list(csv.DictReader(open(sys.argv[2], newline="")))
assert len(out) == 40 and list(out[0].keys()) == ["customer_id", "email", "note", "signup", "member", "income",
                                                   "segment", "distance"], list(out[0].keys())
for s, o in zip(src, out):
    for k in ["customer_id", "email", "note", "signup", "member"]:
        assert s[k] == o[k], (k, s[k], o[k])
    if s["income"] == "NA":
        assert o["income"] == "" and o["segment"] == "" and o["distance"] == "", o
    else:
        assert float(s["income"]) == float(o["income"]), (s["income"], o["income"])
        assert o["segment"] in ("0", "1", "2") and float(o["distance"]) >= 0, o
EOF
else bad "export --columns" "$(cat "$T/out" "$T/err")" "$(head -5 "$T/segments.csv" 2>/dev/null)"; fi
if head -c 200 "$T/segments.csv" | grep -q $'\r$' && [ "$(head -1 "$T/segments.csv")" = $'customer_id,email,note,signup,member,income,segment,distance\r' ]; then
  ok "export: RFC 4180 header and CRLF line ends"
else bad "export header" "$(head -2 "$T/segments.csv" | cat -A)"; fi

# Every column by default; what export writes, import reads back the same.
run "$STRATA" export "$T/labels.h5" --with "$T/c.h5" -o "$T/all.csv" --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["rows"], j["cols"]')" = "(40, 9)" ]; then ok "export --json: rows and columns"
else bad "export --json" "$(cat "$T/out" "$T/err")"; fi
"$STRATA" import "$T/all.csv" -o "$T/back.h5" -q --skip-columns segment,distance
"$STRATA" inspect "$T/c.h5" --json >"$T/a.json"
"$STRATA" inspect "$T/back.h5" --json >"$T/b.json"
if python3 - "$T/a.json" "$T/b.json" <<'EOF'; then ok "export then import: the same table (types, counts, statistics)"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
strip = lambda j: [{k: v for k, v in c.items()} for c in j["columns"]]
assert strip(a) == strip(b), (strip(a), strip(b))
EOF
else bad "round trip" "$(diff "$T/a.json" "$T/b.json")"; fi

# Labels only.
run "$STRATA" export "$T/labels.h5" -o "$T/labels.csv"
if [ "$RC" -eq 0 ] && [ "$(head -1 "$T/labels.csv")" = $'segment,distance\r' ] && [ "$(wc -l <"$T/labels.csv")" -eq 41 ]; then
  ok "export without --with: segment and distance"
else bad "labels only" "$(head -3 "$T/labels.csv")"; fi

# ---- failures: exit 2 (or 1), one line, nothing left behind
printf 'a,b\n1,2\n3,4\n' >"$C/small.csv"
"$STRATA" import "$C/small.csv" -o "$T/small.h5" -q
expect_error_clean "export: labels and data differ in rows" 2 "labels file .*has 40 rows but .*small\.h5' has 2" "$O" \
  "$STRATA" export "$T/labels.h5" --with "$T/small.h5" -o "$O/x.csv"
expect_error_clean "export: unknown column" 2 "column 'nope' not found" "$O" \
  "$STRATA" export "$T/labels.h5" --with "$T/c.h5" --columns email,nope -o "$O/x.csv"
expect_error_clean "export: not a labels file" 2 "small\.h5' is not a labels file" "$O" \
  "$STRATA" export "$T/small.h5" --with "$T/c.h5" -o "$O/x.csv"
expect_error_clean "export: missing labels file" 2 "nope\.h5" "$O" \
  "$STRATA" export "$T/nope.h5" -o "$O/x.csv"
expect_error "export: --columns without --with" 2 "--columns needs --with" \
  "$STRATA" export "$T/labels.h5" --columns email -o "$O/x.csv"
expect_error "export: no -o" 2 "missing required option -o" "$STRATA" export "$T/labels.h5"
expect_error_clean "export: output in a missing directory" 1 "/nonexistent/dir/x\.csv" "$O" \
  "$STRATA" export "$T/labels.h5" -o /nonexistent/dir/x.csv

finish

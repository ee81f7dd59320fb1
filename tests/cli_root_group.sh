#!/usr/bin/env bash
# A file whose root holds no table but one group that does (`import --group
# /customers`) is read from that group without --dataset; with several such
# groups the error names them.
NAME=cli_root_group
. "$(dirname "$0")/cli_lib.sh"

printf 'customer_id,spend,visits,region\n1,10.5,3,north\n2,20,1,south\n3,11,4,north\n4,19.5,2,south\n5,12,3,east\n' >"$T/c.csv"
"$STRATA" import "$T/c.csv" -o "$T/g.h5" --group /customers -q
run "$STRATA" inspect "$T/g.h5"
if [ "$RC" -eq 0 ] && head -n 1 "$T/out" | grep -q "g.h5 /customers: rows=5 columns=4"; then
  ok "inspect: the only group with a table is read (and named)"
else bad "inspect of a root without a table" "rc=$RC $(cat "$T/out" "$T/err")"; fi
run "$STRATA" fit "$T/g.h5" -k 2 -o "$T/m.h5" --labels "$T/l.h5" --seed 3 --json
if [ "$RC" -eq 0 ] && [ "$(jq_py "$T/out" 'j["features"]')" = '["spend", "visits"]' ]; then
  ok "fit reads the group's table: the same features as with --dataset /customers"
else bad "fit on the only group" "rc=$RC $(cat "$T/err")"; fi
run "$STRATA" fit "$T/g.h5" --dataset /customers -k 2 -o "$T/m2.h5" --labels "$T/l2.h5" --seed 3 -q
if [ "$RC" -eq 0 ] && labels_equal "$T/l.h5" "$T/l2.h5"; then ok "the same labels as with --dataset /customers"
else bad "same labels as --dataset" "rc=$RC $(cat "$T/err")"; fi
run "$STRATA" fit "$T/g.h5" -k 2 -o "$T/m3.h5" --categorical region --seed 3 -q
if [ "$RC" -eq 0 ]; then ok "--categorical reads the group's dictionary"
else bad "--categorical on the only group" "$(cat "$T/err")"; fi

cp "$T/g.h5" "$T/two.h5"
if command -v h5copy >/dev/null; then
  h5copy -i "$T/g.h5" -s /customers -o "$T/two.h5" -d /prospects
  expect_error "two groups with tables are named" 2 "holds no table but 2 groups do \(/customers, /prospects\); name one as the location" \
    "$STRATA" inspect "$T/two.h5"
  run "$STRATA" inspect "$T/two.h5" --dataset /prospects
  if [ "$RC" -eq 0 ]; then ok "--dataset picks one of them"; else bad "--dataset /prospects" "$(cat "$T/err")"; fi
else
  unavailable "h5copy (hdf5-tools) builds the file with two groups"
fi
finish

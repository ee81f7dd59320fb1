#!/usr/bin/env bash
# Tests of the strata-gen tool: determinism (same seed -> same bytes; any
# --chunk-rows -> same values), shapes and row counts, missing fractions,
# empty tables, layouts, errors.  Needs h5dump and h5ls (Debian hdf5-tools).
# Environment: STRATA_GEN (the tool), STRATA_TEST_TMP (scratch dir).
set -u

GEN=${STRATA_GEN:-strata-gen}
BASE=${STRATA_TEST_TMP:-${TMPDIR:-/tmp}}
T=$(mktemp -d "$BASE/gen_test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
check() { # check "description" command...
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

for tool in h5dump h5ls; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "gen_test: $tool not found (install hdf5-tools)"
    echo "gen: 0 passed, 1 failed"
    exit 1
  fi
done

# values FILE DATASET [h5dump selection options]: one value per line, full precision.
values() {
  local f=$1 d=$2
  shift 2
  h5dump -m %.9g -y -w 0 -d "$d" "$@" "$f" 2>/dev/null |
    awk '/^ *DATA \{/ {on=1; next} on && /^ *\}/ {exit} on' |
    tr ', ' '\n\n' | grep -v '^$'
}
# raw little-endian bytes of one dataset
rawbytes() { h5dump -b LE -d "$2" -o "$3" "$1" >/dev/null 2>&1; }
# rows of a dataset from h5ls: "Dataset {N/Inf}", "{N}" or "{N, d}" -> N
rows_of() { h5ls "$1/$2" 2>/dev/null | sed -n 's/.*Dataset {\([0-9]*\).*/\1/p'; }
# shape "{...}" as h5ls prints it
shape_of() { h5ls "$1/$2" 2>/dev/null | sed -n 's/.*Dataset \({.*}\).*/\1/p'; }
count_nan() { values "$1" "$2" | grep -ci '^-\?nan$'; }
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

CUST_COLS="customer_id age income purchase_frequency recency_days avg_basket_value tenure_months"

# ---------------------------------------------------------------- basics
check "--help exits 0 and shows usage" bash -c "'$GEN' --help | grep -q 'usage: strata-gen'"
"$GEN" -o "$T/none.h5" --rows 10 --bogus >/dev/null 2>&1
check "unknown option exits 2" [ $? -eq 2 ]
"$GEN" --rows 10 >/dev/null 2>&1
check "missing -o exits 2" [ $? -eq 2 ]
"$GEN" -o "$T/none.h5" --rows -5 >/dev/null 2>&1
check "negative --rows exits 2" [ $? -eq 2 ]
"$GEN" -o "$T/none.h5" --layout nope >/dev/null 2>&1
check "bad --layout exits 2" [ $? -eq 2 ]
"$GEN" -o "$T/no/such/dir/x.h5" --rows 10 >/dev/null 2>&1
check "unwritable output exits 1" [ $? -eq 1 ]
out=$("$GEN" -o "$T/quiet.h5" --rows 1000 2>&1)
check "silent on success" [ -z "$out" ]
out=$("$GEN" -o "$T/quiet.h5" --rows 1000 -v 2>&1)
check "-v prints a summary" bash -c "echo '$out' | grep -q '1000 rows'"
check "no temporary file left behind" bash -c "! ls '$T' | grep -q tmp"

# ---------------------------------------------------------------- determinism
"$GEN" -o "$T/a1.h5" --rows 20000 --seed 7 --truth
"$GEN" -o "$T/a2.h5" --rows 20000 --seed 7 --truth
check "same seed twice: identical files" cmp -s "$T/a1.h5" "$T/a2.h5"
allsame=1
for c in $CUST_COLS true_segment; do
  rawbytes "$T/a1.h5" "/$c" "$T/a1.$c.bin" && rawbytes "$T/a2.h5" "/$c" "$T/a2.$c.bin" &&
    cmp -s "$T/a1.$c.bin" "$T/a2.$c.bin" && [ -s "$T/a1.$c.bin" ] || allsame=0
done
check "same seed twice: identical bytes of every dataset" [ $allsame -eq 1 ]
"$GEN" -o "$T/a3.h5" --rows 20000 --seed 8 --truth
rawbytes "$T/a3.h5" /income "$T/a3.income.bin"
check "different seed: different income" bash -c "! cmp -s '$T/a1.income.bin' '$T/a3.income.bin'"

for cr in 7 1000 65536 1000000; do
  "$GEN" -o "$T/c$cr.h5" --rows 20000 --seed 7 --truth --chunk-rows $cr
  same=1
  for c in $CUST_COLS true_segment; do
    rawbytes "$T/c$cr.h5" "/$c" "$T/c.$c.bin" && cmp -s "$T/a1.$c.bin" "$T/c.$c.bin" || same=0
  done
  check "--chunk-rows $cr: same values as the default" [ $same -eq 1 ]
done
check "--chunk-rows 7 really chunks by 7" bash -c "h5dump -p -H -d /income '$T/c7.h5' | grep -q 'CHUNKED ( 7 )'"

"$GEN" -o "$T/p1.h5" --rows 5000 --seed 7 --truth
rawbytes "$T/p1.h5" /income "$T/p1.income.bin"
check "rows are a prefix: 5000 rows = first 5000 of 20000" \
  cmp -s "$T/p1.income.bin" <(head -c $((5000 * 4)) "$T/a1.income.bin")

"$GEN" -o "$T/b1.h5" --kind blobs --rows 30000 --dims 17 --centers 7 --seed 3 --truth --chunk-rows 100
"$GEN" -o "$T/b2.h5" --kind blobs --rows 30000 --dims 17 --centers 7 --seed 3 --truth --chunk-rows 4096
rawbytes "$T/b1.h5" /data "$T/b1.bin"
rawbytes "$T/b2.h5" /data "$T/b2.bin"
check "blobs: any --chunk-rows gives the same matrix" cmp -s "$T/b1.bin" "$T/b2.bin"
rawbytes "$T/b1.h5" /truth/true_segment "$T/b1t.bin"
rawbytes "$T/b2.h5" /truth/true_segment "$T/b2t.bin"
check "blobs: any --chunk-rows gives the same truth" cmp -s "$T/b1t.bin" "$T/b2t.bin"

# ---------------------------------------------------------------- shapes
allrows=1
for c in $CUST_COLS; do [ "$(rows_of "$T/a1.h5" "$c")" = 20000 ] || allrows=0; done
check "customers: 7 columns of 20000 rows" [ $allrows -eq 1 ]
check "--truth writes true_segment" [ "$(rows_of "$T/a1.h5" true_segment)" = 20000 ]
check "without --truth there is no true_segment" bash -c "! h5ls '$T/quiet.h5' | grep -q true_segment"
check "customer_id is int64, age int32, income float32" bash -c "
  h5dump -H -d /customer_id '$T/a1.h5' | grep -q H5T_STD_I64LE &&
  h5dump -H -d /age '$T/a1.h5' | grep -q H5T_STD_I32LE &&
  h5dump -H -d /income '$T/a1.h5' | grep -q H5T_IEEE_F32LE"
check "customer_id runs 1..N" [ "$(values "$T/a1.h5" /customer_id | sed -n '1p;20000p' | tr '\n' ' ')" = "1 20000 " ]
ages=$(values "$T/a1.h5" /age | sort -n | sed -n '1p;$p' | tr '\n' ' ')
check "age within 18..95 ($ages)" bash -c "set -- $ages; [ \$1 -ge 18 ] && [ \$2 -le 95 ]"
nseg=$(values "$T/a1.h5" /true_segment | sort -u | tr '\n' ' ')
check "default 5 segments, all used ($nseg)" [ "$nseg" = "0 1 2 3 4 " ]
"$GEN" -o "$T/s9.h5" --rows 20000 --segments 9 --truth
check "--segments 9 uses 9 segments" [ "$(values "$T/s9.h5" /true_segment | sort -u | wc -l)" = 9 ]

"$GEN" -o "$T/f64.h5" --rows 1000 --dtype float64
check "--dtype float64" bash -c "h5dump -H -d /income '$T/f64.h5' | grep -q H5T_IEEE_F64LE"

"$GEN" -o "$T/m.h5" --rows 20000 --seed 7 --layout matrix --truth
check "matrix layout: data is 20000 x 6" [ "$(shape_of "$T/m.h5" data)" = "{20000, 6}" ]
names=$(h5dump -y -w 0 -a /data/columns "$T/m.h5" | tr -d ' \n')
check "matrix layout: columns attribute lists the names" \
  grep -q '"age","income","purchase_frequency","recency_days","avg_basket_value","tenure_months"' <<<"$names"
check "matrix layout: truth kept out of the feature group" [ "$(rows_of "$T/m.h5" truth/true_segment)" = 20000 ]
check "matrix column 'income' equals the income column" \
  cmp -s <(values "$T/m.h5" /data -s 0,1 -c 20000,1) <(values "$T/a1.h5" /income)

"$GEN" -o "$T/g.h5" --rows 100 --group /shop/2024
check "--group writes into the group" [ "$(rows_of "$T/g.h5" shop/2024/income)" = 100 ]

check "blobs: data is 30000 x 17 float32" bash -c "[ \"\$(h5ls '$T/b1.h5/data' | sed -n 's/.*Dataset \\({.*}\\).*/\\1/p')\" = '{30000, 17}' ] &&
  h5dump -H -d /data '$T/b1.h5' | grep -q H5T_IEEE_F32LE"
check "blobs: 7 centres used" [ "$(values "$T/b1.h5" /truth/true_segment | sort -u | wc -l)" = 7 ]
"$GEN" -o "$T/bc.h5" --kind blobs --rows 30000 --dims 17 --centers 7 --seed 3 --layout columns
check "blobs, columns layout: x0..x16" bash -c "[ \$(h5ls '$T/bc.h5' | grep -c '^x[0-9]* ') = 17 ] && h5ls '$T/bc.h5' | grep -q '^x16 '"
check "blobs: column x5 equals matrix column 5" \
  cmp -s <(values "$T/bc.h5" /x5) <(values "$T/b1.h5" /data -s 0,5 -c 30000,1)
"$GEN" -o "$T/b1d.h5" --kind blobs --rows 1000 --dims 1 --centers 1
check "blobs: d=1, k=1" [ "$(shape_of "$T/b1d.h5" data)" = "{1000, 1}" ]

# ---------------------------------------------------------------- missing values
n_inc=$(count_nan "$T/a1.h5" /income)
n_bas=$(count_nan "$T/a1.h5" /avg_basket_value)
n_rec=$(count_nan "$T/a1.h5" /recency_days)
n_frq=$(count_nan "$T/a1.h5" /purchase_frequency)
# 2% of 20000 = 400; binomial sd ~ 20
check "default --missing: ~2% NaN in income ($n_inc/20000)" between "$n_inc" 300 500
check "default --missing: ~2% NaN in avg_basket_value ($n_bas/20000)" between "$n_bas" 300 500
check "default --missing: ~2% NaN in recency_days ($n_rec/20000)" between "$n_rec" 300 500
check "no NaN in purchase_frequency" [ "$n_frq" -eq 0 ]
"$GEN" -o "$T/m10.h5" --rows 20000 --missing 0.1
n=$(count_nan "$T/m10.h5" /income)
check "--missing 0.1: ~10% NaN in income ($n/20000)" between "$n" 1800 2200
"$GEN" -o "$T/m0.h5" --rows 20000 --missing 0
n=$(( $(count_nan "$T/m0.h5" /income) + $(count_nan "$T/m0.h5" /avg_basket_value) + $(count_nan "$T/m0.h5" /recency_days) ))
check "--missing 0: no NaN at all" [ "$n" -eq 0 ]
check "blobs: no NaN by default" [ "$(count_nan "$T/b1.h5" /data)" -eq 0 ]
"$GEN" -o "$T/inf.h5" --rows 100 --inf --missing 0
check "--inf: +Inf in income at row 3 only" \
  [ "$(values "$T/inf.h5" /income | grep -ni '^inf$' | tr '\n' ' ')" = "4:inf " ]

# ---------------------------------------------------------------- empty tables
"$GEN" -o "$T/z.h5" --rows 0 --truth
rc=$?
check "--rows 0 exits 0" [ $rc -eq 0 ]
zero=1
for c in $CUST_COLS true_segment; do [ "$(rows_of "$T/z.h5" "$c")" = 0 ] || zero=0; done
check "--rows 0: every column exists with 0 rows" [ $zero -eq 1 ]
"$GEN" -o "$T/zm.h5" --rows 0 --kind blobs --dims 4
check "--rows 0, matrix: data is 0 x 4" bash -c "h5ls '$T/zm.h5/data' | grep -q 'Dataset {0/Inf, 4}'"

echo "gen: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# The safe default feature set from the command line: fit, sweep, stability
# and pca leave out identifiers, booleans, dates and sentinel-dominated
# columns with one note each on stderr (and `left_out` in --json);
# --features overrides, --exclude removes, a date named in --features is
# used as its age in days (saved in the model, applied by assign), -q
# silences the notes.
NAME=cli_features
. "$(dirname "$0")/cli_lib.sh"

python3 - "$T/bank.csv" <<'EOF'
import random, sys
random.seed(11)
with open(sys.argv[1], "w") as f:
    f.write("client_id,age,balance,day,pdays,joined,y,job\n")
    for i in range(2000):
        g = i % 2
        pd = -1 if random.random() < 0.8 else random.randint(1, 400)
        f.write(f"{i + 1},{random.randint(20, 40) + 25 * g},{random.gauss(1000 + 4000 * g, 300):.0f},"
                f"{random.randint(1, 31)},{pd},2020-{random.randint(1, 12):02d}-{random.randint(1, 28):02d},"
                f"{random.choice(['yes', 'no'])},{random.choice(['admin', 'technician', 'services'])}\n")
EOF
"$STRATA" import "$T/bank.csv" -o "$T/b.h5" -q

run "$STRATA" fit "$T/b.h5" -k 2 -o "$T/m.h5" --json
# client_id, which import marked as an identifier, is in --json only.
if [ "$RC" -eq 0 ] && [ "$(grep -c '^strata: note: leaving out ' "$T/err")" -eq 5 ] &&
  ! grep -q "leaving out 'client_id'" "$T/err" &&
  grep -q "^strata: note: leaving out 'day': it is a calendar field" "$T/err" &&
  grep -q "^strata: note: leaving out 'pdays': it is dominated by the sentinel -1" "$T/err" &&
  grep -q "^strata: note: leaving out 'joined': it is a date" "$T/err" &&
  grep -q "^strata: note: leaving out 'y': it is boolean" "$T/err" &&
  grep -q "^strata: note: leaving out 'job': it is text (categorical): --categorical job" "$T/err" &&
  python3 - "$T/out" <<'EOF'; then ok "fit: one note per column left out, and left_out in --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["features"] == ["age", "balance"], j["features"]
assert [x["feature"] for x in j["left_out"]] == ["client_id", "job", "y", "joined", "day", "pdays"] or \
    sorted(x["feature"] for x in j["left_out"]) == sorted(["client_id", "job", "y", "joined", "day", "pdays"]), j["left_out"]
assert all(x["reason"] for x in j["left_out"])
EOF
else bad "fit: one note per column left out" "rc=$RC" "$(head -c 900 "$T/err")"; fi

run "$STRATA" fit "$T/b.h5" -k 2 -o "$T/m.h5" -q
if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ]; then ok "-q silences the notes"; else bad "-q silences the notes" "$(cat "$T/err")"; fi

run "$STRATA" fit "$T/b.h5" -k 2 -o "$T/m.h5" --features age,balance,pdays,day --json
if [ "$RC" -eq 0 ] && ! grep -q "note:" "$T/err" && python3 - "$T/out" <<'EOF'; then ok "--features overrides the rules"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["features"] == ["age", "balance", "pdays", "day"], j["features"]
assert j["left_out"] == []
EOF
else bad "--features overrides the rules" "rc=$RC $(head -c 300 "$T/err")"; fi

run "$STRATA" fit "$T/b.h5" -k 2 -o "$T/m.h5" --exclude balance,job --categorical job --json
if [ "$RC" -eq 0 ] && grep -q "leaving out 'balance': it is excluded (--exclude)" "$T/err" &&
  ! grep -q "leaving out 'job'" "$T/err" &&
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["features"][0] == "age" and "balance" not in j["features"] and "job" in j["categorical"], j["features"]' "$T/out"
then ok "--exclude leaves a column out, with a note; a --categorical column is not noted"
else bad "--exclude leaves a column out" "rc=$RC $(head -c 400 "$T/err")"; fi
expect_error "--exclude of a column the table lacks" 2 "--exclude: column 'nope' not found" \
  "$STRATA" fit "$T/b.h5" -k 2 -o "$T/x.h5" --exclude nope

# A date named in --features: its age in days at the latest training date.
run "$STRATA" fit "$T/b.h5" -k 2 -o "$T/md.h5" --features age,balance,joined --labels "$T/ld.h5" --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'EOF'; then ok "a date in --features is used as its age in days"
import json, sys
j = json.load(open(sys.argv[1]))
t = j["transforms"]
assert len(t) == 1 and t[0]["feature"] == "joined" and t[0]["transform"] == "age-days", t
assert 18262 <= t[0]["reference_day"] <= 18627, t   # within 2020
EOF
else bad "a date in --features is used as its age in days" "rc=$RC $(head -c 300 "$T/err")"; fi
run "$STRATA" assign "$T/md.h5" "$T/b.h5" --labels "$T/ld2.h5" --no-drift
if [ "$RC" -eq 0 ] && labels_equal "$T/ld.h5" "$T/ld2.h5"; then ok "assign applies the age in days: fit's labels"
else bad "assign applies the age in days" "rc=$RC $(head -c 300 "$T/err")"; fi

# A failure is one line on stderr: the notes come only after success.
expect_error "a failing fit prints no notes" 2 "unknown algorithm" \
  "$STRATA" fit "$T/b.h5" -k 2 -o "$T/x.h5" --algorithm kmedoids

# The same choice in sweep, stability and pca.
run "$STRATA" sweep "$T/b.h5" -k 2:3 --json
if [ "$RC" -eq 0 ] && [ "$(grep -c '^strata: note: leaving out ' "$T/err")" -eq 5 ] &&
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["features"] == ["age", "balance"] and len(j["left_out"]) == 6' "$T/out"
then ok "sweep: the same default features and notes"
else bad "sweep: the same default features" "rc=$RC $(head -c 300 "$T/err")"; fi
run "$STRATA" stability "$T/b.h5" -k 2 --runs 2 --sample 500 --json
if [ "$RC" -eq 0 ] && [ "$(grep -c '^strata: note: leaving out ' "$T/err")" -eq 5 ] &&
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert len(j["left_out"]) == 6' "$T/out"
then ok "stability: the same default features and notes"
else bad "stability: the same default features" "rc=$RC $(head -c 300 "$T/err")"; fi
run "$STRATA" pca "$T/b.h5" --json
if [ "$RC" -eq 0 ] && [ "$(grep -c '^strata: note: leaving out ' "$T/err")" -eq 5 ]; then ok "pca: the same default features and notes"
else bad "pca: the same default features" "rc=$RC $(head -c 300 "$T/err")"; fi
finish

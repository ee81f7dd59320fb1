#!/usr/bin/env bash
# Categorical columns at fit time: one-hot encoding with the variance weight,
# category shares per segment, assign with the model's categories (new
# categories warned about), and the errors around --categorical.
NAME=cli_categorical
. "$(dirname "$0")/cli_lib.sh"

C="$T/in"
mkdir "$C"
# Three planted groups: region follows the group 90% of the time.
python3 - "$C/c.csv" "$C/new.csv" <<'EOF'
import random, sys
random.seed(7)
def rows(n, regions):
    out = []
    for i in range(n):
        s = i % 3
        region = regions[s] if random.random() < 0.9 else random.choice(regions)
        channel = random.choice(["web", "store"]) if random.random() > 0.05 else ""
        out.append(f"{i+1},{[25,45,65][s] + random.gauss(0,3):.2f},{[30,60,90][s] + random.gauss(0,3):.2f},{region},{channel}\n")
    return out
with open(sys.argv[1], "w") as f:
    f.write("customer_id,age,income,region,channel\n"); f.writelines(rows(600, ["North", "South", "East"]))
with open(sys.argv[2], "w") as f:
    f.write("customer_id,age,income,region,channel\n"); f.writelines(rows(60, ["North", "South", "West"]))
EOF
"$STRATA" import "$C/c.csv" -o "$T/c.h5" -q
"$STRATA" import "$C/new.csv" -o "$T/new.h5" -q

run "$STRATA" fit "$T/c.h5" -k 3 --categorical region,channel --missing mean --seed 1 -o "$T/m.h5" \
  --labels "$T/l.h5" --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'EOF'; then ok "fit --categorical: one-hot features, shares per segment"
import json, sys
j = json.load(open(sys.argv[1]))
# Categories come in the order of the table's dictionary (first appearance).
assert j["features"][:5] == ["age", "income", "region=North", "region=South", "region=East"], j["features"]
assert sorted(j["features"][5:]) == ["channel=store", "channel=web"], j["features"]
assert j["categorical"] == ["region", "channel"]
for c in j["centroids"]:
    region = c[2:5]
    assert all(0 <= v <= 1 for v in c[2:]), c
    assert abs(sum(region) - 1) < 1e-6, region          # no region is missing (float32 data)
    assert max(region) > 0.8, region                     # each segment has a dominant region
    assert 0.9 < c[5] + c[6] <= 1 + 1e-6, c[5:]          # channel missing 5%, imputed by share
# One-hot columns are weighted by sqrt(1 / (1 - sum p^2)) (about 1.22 for three
# equal regions), never centred.
w = [1 / f for f in j["scale_factor"][2:5]]
assert all(abs(x - w[0]) < 1e-12 for x in w), w
assert 1.1 < w[0] < 1.4, w
assert j["scale_shift"][2:] == [0.0] * 5
EOF
else bad "fit --categorical" "$(cat "$T/out" "$T/err")"; fi

run "$STRATA" assign "$T/m.h5" "$T/c.h5" --labels "$T/l2.h5"
if [ "$RC" -eq 0 ] && labels_equal "$T/l.h5" "$T/l2.h5"; then ok "assign reproduces fit's labels with categorical columns"
else bad "assign on the training data" "$(cat "$T/err")"; fi

run "$STRATA" assign "$T/m.h5" "$T/new.h5" --labels "$T/l3.h5"
if [ "$RC" -eq 0 ] && grep -q "category the model has not seen" "$T/err"; then ok "assign: an unseen category is a warning"
else bad "assign with a new category" "$RC" "$(cat "$T/err")"; fi

run "$STRATA" fit "$T/c.h5" -k 3 --categorical region --categorical-weight 4 --missing mean -o "$T/m4.h5" --json
if [ "$RC" -eq 0 ] && python3 - "$T/out" <<'EOF'; then ok "--categorical-weight 4 doubles the one-hot weight"
import json, sys
j = json.load(open(sys.argv[1]))
w = 1 / j["scale_factor"][2]
assert 2.2 < w < 2.8, w
EOF
else bad "--categorical-weight" "$(cat "$T/out" "$T/err")"; fi

expect_error_clean "a categorical column named as a feature" 2 "categorical; use --categorical region" "$T" \
  "$STRATA" fit "$T/c.h5" -k 3 --features age,region -o "$T/x.h5"
expect_error_clean "--categorical on a numeric column" 2 "age" "$T" \
  "$STRATA" fit "$T/c.h5" -k 3 --categorical age -o "$T/x.h5"
expect_error_clean "--categorical-weight 0" 2 "categorical-weight" "$T" \
  "$STRATA" fit "$T/c.h5" -k 3 --categorical region --categorical-weight 0 -o "$T/x.h5"
expect_error_clean "missing category with --missing error" 2 "missing value" "$T" \
  "$STRATA" fit "$T/c.h5" -k 3 --categorical channel -o "$T/x.h5"
finish

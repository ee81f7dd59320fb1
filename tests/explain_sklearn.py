"""strata explain against scikit-learn's DecisionTreeClassifier(max_depth=N)
fitted on the same rows (the model's features, original units, float32)
and the same segments (the labels file of the fit).

Tolerances, and why:
* Continuous features (many distinct values): strata grows its tree from
  histograms of at most 256 quantile bins per feature, scikit-learn tries
  every split between distinct values.  A histogram split can miss the
  exact optimum by up to one bin (~1/256 of a node's rows), and a greedy
  tree that splits one node differently then differs below it.  The
  fidelity (training accuracy of the tree) must be within 0.02 of
  scikit-learn's at every depth (observed: within 0.001).
* Features with at most 256 distinct values (integers): the bins are the
  values themselves, so strata evaluates exactly the splits scikit-learn
  does, with the same criterion (Gini); only ties between equally good
  splits are broken differently (strata: lower feature, lower threshold;
  scikit-learn: a random feature order).  The fidelity must agree within
  0.002 (observed: equal).
"""
import argparse, json, os, subprocess, sys

import h5py
import numpy as np
from sklearn.tree import DecisionTreeClassifier

ap = argparse.ArgumentParser()
ap.add_argument("--strata", required=True)
ap.add_argument("--gen", required=True)
ap.add_argument("--tmp", required=True)
a = ap.parse_args()
failed = 0


def run(*args):
    return subprocess.run([a.strata, *args], check=True, capture_output=True, text=True).stdout


def check(cond, what):
    global failed
    print(("ok   - " if cond else "FAIL - ") + what)
    failed += not cond


def compare(name, data, model, labels, tol):
    y = h5py.File(labels, "r")["segment"][:]
    for depth in (1, 2, 3, 4):
        j = json.loads(run("explain", model, data, "--json", "--depth", str(depth), "--labels", labels))
        with h5py.File(data, "r") as f:
            X = np.column_stack([f[c][:] for c in j["features"]]).astype(np.float32)
        keep = y >= 0
        ref = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X[keep], y[keep])
        sk = ref.score(X[keep], y[keep])
        check(j["rows"] == keep.sum(), f"{name} depth {depth}: {j['rows']} rows explained")
        check(abs(j["fidelity"] - sk) <= tol,
              f"{name} depth {depth}: fidelity {j['fidelity']:.5f}, scikit-learn {sk:.5f} (tolerance {tol})")
        for s in j["segments"]:
            rows = (y[keep] == s["segment"]).sum()
            check(s["rows"] == rows, f"{name} depth {depth} segment {s['segment']}: rows")
        # The rules as JSON reproduce strata's own counts on the data.
        tree = j["tree"]
        node = np.zeros(len(X), dtype=int)
        for _ in range(depth):
            for n, t in enumerate(tree):
                if t["feature"] is None:
                    continue
                at = node == n
                go_left = X[:, j["features"].index(t["feature"])] <= t["threshold"]
                node[at & go_left] = t["left"]
                node[at & ~go_left] = t["right"]
        leaf = np.array([tree[n]["rule"] for n in node])
        got = [int((leaf[keep] == r).sum()) for r in range(len(j["rules"]))]
        check(got == [r["rows"] for r in j["rules"]], f"{name} depth {depth}: the thresholds separate the rows as counted")


# Continuous customers.
cust = os.path.join(a.tmp, "cust.h5")
subprocess.run([a.gen, "-o", cust, "--rows", "20000", "--segments", "5", "--seed", "11", "--missing", "0"], check=True)
run("fit", cust, "-k", "5", "--seed", "3", "-o", os.path.join(a.tmp, "m.h5"), "--labels", os.path.join(a.tmp, "l.h5"), "-q")
compare("continuous", cust, os.path.join(a.tmp, "m.h5"), os.path.join(a.tmp, "l.h5"), 0.02)

# The same customers rounded to integers: at most 256 distinct values each.
with h5py.File(cust, "r") as f:
    cols = [c for c in f.keys() if f[c].ndim == 1 and f[c].dtype.kind == "f"]
    vals = {c: np.round(f[c][:] / (np.std(f[c][:]) / 20.0)) for c in cols}
ints = os.path.join(a.tmp, "ints.h5")
with h5py.File(ints, "w") as f:
    for c in cols:
        f[c] = vals[c].astype(np.float32)
        assert len(np.unique(vals[c])) <= 256, (c, len(np.unique(vals[c])))
run("fit", ints, "-k", "5", "--seed", "3", "-o", os.path.join(a.tmp, "mi.h5"), "--labels", os.path.join(a.tmp, "li.h5"), "-q")
compare("integers", ints, os.path.join(a.tmp, "mi.h5"), os.path.join(a.tmp, "li.h5"), 0.002)
sys.exit(1 if failed else 0)

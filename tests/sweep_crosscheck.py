#!/usr/bin/env python3
"""Cross-check `strata sweep`'s metrics against scikit-learn.

For each case: blobs from strata-gen, `strata sweep -k A:B --json` with a
silhouette sample larger than the data (so the sample is every row and the
silhouette is the exact one), then for every k `strata fit -k K --labels`
with the same seed (a sweep's k is the model fit makes: same inertia and
iterations are checked too).  The file is read with h5py as float32 and
scaled as Strata scales (zscore: population mean and std of the float32
values, the result rounded to float32; none: as is), cast to float64, and
silhouette_score, calinski_harabasz_score and davies_bouldin_score are
computed with fit's labels.  Relative tolerance 1e-6.

Prints one line per check and `sweep_crosscheck: N passed, N failed`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

CASES = [
    dict(name="blobs_d4_c5_none", gen=["--rows", "3000", "--dims", "4", "--centers", "5", "--seed", "31"],
         k="2:7", scale="none", recommend=False),  # two of the five centres overlap
    dict(name="blobs_d3_c3_zscore", gen=["--rows", "2500", "--dims", "3", "--centers", "3", "--std", "3",
                                         "--seed", "32"], k="1:5", scale="zscore", recommend=True),
]


def load(path):
    with h5py.File(path, "r") as f:
        return np.asarray(f["data"][...], dtype=np.float32)


def scaled(x, how):
    if how == "none":
        return x.astype(np.float64)
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=0)
    sd = x64.std(axis=0)
    return ((x64 - mu) / sd).astype(np.float32).astype(np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--tmp", default=None)
    a = ap.parse_args()
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok   - {name}")
        else:
            failed += 1
            print(f"FAIL - {name} {detail}")

    def close(a_, b_, rel=1e-6):
        return abs(a_ - b_) <= rel * max(abs(a_), abs(b_), 1e-300)

    with tempfile.TemporaryDirectory(dir=a.tmp) as tmp:
        for case in CASES:
            data = os.path.join(tmp, case["name"] + ".h5")
            subprocess.run([a.gen, "--kind", "blobs", *case["gen"], "-o", data], check=True)
            args = ["--scale", case["scale"], "--seed", "5"]
            out = subprocess.run([a.strata, "sweep", data, "-k", case["k"], "--json", "--silhouette-sample",
                                  "1000000", *args], check=True, capture_output=True, text=True).stdout
            sweep = json.loads(out)
            x = scaled(load(data), case["scale"])
            for r in sweep["results"]:
                k = r["k"]
                labels_path = os.path.join(tmp, f"{case['name']}_{k}.h5")
                fit = json.loads(subprocess.run(
                    [a.strata, "fit", data, "-k", str(k), "-o", os.path.join(tmp, "m.h5"), "--labels",
                     labels_path, "--json", "--refine", "none", *args], check=True, capture_output=True, text=True).stdout)
                tag = f"{case['name']} k={k}"
                check(f"{tag}: inertia and iterations equal strata fit",
                      fit["inertia"] == r["inertia"] and fit["iterations"] == r["iterations"],
                      f"fit {fit['inertia']!r}/{fit['iterations']} sweep {r['inertia']!r}/{r['iterations']}")
                with h5py.File(labels_path, "r") as f:
                    lab = np.asarray(f["segment"][...])
                if len(np.unique(lab)) < 2:
                    check(f"{tag}: metrics null for one cluster",
                          r["silhouette"] is None and r["calinski_harabasz"] is None and r["davies_bouldin"] is None)
                    continue
                want = dict(silhouette=silhouette_score(x, lab),
                            calinski_harabasz=calinski_harabasz_score(x, lab),
                            davies_bouldin=davies_bouldin_score(x, lab))
                for m, v in want.items():
                    got = r[m]
                    check(f"{tag}: {m} {got} vs scikit-learn {v}", got is not None and close(got, v))
            ks = [r["k"] for r in sweep["results"]]
            planted = int(case["gen"][case["gen"].index("--centers") + 1])
            if case["recommend"] and planted in ks[1:-1]:
                check(f"{case['name']}: recommended k = {planted}", sweep["recommended_k"] == planted,
                      f"got {sweep['recommended_k']}: {sweep['reason']}")
    print(f"sweep_crosscheck: {passed} passed, {failed} failed")
    # No check at all proves nothing: that fails too.
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Cross-check `strata pca` against scikit-learn's PCA on the same scaled data.

Cases (strata-gen customers, seeded):
  1. standalone: z-scores (population std, rows with NaN left out, as the
     statistics pass does), PCA(svd_solver="full") on the float32 values
     read with h5py;
  2. --model: the model's scale_shift/scale_factor (from `strata fit
     --json`), every row (no missing values);
  3. a wide table (40 rows, 2 with a NaN, × 300 columns): the Gram-matrix
     path, at most rows - 1 components;
and for each: explained_variance_ and explained_variance_ratio_ within 1e-4
relative, components up to sign (|cos| > 1 - 1e-6), and the projection file
(CSV, then HDF5) equal to sklearn's transform of the sampled rows up to the
components' signs (1e-4 absolute).
Closes with `pca_sklearn: N passed, N failed`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from sklearn.decomposition import PCA

FEATURES = ["age", "income", "purchase_frequency", "recency_days", "avg_basket_value", "tenure_months"]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   - {name}")
    else:
        failed += 1
        print(f"FAIL - {name} {detail}")


def run(args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def load(path):
    with h5py.File(path, "r") as f:
        return np.stack([f[c][:].astype(np.float32).astype(np.float64) for c in FEATURES], axis=1)


def read_projection(path, ncomp):
    if path.endswith(".h5"):
        with h5py.File(path, "r") as f:
            rows = f["row"][:]
            scores = np.stack([f[f"pc{c + 1}"][:] for c in range(ncomp)], axis=1)
            seg = f["segment"][:] if "segment" in f else None
        return rows, scores, seg
    a = np.genfromtxt(path, delimiter=",", names=True)
    rows = a["row"].astype(np.int64)
    scores = np.stack([a[f"pc{c + 1}"] for c in range(ncomp)], axis=1)
    seg = a["segment"].astype(np.int64) if "segment" in a.dtype.names else None
    return rows, scores, seg


def compare(name, res, scaled, rows_used, proj_path, ncomp):
    sk = PCA(svd_solver="full").fit(scaled[rows_used])
    if len(res["components"]) < len(sk.explained_variance_):  # a wide table: the first rows - 1
        keep = len(res["components"])
        check(f"{name}: components = rows - 1", keep == int(rows_used.sum()) - 1, f"{keep}")
        sk.explained_variance_, sk.explained_variance_ratio_ = sk.explained_variance_[:keep], \
            sk.explained_variance_ratio_[:keep]
        sk.components_ = sk.components_[:keep]
    ev = np.array([c["explained_variance"] for c in res["components"]])
    ratio = np.array([c["explained_ratio"] for c in res["components"]])
    comps = np.array([c["loadings"] for c in res["components"]])
    check(f"{name}: rows", res["rows"] == int(rows_used.sum()), f"{res['rows']} vs {rows_used.sum()}")
    check(f"{name}: explained variance", np.allclose(ev, sk.explained_variance_, rtol=1e-4),
          f"{ev} vs {sk.explained_variance_}")
    check(f"{name}: explained ratio", np.allclose(ratio, sk.explained_variance_ratio_, rtol=1e-4),
          f"{ratio} vs {sk.explained_variance_ratio_}")
    cos = np.abs(np.sum(comps * sk.components_, axis=1))
    check(f"{name}: components up to sign", np.all(cos > 1 - 1e-6), f"|cos| {cos}")
    rows, scores, seg = read_projection(proj_path, ncomp)
    signs = np.sign(np.sum(comps * sk.components_, axis=1))[:ncomp]
    want = sk.transform(scaled[rows])[:, :ncomp] * signs
    err = float(np.max(np.abs(scores - want))) if len(rows) else 0.0
    check(f"{name}: projection {os.path.basename(proj_path)}", len(rows) > 0 and err < 1e-4, f"max error {err}")
    return rows, seg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--tmp", default="/tmp")
    a = ap.parse_args()
    os.makedirs(a.tmp, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=a.tmp) as t:
        data = os.path.join(t, "c.h5")
        run([a.gen, "--rows", "15000", "--seed", "5", "-o", data])
        x = load(data)
        complete = ~np.isnan(x).any(axis=1)
        mean = x[complete].mean(axis=0)
        std = x[complete].std(axis=0)
        for out in ("p.csv", "p.h5"):
            proj = os.path.join(t, out)
            res = json.loads(run([a.strata, "pca", data, "--components", "3", "--sample", "800", "--seed", "9",
                                  "-o", proj, "--json", "--features", ",".join(FEATURES)]))
            compare(f"zscore {out}", res, (x - mean) / std, complete, proj, 3)

        clean = os.path.join(t, "clean.h5")
        run([a.gen, "--rows", "12000", "--seed", "6", "--missing", "0", "-o", clean])
        model = os.path.join(t, "m.h5")
        fit = json.loads(run([a.strata, "fit", clean, "-k", "4", "-o", model, "--json", "--features",
                              ",".join(FEATURES)]))
        xc = load(clean)
        scaled = (xc - np.array(fit["scale_shift"])) / np.array(fit["scale_factor"])
        proj = os.path.join(t, "pm.csv")
        res = json.loads(run([a.strata, "pca", clean, "--model", model, "--sample", "700", "-o", proj, "--json"]))
        rows, seg = compare("model", res, scaled, np.ones(len(xc), bool), proj, 2)
        cent = np.array(fit["centroids_scaled"])
        nearest = np.argmin(((scaled[rows][:, None, :] - cent[None]) ** 2).sum(axis=2), axis=1)
        agree = float(np.mean(nearest == seg)) if seg is not None else 0.0
        check("model: segment column is the nearest centroid", agree >= 0.999, f"agreement {agree}")
        # a wide table: no more rows than columns
        rng = np.random.default_rng(3)
        n, d = 40, 300
        xw = (rng.normal(size=(n, 4)) @ rng.normal(size=(4, d)) + 0.1 * rng.normal(size=(n, d))).astype(np.float32)
        xw[5, 7] = xw[17, 250] = np.nan
        wide = os.path.join(t, "wide.h5")
        names = [f"w{j:03d}" for j in range(d)]
        with h5py.File(wide, "w") as f:
            for j, c in enumerate(names):
                f.create_dataset(c, data=xw[:, j])
        proj = os.path.join(t, "pw.csv")
        res = json.loads(run([a.strata, "pca", wide, "--sample", "100", "-o", proj, "--json"]))
        xw64 = xw.astype(np.float64)
        ok_rows = ~np.isnan(xw64).any(axis=1)
        mu, sd = xw64[ok_rows].mean(axis=0), xw64[ok_rows].std(axis=0)
        compare("wide 40x300", res, (xw64 - mu) / sd, ok_rows, proj, 2)
    print(f"pca_sklearn: {passed} passed, {failed} failed")
    # No check at all proves nothing: that fails too.
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

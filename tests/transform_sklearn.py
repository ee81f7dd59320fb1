#!/usr/bin/env python3
"""Cross-check `strata fit --transform ... --scale robust` against scikit-learn.

The data (written as float32 columns) go through `strata fit` with
yeo-johnson, log1p and clip transforms and the robust scaler; the oracle
reads the same float32 values as float64 and:

  * PowerTransformer(method='yeo-johnson', standardize=False): each column's
    lambda (Strata fits it on every row up to 200,000) within 1e-6;
  * numpy.percentile (linear): clip's bounds, exactly (to float64 rounding)
    while the quantile sketch is exact (n <= 4096), within 0.2% of rank beyond;
  * RobustScaler() on the transformed columns: center_ and scale_ against the
    model's scaler/shift and scaler/factor (rel 2e-6: Strata takes quartiles of
    the float32-rounded transformed values), exact-sketch case; beyond, the
    quartiles within 0.2% of rank;
  * the whole apply path: the oracle's transformed, robust-scaled rows,
    assigned to the model's scaled centroids by numpy, give `strata assign`'s
    labels (except within float32 rounding of a tie).

Prints one line per check, closes with `transform_sklearn: N passed, N failed`;
exits 1 when a check failed or none ran.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from sklearn.preprocessing import PowerTransformer, RobustScaler

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok    " + what)
    else:
        failed += 1
        print("FAIL  " + what)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p.stdout


def write(path, cols):
    with h5py.File(path, "w") as f:
        for name, v in cols.items():
            f.create_dataset(name, data=v.astype(np.float32), chunks=(min(len(v), 1000),))


def within_rank(v, x, q, tol=0.002):
    """x lies between v's percentiles at q - tol and q + tol (ties allowed)."""
    lo, hi = np.percentile(v, [100 * max(q - tol, 0), 100 * min(q + tol, 1)])
    return lo <= x <= hi


def case(strata, tmp, n, seed):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    cols = {
        "spend": np.exp(rng.normal(3 + g, 1.0, n)),                  # skewed, positive
        "balance": rng.normal(0, 50, n) + 30 * g + rng.exponential(40, n) * (g == 2),  # both signs
        "visits": rng.poisson(3 + 4 * g, n).astype(float),           # counts: log1p
        "tenure": np.where(rng.random(n) < 0.02, 5000.0, rng.normal(100 + 50 * g, 20, n)),  # outliers
    }
    names = list(cols)
    data = os.path.join(tmp, "d%d.h5" % n)
    write(data, cols)
    x = {k: v.astype(np.float32).astype(np.float64) for k, v in cols.items()}
    model = os.path.join(tmp, "m%d.h5" % n)
    labels = os.path.join(tmp, "l%d.h5" % n)
    run([strata, "fit", data, "-k", "3", "--seed", "1", "-o", model, "-q",
         "--transform", "spend:yeo-johnson,balance:yeo-johnson", "--transform", "visits:log1p",
         "--transform", "tenure:clip(p2,p98)", "--scale", "robust"])
    run([strata, "assign", model, data, "--labels", labels, "--no-drift", "-q"])
    exact = n <= 4096
    with h5py.File(model, "r") as m:
        feats = [s.decode() if isinstance(s, bytes) else s for s in m["features"][:]]
        kind = m["transform/kind"][:]
        param = m["transform/param"][:]
        shift = m["scaler/shift"][:]
        factor = m["scaler/factor"][:]
        cent = m["centroids"][:]
    # HDF5 lists a group's columns by name
    check(sorted(feats) == sorted(names), "n=%d: features %s" % (n, feats))
    names = feats
    idx = {f: j for j, f in enumerate(feats)}
    # yeo-johnson lambdas
    t = {}
    for c in ["spend", "balance"]:
        pt = PowerTransformer(method="yeo-johnson", standardize=False).fit(x[c][:, None])
        lam = param[idx[c], 0]
        check(kind[idx[c]] == 2 and abs(lam - pt.lambdas_[0]) <= 1e-6,
              "n=%d: %s yeo-johnson lambda %.9g vs PowerTransformer %.9g" % (n, c, lam, pt.lambdas_[0]))
        pt.lambdas_[0] = lam  # the oracle's transform with Strata's lambda: tests the transform alone
        t[c] = pt.transform(x[c][:, None])[:, 0]
    t["visits"] = np.log1p(x["visits"])
    # clip bounds
    lo, hi = np.percentile(x["tenure"], [2, 98])
    plo, phi = param[idx["tenure"], 1], param[idx["tenure"], 2]
    if exact:
        ok = abs(plo - lo) <= 1e-9 * abs(lo) and abs(phi - hi) <= 1e-9 * abs(hi)
        check(kind[idx["tenure"]] == 3 and ok, "n=%d: clip bounds %.9g..%.9g vs numpy %.9g..%.9g" % (n, plo, phi, lo, hi))
    else:
        check(within_rank(x["tenure"], plo, 0.02) and within_rank(x["tenure"], phi, 0.98),
              "n=%d: clip bounds %.9g..%.9g within 0.2%% of rank of numpy's %.9g..%.9g" % (n, plo, phi, lo, hi))
    t["tenure"] = np.clip(x["tenure"], plo, phi)
    # robust scaler on the transformed columns (float32-rounded, as Strata's statistics)
    T = np.column_stack([t[c] for c in names])
    T32 = T.astype(np.float32).astype(np.float64)
    rs = RobustScaler().fit(T32)
    if exact:
        ok = np.allclose(shift, rs.center_, rtol=2e-6, atol=1e-9) and np.allclose(factor, rs.scale_, rtol=2e-6)
        check(ok, "n=%d: robust center/scale %s / %s vs RobustScaler %s / %s"
              % (n, shift, factor, rs.center_, rs.scale_))
    else:
        ok = True
        for j in range(len(names)):
            v = T32[:, j]
            q1, q3 = np.percentile(v, [25, 75])
            # the median exactly within rank; the range as the difference of two such quartiles
            ok &= within_rank(v, shift[j], 0.5)
            lo1, hi1 = np.percentile(v, [24.8, 25.2])
            lo3, hi3 = np.percentile(v, [74.8, 75.2])
            ok &= (lo3 - hi1) - 1e-9 <= factor[j] <= (hi3 - lo1) + 1e-9
        check(ok, "n=%d: robust median and interquartile range within 0.2%% of rank of RobustScaler's %s / %s"
              % (n, rs.center_, rs.scale_))
    # the apply path: oracle scaling, numpy assignment to the model's centroids
    S = ((T - shift) / factor).astype(np.float32).astype(np.float64)
    d2 = ((S[:, None, :] - cent[None, :, :]) ** 2).sum(axis=2)
    want = d2.argmin(axis=1)
    with h5py.File(labels, "r") as f:
        got = f["segment"][:]
    part = np.sort(d2, axis=1)
    tie = (part[:, 1] - part[:, 0]) <= 1e-5 * (1 + part[:, 0])
    bad = (got != want) & ~tie
    check(bad.sum() == 0, "n=%d: strata assign = numpy on the oracle's transformed, scaled rows (%d differ, %d near ties)"
          % (n, bad.sum(), tie.sum()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--tmp")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="transform_sklearn.", dir=a.tmp)
    try:
        case(a.strata, tmp, 3000, 1)
        case(a.strata, tmp, 60000, 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("transform_sklearn: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

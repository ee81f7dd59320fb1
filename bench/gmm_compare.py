#!/usr/bin/env python3
"""bench/gmm_compare.py: seconds per EM iteration, strata fit --algorithm gmm
against scikit-learn's GaussianMixture, same data, same initial parameters,
same thread count (issue 15's case: n=1e6, d=16, k=8, full covariances).

    bench/gmm_compare.py --strata build/cli/strata --gen build/datasets/strata-gen \
        [--rows 1000000] [--dims 16] [--k 8] [--iters 10] [--threads 2] [--cov full]

Strata: the median of iterations_stats[].seconds of `fit --json` (tol 0,
--max-iter ITERS; reading, statistics and the final pass are not in it).
scikit-learn: (T(ITERS) - T(1)) / (ITERS - 1) of fit() on the in-memory
float64 array, so its fixed costs cancel.  Needs numpy, h5py, scikit-learn,
threadpoolctl (e.g. the tests' build-venv).
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import h5py
import numpy as np
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--dims", type=int, default=16)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cov", default="full")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gmm_bench.")
    data = os.path.join(tmp, "blobs.h5")
    subprocess.run([a.gen, "--kind", "blobs", "--rows", str(a.rows), "--dims", str(a.dims), "--centers",
                    str(a.k), "--std", "3", "--seed", "7", "-o", data], check=True)
    with h5py.File(data, "r") as f:
        X = np.asarray(f["data"][...], dtype=np.float32)
    X64 = X.astype(np.float64)
    init = X[np.random.default_rng(1).choice(X.shape[0], a.k, replace=False)].astype(np.float64)
    csv = os.path.join(tmp, "init.csv")
    with open(csv, "w") as f:
        for r in init:
            f.write(",".join(repr(float(v)) for v in r) + "\n")
    cmd = [a.strata, "fit", data, "-k", str(a.k), "-o", os.path.join(tmp, "m.h5"), "--algorithm", "gmm",
           "--covariance-type", a.cov, "--init", csv, "--scale", "none", "--tol", "0", "--max-iter",
           str(a.iters), "--threads", str(a.threads), "--json", "--progress", "none"]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    strata_it = float(np.median([s["seconds"] for s in out["iterations_stats"]]))
    var = X64.var(axis=0) + 1e-6
    prec = {"full": np.array([np.diag(1 / var)] * a.k), "tied": np.diag(1 / var),
            "diag": np.tile(1 / var, (a.k, 1)), "spherical": np.full(a.k, 1 / var.mean())}[a.cov]

    def fit(iters):
        gm = GaussianMixture(a.k, covariance_type=a.cov, tol=0, max_iter=iters, weights_init=np.full(a.k, 1 / a.k),
                             means_init=init, precisions_init=prec)
        t0 = time.perf_counter()
        gm.fit(X64)
        return time.perf_counter() - t0, gm

    with threadpool_limits(limits=a.threads):
        t1, _ = fit(1)
        tn, gm = fit(a.iters)
    sk_it = (tn - t1) / (a.iters - 1)
    print("n=%d d=%d k=%d %s, %d threads, %d iterations" % (a.rows, a.dims, a.k, a.cov, a.threads, a.iters))
    print("strata      %.4f s/iteration  log-likelihood %.10g" % (strata_it, out["gmm"]["log_likelihood"]))
    print("scikit-learn %.4f s/iteration  log-likelihood %.10g" % (sk_it, gm.score(X64)))
    print("strata / scikit-learn: %.2f" % (strata_it / sk_it))


if __name__ == "__main__":
    main()

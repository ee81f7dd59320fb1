#!/usr/bin/env python3
"""The cost of row weights (`strata fit --weights`) on the four benchmark
cases, against the same fit unweighted and against scikit-learn's KMeans
with and without sample_weight, from the same initial centres.

For each case (bench/compare's shapes; blobs of float32 values, weights
drawn from a gamma distribution) both tools run `--max-iter ITERS --tol 0`
Lloyd iterations from k rows picked by a seeded RNG (--init FILE for
Strata, init= for scikit-learn, which gets the float32 data as float64).
Printed per case: Strata's seconds per iteration unweighted and weighted
(`seconds_per_iteration` of --json: the passes only) and their ratio,
scikit-learn's per iteration (fit time / n_iter_) both ways and the ratio
of Strata's weighted to scikit-learn's weighted; the weighted inertias of
both (equal up to float rounding).

  bench/weights.py --strata build/cli/strata [--cases A,B,C,D] [--rows-scale 1]
      [--iters 10] [--threads 2] [--no-sklearn]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import h5py
import numpy as np

CASES = {"A": (1_000_000, 16, 8), "B": (1_000_000, 32, 64), "C": (200_000, 128, 1024), "D": (10_000_000, 8, 10)}


def strata_fit(args, h5, init_csv, k, extra):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.strata, "fit", h5, "-k", str(k), "-o", os.path.join(tmp, "m.h5"), "--init", init_csv,
               "--scale", "none", "--tol", "0", "--max-iter", str(args.iters), "--json", "-q"] + extra
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--cases", default="A,B,C,D")
    ap.add_argument("--rows-scale", type=float, default=1.0)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--no-sklearn", action="store_true")
    args = ap.parse_args()
    print("case  rows x d, k        strata s/it  weighted  ratio   sklearn s/it  weighted  strata/sklearn (weighted)"
          "  inertia strata / sklearn")
    for name in args.cases.split(","):
        n, d, k = CASES[name]
        n = int(n * args.rows_scale)
        rng = np.random.default_rng(1)
        centres = rng.normal(0, 10, (k, d)).astype(np.float32)
        X = centres[rng.integers(0, k, n)] + rng.normal(0, 6, (n, d)).astype(np.float32)
        w = rng.gamma(2.0, 50.0, n).astype(np.float32)
        init = X[rng.choice(n, k, replace=False)].astype(np.float64)
        with tempfile.TemporaryDirectory() as tmp:
            h5 = os.path.join(tmp, "data.h5")
            names = [f"x{j:03d}" for j in range(d)]
            with h5py.File(h5, "w") as f:
                for j, c in enumerate(names):
                    f[c] = X[:, j]
                f["value"] = w
            init_csv = os.path.join(tmp, "init.csv")
            np.savetxt(init_csv, init, delimiter=",", header=",".join(names), comments="")
            plain = strata_fit(args, h5, init_csv, k, ["--features", ",".join(names)])
            weighted = strata_fit(args, h5, init_csv, k, ["--features", ",".join(names), "--weights", "value"])
        sp, sw = plain["seconds_per_iteration"], weighted["seconds_per_iteration"]
        line = f"{name}     {n:>9,} x {d:<3} k={k:<5} {sp:10.4f}  {sw:8.4f}  {sw / sp:5.2f}"
        if not args.no_sklearn:
            from sklearn.cluster import KMeans
            X64, w64 = X.astype(np.float64), w.astype(np.float64)
            t = []
            for sample_weight in (None, w64):
                t0 = time.perf_counter()
                km = KMeans(k, init=init, n_init=1, tol=0, max_iter=args.iters, algorithm="lloyd").fit(
                    X64, sample_weight=sample_weight)
                t.append((time.perf_counter() - t0) / km.n_iter_)
            line += f"   {t[0]:11.4f}  {t[1]:8.4f}  {sw / t[1]:9.2f}              " \
                    f"{weighted['inertia']:.9g} / {km.inertia_:.9g}"
        print(line, flush=True)


if __name__ == "__main__":
    main()

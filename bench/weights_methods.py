#!/usr/bin/env python3
"""The cost of row weights beyond k-means' Lloyd passes (bench/weights.py):
`strata sweep --weights`, `fit --algorithm gmm --weights` and exact
`fit --algorithm ward --weights`, each against the same command unweighted
on the same table (blobs of float32 values plus a gamma-distributed weight
column, left out of the features either way).

  sweep  1e6 x 8, k = 2..8 (shared passes, the dispersion pass, silhouette
         on 10,000 rows): the command's seconds
  gmm    1e6 x 16, k = 8, full covariances (the issue's EM case), 5 EM
         iterations from the same initial means: seconds per iteration
  ward   2e4 x 8, k = 10, exact: the fit's seconds

Runs alternate unweighted and weighted --repeat times; prints the median of
each and their ratio.  --rows-scale shrinks every table.

  bench/weights_methods.py --strata build/cli/strata [--repeat 3] [--threads 2]
      [--rows-scale 1] [--methods sweep,gmm,ward]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import h5py
import numpy as np


def table(path, n, d, seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 8, (10, d))
    X = (centres[rng.integers(0, 10, n)] + rng.normal(0, 1.5, (n, d))).astype(np.float32)
    with h5py.File(path, "w") as f:
        for j in range(d):
            f[f"x{j:02d}"] = X[:, j]
        f["value"] = rng.gamma(2.0, 50.0, n).astype(np.float32)
    return X


def run(args, cmd, weighted, key):
    cmd = cmd + (["--weights", "value"] if weighted else ["--exclude", "value"])
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    return json.loads(out)[key] if key else wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--rows-scale", type=float, default=1.0)
    ap.add_argument("--methods", default="sweep,gmm,ward")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "m.h5")
        cases = {}
        if "sweep" in args.methods:
            h5 = os.path.join(tmp, "sweep.h5")
            table(h5, int(1e6 * args.rows_scale), 8, 1)
            cases["sweep 1e6x8 k=2..8 (s, wall)"] = ([args.strata, "sweep", h5, "-k", "2:8", "--json", "-q"], None)
        if "gmm" in args.methods:
            h5 = os.path.join(tmp, "gmm.h5")
            X = table(h5, int(1e6 * args.rows_scale), 16, 2)
            init = os.path.join(tmp, "init.csv")
            pick = np.random.default_rng(3).choice(len(X), 8, replace=False)
            np.savetxt(init, X[pick].astype(np.float64), delimiter=",",
                       header=",".join(f"x{j:02d}" for j in range(16)), comments="")
            cases["gmm 1e6x16 k=8 full (s/iteration)"] = (
                [args.strata, "fit", h5, "-k", "8", "--algorithm", "gmm", "--covariance-type", "full", "--init", init,
                 "--tol", "0", "--max-iter", "5", "-o", model, "--json", "-q"], "seconds_per_iteration")
        if "ward" in args.methods:
            h5 = os.path.join(tmp, "ward.h5")
            table(h5, int(2e4 * args.rows_scale), 8, 4)
            cases["ward exact 2e4x8 k=10 (s)"] = (
                [args.strata, "fit", h5, "-k", "10", "--algorithm", "ward", "-o", model, "--json", "-q"], "seconds")
        print(f"{'case':40} {'unweighted':>11} {'weighted':>11} {'ratio':>7}")
        for name, (cmd, key) in cases.items():
            plain, weighted = [], []
            for _ in range(args.repeat):
                plain.append(run(args, cmd, False, key))
                weighted.append(run(args, cmd, True, key))
            p, w = statistics.median(plain), statistics.median(weighted)
            print(f"{name:40} {p:11.4f} {w:11.4f} {w / p:7.3f}", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Quality with default settings on the ten SIPU sets with ground truth.

For every set and seed, fits Strata (defaults, --refine none, --n-init 10)
and scikit-learn (n_init=1 and 10, k-means++ as its default) and counts the
runs whose centroids find every true cluster: centroid index CI = 0
(Franti, Rezaei, Zhao, "Centroid index: cluster level similarity measure",
Pattern Recognition 47(9), 2014: CI = max of the orphan counts of the
nearest-centroid mappings both ways).  Ground truth: the label means the
dataset directory ships (S1-S4's cb centroids give CI 0 against them).

  bench/sipu_quality.py --strata build/cli/strata --data DIR [--seeds 5]
      [--sets s1,a3,...] [--methods default,none,ninit10,par,parnone,raw,rawnone,sk1,sk10]

par and parnone: --init k-means|| with and without the default refinement;
raw, rawnone: the defaults with --scale none (the sets' own metric; every
other method clusters Strata's default z-scored values), with and without
the refinement.

DIR is the datasets directory (sipu_s_sets/, sipu_a_sets/, ...).  Prints
one line per set and method (CI = 0 runs, mean CI, mean wall seconds per
fit, process start and load included, and the fit's own seconds: Strata's
model "seconds", scikit-learn's fit()) and the totals.  --threads T passes
--threads to Strata and limits scikit-learn's threads alike.  Times depend
on the machine's load; counts do not.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SETS = {
    "s1": ("sipu_s_sets", "s1", 15), "s2": ("sipu_s_sets", "s2", 15),
    "s3": ("sipu_s_sets", "s3", 15), "s4": ("sipu_s_sets", "s4", 15),
    "a1": ("sipu_a_sets", "a1", 20), "a2": ("sipu_a_sets", "a2", 35),
    "a3": ("sipu_a_sets", "a3", 50),
    "unbalance": ("sipu_unbalance", "unbalance", 8),
    "birch1": ("sipu_birch", "birch1", 100), "birch2": ("sipu_birch", "birch2", 100),
}


def orphans(a, b):
    """Centroids of b that no centroid of a has as its nearest."""
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    hit = np.zeros(len(b), dtype=bool)
    hit[d2.argmin(axis=1)] = True
    return int((~hit).sum())


def centroid_index(found, truth):
    return max(orphans(found, truth), orphans(truth, found))


def strata_fit(strata, h5, k, seed, extra, tmp):
    model = os.path.join(tmp, "m.h5")
    t0 = time.perf_counter()
    out = subprocess.run([strata, "fit", h5, "-k", str(k), "-o", model, "--seed", str(seed), "--json",
                          "--progress", "none"] + extra, check=True, capture_output=True, text=True).stdout
    secs = time.perf_counter() - t0
    js = json.loads(out)
    return np.array(js["centroids"], dtype=float), secs, js


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strata", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--methods", default="default,none,ninit10,sk1,sk10")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    import h5py
    methods = args.methods.split(",")
    total = {m: [0, 0, 0.0, 0.0] for m in methods}
    threads = ["--threads", str(args.threads)] if args.threads else []
    print(f"{'set':10} {'k':>4} {'method':8} {'CI=0':>6} {'mean CI':>8} {'s/fit':>7} {'fit s':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            sub, stem, k = SETS[name]
            x = np.loadtxt(os.path.join(args.data, sub, stem + ".txt"))
            truth = np.loadtxt(os.path.join(args.data, sub, stem + "-label-means.DERIVED.txt"))
            assert truth.shape == (k, 2), truth.shape
            h5 = os.path.join(tmp, name + ".h5")
            with h5py.File(h5, "w") as f:
                f["x"] = x[:, 0]
                f["y"] = x[:, 1]
            # Seeds outside, methods inside: a change of the machine's load
            # falls on every method alike.
            res = {m: [0, [], 0.0, 0.0] for m in methods}
            for seed in range(args.seeds):
                for m in methods:
                    r = res[m]
                    if m.startswith("sk"):
                        from sklearn.cluster import KMeans
                        from threadpoolctl import threadpool_limits
                        t0 = time.perf_counter()
                        # Strata's default scaling (zscore), so both cluster the same space.
                        mu, sd = x.mean(axis=0), x.std(axis=0)
                        z = (x - mu) / sd
                        t1 = time.perf_counter()
                        with threadpool_limits(args.threads or None):
                            km = KMeans(k, n_init=int(m[2:]), random_state=seed).fit(z)
                        r[3] += time.perf_counter() - t1
                        c = km.cluster_centers_ * sd + mu
                        r[2] += time.perf_counter() - t0
                    else:
                        extra = {"default": [], "none": ["--refine", "none"],
                                 "ninit10": ["--n-init", "10"],
                                 "par": ["--init", "k-means||"],
                                 "parnone": ["--init", "k-means||", "--refine", "none"],
                                 "raw": ["--scale", "none"],
                                 "rawnone": ["--scale", "none", "--refine", "none"]}[m]
                        c, secs, js = strata_fit(args.strata, h5, k, seed, extra + threads, tmp)
                        r[2] += secs
                        r[3] += js["seconds"]
                    ci = centroid_index(c, truth)
                    r[1].append(ci)
                    r[0] += ci == 0
            for m in methods:
                ok, cis, secs, fsecs = res[m]
                total[m][0] += ok
                total[m][1] += args.seeds
                total[m][2] += secs
                total[m][3] += fsecs
                print(f"{name:10} {k:4} {m:8} {ok:3}/{args.seeds:<2} {np.mean(cis):8.2f} {secs / args.seeds:7.3f} "
                      f"{fsecs / args.seeds:7.3f}", flush=True)
    print()
    for m in methods:
        ok, n, secs, fsecs = total[m]
        print(f"total {m:8} {ok}/{n} ({100.0 * ok / n:.0f}%) in {secs:.1f} s wall, {fsecs:.2f} s fitting")
    return 0


if __name__ == "__main__":
    sys.exit(main())

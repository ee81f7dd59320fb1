#!/usr/bin/env python3
"""k-means|| against k-means++ where the init sample is a small part of the table.

Generates a table of --rows rows in --dims columns: --big well-separated
large clusters holding almost every row and --tiny small clusters of
--tiny-rows rows each, far from the rest (the customers a sample of 40 rows
per segment rarely holds).  Fits k = big + tiny with `--init k-means++` and
`--init k-means||` (each with the default refinement and with --refine none)
for --seeds seeds and prints, per method, the runs whose centroids find every
true cluster (centroid index 0), the mean inertia and the mean fit seconds
(the model's own: statistics pass, init, Lloyd, refinement, final pass) and
the init seconds alone (progress line "initialisation").

  bench/kmeans_parallel.py --strata build/cli/strata [--rows 2e6] [--seeds 5] [--threads 2]
"""
import argparse
import json
import os
import re
import subprocess
import tempfile

import h5py
import numpy as np


def centroid_index(found, truth):
    def orphans(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
        hit = np.zeros(len(b), dtype=bool)
        hit[d2.argmin(axis=1)] = True
        return int((~hit).sum())
    return max(orphans(found, truth), orphans(truth, found))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--rows", type=float, default=2e6)
    ap.add_argument("--dims", type=int, default=4)
    ap.add_argument("--big", type=int, default=10)
    ap.add_argument("--tiny", type=int, default=10)
    ap.add_argument("--tiny-rows", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    n, d = int(args.rows), args.dims
    rng = np.random.default_rng(1)
    centres = rng.uniform(-100, 100, size=(args.big + args.tiny, d))
    sizes = [args.tiny_rows] * args.tiny
    rest = n - sum(sizes)
    sizes = [rest // args.big + (i < rest % args.big) for i in range(args.big)] + sizes
    x = np.concatenate([c + rng.normal(size=(s, d)) for c, s in zip(centres, sizes)]).astype(np.float32)
    x = x[rng.permutation(n)]
    k = args.big + args.tiny
    methods = {"k-means++": ["--init", "k-means++"], "k-means++ none": ["--init", "k-means++", "--refine", "none"],
               "k-means||": ["--init", "k-means||"], "k-means|| none": ["--init", "k-means||", "--refine", "none"]}
    threads = ["--threads", str(args.threads)] if args.threads else []
    with tempfile.TemporaryDirectory() as tmp:
        h5 = os.path.join(tmp, "t.h5")
        with h5py.File(h5, "w") as f:
            for j in range(d):
                f.create_dataset("x%d" % j, data=x[:, j], chunks=(65536,))
        print("rows %d, dims %d, k %d (%d clusters of %d rows)" % (n, d, k, args.tiny, args.tiny_rows))
        print("%-16s %6s %14s %8s %8s" % ("method", "CI=0", "mean inertia", "fit s", "init s"))
        for name, extra in methods.items():
            hits, inertia, secs, init = 0, [], [], []
            for seed in range(args.seeds):
                model = os.path.join(tmp, "m.h5")
                r = subprocess.run([args.strata, "fit", h5, "-k", str(k), "-o", model, "--seed", str(seed),
                                    "--scale", "none", "--json", "--progress", "log"] + extra + threads,
                                   check=True, capture_output=True, text=True)
                js = json.loads(r.stdout)
                found = np.array(js["centroids"])
                hits += centroid_index(found, centres) == 0
                inertia.append(js["inertia"])
                secs.append(js["seconds"])
                m = re.findall(r"initialisation: ([0-9.]+) s", r.stderr)
                init.append(sum(float(v) for v in m))
            print("%-16s %3d/%-2d %14.6g %8.3f %8.3f" % (name, hits, args.seeds, np.mean(inertia), np.mean(secs),
                                                       np.mean(init)))


if __name__ == "__main__":
    main()

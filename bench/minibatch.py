#!/usr/bin/env python3
"""Mini-batch k-means against Lloyd on the four benchmark cases.

For each case (bench/compare's shapes, blobs with --std 6 so that they
overlap, as bench/refine_cost.py) fits `--algorithm kmeans --refine none`
and `--algorithm minibatch` (default batch of 16384 rows, or --batch-rows)
from the same seed and prints: inertia of each and their ratio, the
iterations (Lloyd) or batches (mini-batch), the rows the iterations read
in units of the table (Lloyd: iterations; mini-batch: batches x batch rows
/ n), and the fit's own seconds (statistics pass, init, iterations, the
final full pass).

  bench/minibatch.py --strata build/cli/strata --gen build/datasets/strata-gen
      [--cases A,B,C,D] [--rows-scale 1] [--seeds 1] [--threads 2] [--batch-rows N] [--streaming]
"""
import argparse
import json
import os
import subprocess
import tempfile

CASES = {"A": (1_000_000, 16, 8), "B": (1_000_000, 32, 64), "C": (200_000, 128, 1024), "D": (10_000_000, 8, 10)}


def fit(strata, h5, k, seed, extra):
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([strata, "fit", h5, "-k", str(k), "-o", os.path.join(tmp, "m.h5"), "--seed", str(seed),
                              "--json", "-q"] + extra, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--cases", default="A,B,C,D")
    ap.add_argument("--rows-scale", type=float, default=1.0)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--batch-rows", type=int, default=0)
    ap.add_argument("--streaming", action="store_true")
    args = ap.parse_args()
    common = (["--threads", str(args.threads)] if args.threads else []) + (["--streaming"] if args.streaming else [])
    mb = ["--algorithm", "minibatch"] + (["--batch-rows", str(args.batch_rows)] if args.batch_rows else [])
    print("%-4s %9s %4s %4s %13s %13s %7s %6s %7s %9s %9s %7s" % (
        "case", "n", "d", "k", "inertia lloyd", "inertia mb", "ratio", "iters", "batches", "reads l", "reads mb",
        "s l/mb"))
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases.split(","):
            n, d, k = CASES[name]
            n = int(n * args.rows_scale)
            h5 = os.path.join(tmp, name + ".h5")
            subprocess.run([args.gen, "--kind", "blobs", "--rows", str(n), "--dims", str(d), "--centers", str(k),
                            "--std", "6", "--seed", "7", "-o", h5], check=True, capture_output=True)
            for seed in range(args.seeds):
                a = fit(args.strata, h5, k, seed, ["--refine", "none"] + common)
                b = fit(args.strata, h5, k, seed, mb + common)
                print("%-4s %9d %4d %4d %13.7g %13.7g %7.4f %6d %7d %9.2f %9.2f %7s" % (
                    name, n, d, k, a["inertia"], b["inertia"], b["inertia"] / a["inertia"], a["iterations"],
                    b["iterations"], a["iterations"], b["iterations"] * b["batch_rows"] / n,
                    "%.2f/%.2f" % (a["seconds"], b["seconds"])))
            os.remove(h5)


if __name__ == "__main__":
    main()

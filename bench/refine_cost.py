#!/usr/bin/env python3
"""What the default refinement (--refine auto = swap) costs on the four
benchmark cases, against --refine none and scikit-learn's KMeans(n_init=1).

  bench/refine_cost.py --strata build/cli/strata --gen build/datasets/strata-gen
      [--cases A,B,C,D] [--rows-scale 0.2] [--seeds 3] [--threads 2] [--no-sklearn]

The cases are bench/compare's (seeded Gaussian blobs from strata-gen: A
1e6x16 k=8, B 1e6x32 k=64, C 2e5x128 k=1024, D 1e7x8 k=10; here with
--std 6 so that the blobs overlap, centres = k), with rows scaled by
--rows-scale.  Each seed fits with defaults (k-means++, tol 1e-4, to
convergence) once with --refine none and once with the default, alternating,
in fresh processes; the fit's own seconds (the model's "seconds": init,
Lloyd, refinement, final pass; not process start or load) and the wall
seconds are both kept.  scikit-learn fits the same z-scored rows (Strata's
default scaling), its fit() alone timed, with the same thread count.
Prints one line per case: seconds per fit, the ratios, the mean inertia
ratio (default / none) and the refinement's trials and kept swaps.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CASES = {"A": (1_000_000, 16, 8), "B": (1_000_000, 32, 64), "C": (200_000, 128, 1024), "D": (10_000_000, 8, 10)}


def fit(strata, h5, k, seed, threads, extra, tmp):
    t0 = time.perf_counter()
    out = subprocess.run([strata, "fit", h5, "-k", str(k), "-o", os.path.join(tmp, "m.h5"), "--seed", str(seed),
                          "--threads", str(threads), "--json", "--progress", "none"] + extra,
                         check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    return json.loads(out), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--cases", default="A,B,C,D")
    ap.add_argument("--rows-scale", type=float, default=1.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-sklearn", action="store_true")
    args = ap.parse_args()
    print(f"{'case':22} {'none s':>8} {'swap s':>8} {'ratio':>6} {'wall ratio':>10} {'inertia':>9} "
          f"{'sklearn s':>9} {'swap/sk':>7}  trials/swaps")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases.split(","):
            n, d, k = CASES[name]
            n = max(int(n * args.rows_scale), 20 * k)
            h5 = os.path.join(tmp, name + ".h5")
            subprocess.run([args.gen, "--kind", "blobs", "--rows", str(n), "--dims", str(d), "--centers", str(k),
                            "--std", "6", "--seed", "7", "-o", h5], check=True, capture_output=True)
            t = {"none": [0.0, 0.0, []], "swap": [0.0, 0.0, []]}
            tr = []
            for seed in range(args.seeds):
                for m in ("none", "swap"):
                    js, wall = fit(args.strata, h5, k, seed, args.threads, ["--refine", m], tmp)
                    t[m][0] += js["seconds"]
                    t[m][1] += wall
                    t[m][2].append(js["inertia"])
                    if m == "swap":
                        tr.append(f"{js['refine_trials']}/{js['refine_swaps']}")
            sk = float("nan")
            if not args.no_sklearn:
                import h5py
                import numpy as np
                from threadpoolctl import threadpool_limits
                from sklearn.cluster import KMeans
                with h5py.File(h5, "r") as f:
                    x = np.asarray(f["data"], dtype=np.float64)
                x = (x - x.mean(axis=0)) / x.std(axis=0)
                sk = 0.0
                with threadpool_limits(args.threads):
                    for seed in range(args.seeds):
                        t0 = time.perf_counter()
                        KMeans(k, n_init=1, random_state=seed).fit(x)
                        sk += time.perf_counter() - t0
                sk /= args.seeds
            s = args.seeds
            none_s, swap_s = t["none"][0] / s, t["swap"][0] / s
            inertia = sum(a / b for a, b in zip(t["swap"][2], t["none"][2])) / s
            label = f"{name} {n:.0e}x{d}, k={k}".replace("e+0", "e")
            print(f"{label:22} {none_s:8.3f} {swap_s:8.3f} {swap_s / none_s:6.2f} {t['swap'][1] / t['none'][1]:10.2f} "
                  f"{inertia:9.5f} {sk:9.3f} {swap_s / sk:7.2f}  {' '.join(tr)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

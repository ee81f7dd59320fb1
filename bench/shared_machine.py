#!/usr/bin/env python3
"""End-to-end wall time of `strata fit` on a machine that other jobs share.

Runs each fit (process start, the HDF5 read, statistics, init, Lloyd, the
model write: everything a nightly job pays) quiet and beside --load busy
processes (one pure-Python spin loop each, as another job's threads would
be), under three settings of how idle OpenMP workers wait:

  passive   what strata does when the user sets nothing (cli/main.c)
  spin      libgomp's own default (GOMP_SPINCOUNT=300000), what strata did
            before 2026-12-07
  active    OMP_WAIT_POLICY=active: workers never sleep

and scikit-learn's KMeans on the same rows (read with h5py, load included)
with the same k, init and iteration count, as the peer.

  bench/shared_machine.py --strata build/cli/strata --gen build/datasets/strata-gen \\
      [--rows 1e7] [--dims 8] [--k 10] [--iters 20] [--load 2] [--repeat 3]
      [--case lloyd|kpp]

--case kpp fits k = 1024 on 2e5 x 16 for the seeding alone (--max-iter 1),
where the many short parallel regions of k-means++ make waiting matter
most.  Prints one line per setting and condition: the wall seconds of each
repeat, their median, and the ratio to the same setting quiet.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def spinners(n):
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def stop(procs):
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()


def strata_fit(args, data, k, iters, env_extra, tmp):
    env = dict(os.environ)
    for v in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        env.pop(v, None)
    env.update(env_extra)
    cmd = [args.strata, "fit", data, "-k", str(k), "--max-iter", str(iters), "--tol", "0", "--refine", "none",
           "--seed", "1", "-o", os.path.join(tmp, "m.h5"), "--progress", "none"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def sklearn_fit(data, k, iters):
    code = ("import h5py, numpy as np, sys\n"
            "from sklearn.cluster import KMeans\n"
            "x = h5py.File(sys.argv[1])['data'][()]\n"
            "x = (x - x.mean(0)) / x.std(0)\n"
            "KMeans(int(sys.argv[2]), n_init=1, max_iter=int(sys.argv[3]), tol=0, random_state=1).fit(x)\n")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, data, str(k), str(iters)], check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--case", choices=["lloyd", "kpp"], default="lloyd")
    ap.add_argument("--rows", type=float, default=1e7)
    ap.add_argument("--dims", type=int, default=8)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--load", type=int, default=os.cpu_count())
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-sklearn", action="store_true")
    args = ap.parse_args()
    if args.case == "kpp":
        args.rows, args.dims, args.k, args.iters = 2e5, 16, 1024, 1
    settings = [("passive", {}), ("spin", {"GOMP_SPINCOUNT": "300000"}), ("active", {"OMP_WAIT_POLICY": "active"})]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.h5")
        subprocess.run([args.gen, "-o", data, "--kind", "blobs", "--rows", str(int(args.rows)), "--dims",
                        str(args.dims), "--centers", str(args.k), "--std", "11", "--seed", "1", "--layout",
                        "matrix"], check=True)
        print(f"{args.case}: {int(args.rows)} x {args.dims}, k = {args.k}, {args.iters} iterations, "
              f"load = {args.load} spinning processes, {os.cpu_count()} CPUs", flush=True)
        quiet = {}
        for cond in ("quiet", "loaded"):
            procs = spinners(args.load) if cond == "loaded" else []
            try:
                time.sleep(0.5 if procs else 0)
                runs = {name: [] for name, _ in settings}
                if not args.no_sklearn:
                    runs["sklearn"] = []
                # Settings inside, repeats outside: a change of the load falls on all alike.
                for _ in range(args.repeat):
                    for name, env in settings:
                        runs[name].append(strata_fit(args, data, args.k, args.iters, env, tmp))
                    if not args.no_sklearn:
                        runs["sklearn"].append(sklearn_fit(data, args.k, args.iters))
            finally:
                stop(procs)
            for name, t in runs.items():
                med = statistics.median(t)
                if cond == "quiet":
                    quiet[name] = med
                ratio = f"  {med / quiet[name]:.2f}x quiet" if cond == "loaded" else ""
                print(f"{cond:7} {name:8} median {med:7.2f} s  runs " + " ".join(f"{x:.2f}" for x in t) + ratio,
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

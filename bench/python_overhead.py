#!/usr/bin/env python3
"""Per-iteration time of strata.KMeans against `strata fit` in core, on one
generated case (issue 19: the package must not be slower per iteration than
the command: no hidden copies, same kernels).

Both runs fix the work: the same float32 data (the command reads it from an
HDF5 file and keeps it in memory, the package borrows the NumPy array),
scale none, k-means++ with the same seed, tol 0 and the same max_iter, so
both do the same Lloyd iterations.  Per-iteration seconds come from each
model's own iteration statistics (strata_model_info.iter_stats), so
Python's call overhead around the fit is reported separately (wall).

    STRATA_LIBRARY=build/libstrata.so PYTHONPATH=python \\
      python bench/python_overhead.py --strata build/cli/strata [--rows N --cols D -k K --iters I --threads T]
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time

import h5py
import numpy as np

import strata

ap = argparse.ArgumentParser()
ap.add_argument("--strata", default="build/cli/strata")
ap.add_argument("--rows", type=int, default=1_000_000)
ap.add_argument("--cols", type=int, default=16)
ap.add_argument("-k", type=int, default=8)
ap.add_argument("--iters", type=int, default=20)
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--repeat", type=int, default=3)
a = ap.parse_args()

rng = np.random.default_rng(0)
centers = rng.normal(scale=1.0, size=(a.k, a.cols))  # overlapping: every run uses all --iters
X = (centers[rng.integers(0, a.k, a.rows)] + rng.normal(size=(a.rows, a.cols))).astype(np.float32)
tmp = tempfile.mkdtemp(prefix="strata-bench-")
data = os.path.join(tmp, "data.h5")
with h5py.File(data, "w") as f:
    for j in range(a.cols):
        f.create_dataset("c%d" % j, data=X[:, j], chunks=(min(a.rows, 1 << 16),))


def cli_run():
    model = os.path.join(tmp, "cli.h5")
    t = time.perf_counter()
    subprocess.run([a.strata, "fit", data, "-k", str(a.k), "-o", model, "--scale", "none", "--seed", "0",
                    "--max-iter", str(a.iters), "--tol", "0", "--threads", str(a.threads), "-q"], check=True)
    wall = time.perf_counter() - t
    return wall, strata.open_model(model).info


def py_run():
    km = strata.KMeans(a.k, random_state=0, scale="none", max_iter=a.iters, tol=0.0,
                       n_threads=a.threads or None)
    t = time.perf_counter()
    km.fit(X)
    wall = time.perf_counter() - t
    return wall, km.model_.info


rows = []
for r in range(a.repeat):
    for name, fn in (("strata fit (CLI, in-core)", cli_run), ("strata.KMeans (Python)", py_run)):
        wall, info = fn()
        per = info["seconds_per_iteration"]
        rows.append((name, r, wall, info["iterations"], float(np.median(per)), info["mode"], info["backend"]))
print("case: %d rows x %d float32 columns, k=%d, %d iterations, threads=%s" % (
    a.rows, a.cols, a.k, a.iters, a.threads or "all"))
print("%-28s %3s %9s %5s %14s %8s %s" % ("run", "rep", "wall s", "iters", "median s/iter", "mode", "backend"))
for name, r, wall, it, med, mode, backend in rows:
    print("%-28s %3d %9.3f %5d %14.5f %8s %s" % (name, r, wall, it, med, mode, backend))
for name in ("strata fit (CLI, in-core)", "strata.KMeans (Python)"):
    meds = [m for n, _, _, _, m, _, _ in rows if n == name]
    print("%-28s best median s/iter %.5f" % (name, min(meds)))
print("note: the Python wall time includes the extra assign pass for labels_ (the CLI writes labels "
      "only with --labels)")
shutil.rmtree(tmp)

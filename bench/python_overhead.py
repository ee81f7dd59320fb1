#!/usr/bin/env python3
"""Per-iteration time of strata.KMeans against `strata fit` in core, on the
four cases of bench/compare (issue 19: the package must be as fast per
iteration as the command: no hidden copies, the same kernels).

    A  n=1e6  d=16  k=8        B  n=1e6  d=32  k=64
    C  n=2e5  d=128 k=1024     D  n=1e7  d=8   k=10

The data, the initial centroids and the machine description are
bench/compare's own (loaded from it, not copied): seeded blobs from
strata-gen, k rows picked with a seeded RNG as the start.  Both runs then do
the same work: scale none, those initial centroids, tol 0, --iters
iterations, --threads threads.  The command reads the HDF5 file and keeps
the matrix in memory (mode in-core); the package borrows the NumPy array
read from the same file.  Per-iteration seconds are the median of each
model's own iteration statistics (strata_model_info.iter_stats), so reading
the file, the statistics pass and Python's call overhead are outside them;
wall times are shown apart.  Runs alternate (command, package, command, ...);
the ratio is given for the best run of each and as the median of the
ratios of each command/package pair, so load from other processes hits
both alike.  Each case also checks that both models carry the same bits
(centroids, inertia, iterations), and reports the peak of Python's own
allocations during the fit (tracemalloc) next to the array's size: a
hidden copy would show there.

    STRATA_LIBRARY=build/libstrata.so PYTHONPATH=python \\
      python3 bench/python_overhead.py [--case A ...] [--small] [--iters 20] [--threads 2] [--repeat 3]
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc

import h5py
import numpy as np

import strata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_compare():
    """bench/compare (a script without .py) as a module: its cases, data
    recipe and machine description."""
    path = os.path.join(HERE, "compare")
    loader = importlib.machinery.SourceFileLoader("bench_compare", path)
    spec = importlib.util.spec_from_loader("bench_compare", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


compare = load_compare()

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--case", action="append", choices=sorted(compare.CASES), help="only these cases (repeatable)")
ap.add_argument("--small", action="store_true", help="n/10 in every case (a quick run)")
ap.add_argument("--strata", default=os.path.join(ROOT, "build", "cli", "strata"))
ap.add_argument("--gen", default=os.path.join(ROOT, "build", "datasets", "strata-gen"))
ap.add_argument("--iters", type=int, default=20)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--seed", type=int, default=42)
ap.add_argument("--workdir", default=os.path.join(HERE, ".work"))
ap.add_argument("--no-pin", action="store_true", help="do not pin the run to --threads cores")
ap.add_argument("--markdown", action="store_true", help="also print a table for docs/PERFORMANCE.md")
a = ap.parse_args()

pinned = None if a.no_pin else compare.pick_cpus(a.threads)
if pinned:
    os.sched_setaffinity(0, pinned)
cpu = compare.lscpu_info()
try:
    cores = int(cpu.get("Core(s) per socket", "0")) * int(cpu.get("Socket(s)", "1"))
except ValueError:
    cores = "?"
machine = "%s; %s cores, %s CPUs; %d threads%s" % (cpu.get("Model name", "unknown CPU"), cores, cpu.get("CPU(s)", "?"),
                                                 a.threads, ", pinned to CPUs %s" % ",".join(map(str, sorted(pinned)))
                                                 if pinned else "")
print("bench/python_overhead: " + machine)
print("  strata %s (%s), numpy %s, Python %s" % (strata.version(), strata.library_path, np.__version__,
                                                 sys.version.split()[0]))
sys.stdout.flush()


def cli_run(data, init_csv, k, model):
    t0 = time.perf_counter()
    p = subprocess.run([a.strata, "fit", data, "-k", str(k), "-o", model, "--init", init_csv, "--max-iter",
                        str(a.iters), "--tol", "0", "--scale", "none", "--threads", str(a.threads), "--json",
                        "--progress", "none"], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    out = json.loads(p.stdout)
    per = statistics.median(s["seconds"] for s in out["iterations_stats"])
    return {"per_iter": per, "wall": wall, "mode": out["mode"], "backend": out["backend"],
            "info": strata.open_model(model).info}


def py_run(X, init):
    km = strata.KMeans(init.shape[0], init=init, max_iter=a.iters, tol=0.0, scale="none", n_threads=a.threads)
    tracemalloc.start()
    t0 = time.perf_counter()
    km.fit(X)
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    info = km.model_.info
    return {"per_iter": float(np.median(info["seconds_per_iteration"])), "wall": wall, "mode": info["mode"],
            "backend": info["backend"], "info": info, "peak": peak}


os.makedirs(a.workdir, exist_ok=True)
rows = []
for name in a.case or sorted(compare.CASES):
    n, d, k = compare.CASES[name]
    if a.small:
        n //= 10
    data = os.path.join(a.workdir, "py_blobs_%s.h5" % name)
    gen_args = argparse.Namespace(gen=a.gen, seed=a.seed)
    desc = compare.make_data(np, h5py, gen_args, name, n, d, k, data)
    with h5py.File(data, "r") as f:
        X = np.ascontiguousarray(f["data"][...], dtype=np.float32)
    rng = np.random.default_rng(a.seed + ord(name))  # bench/compare's start
    init = X[np.sort(rng.choice(n, size=k, replace=False))].astype(np.float64)
    init_csv = os.path.join(a.workdir, "py_init_%s.csv" % name)
    with open(init_csv, "w") as f:
        for row in init:
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    model = os.path.join(a.workdir, "py_model_%s.h5" % name)
    best, paired = {}, []
    for r in range(a.repeat):
        pair = {}
        for who, fn in (("cli", lambda: cli_run(data, init_csv, k, model)), ("py", lambda: py_run(X, init))):
            t = pair[who] = fn()
            if who not in best or t["per_iter"] < best[who]["per_iter"]:
                best[who] = t
        paired.append(pair["py"]["per_iter"] / pair["cli"]["per_iter"])
    c, p = best["cli"], best["py"]
    same = (c["info"]["centroids"].tobytes() == p["info"]["centroids"].tobytes() and
            c["info"]["inertia"] == p["info"]["inertia"] and c["info"]["iterations"] == p["info"]["iterations"])
    rows.append(dict(name=name, n=n, d=d, k=k, desc=desc, cli=c, py=p, same=same, nbytes=X.nbytes,
                     iters=p["info"]["iterations"], paired=statistics.median(paired)))
    print("case %s: n=%d d=%d k=%d, %d iterations (%s)" % (name, n, d, k, p["info"]["iterations"], desc))
    print("  %-24s %14s %9s %8s %s" % ("run", "median s/iter", "wall s", "mode", "backend"))
    for label, t in (("strata fit (command)", c), ("strata.KMeans (Python)", p)):
        print("  %-24s %14.5f %9.2f %8s %s" % (label, t["per_iter"], t["wall"], t["mode"], t["backend"]))
    print("  Python / command per iteration: best %.3f, median of the %d paired runs %.3f (%s); same model bits: "
          "%s" % (p["per_iter"] / c["per_iter"], a.repeat, rows[-1]["paired"],
                  " ".join("%.3f" % x for x in paired), "yes" if same else "NO"))
    print("  Python's peak allocations during fit: %.1f MiB (the array: %.1f MiB)" % (p["peak"] / 2**20,
                                                                                    X.nbytes / 2**20))
    sys.stdout.flush()
    del X
    for path in (data, init_csv, model):
        os.remove(path)

if a.markdown:
    print()
    print("Machine: %s.  `bench/python_overhead.py --iters %d --threads %d --repeat %d%s`, best of %d "
          "alternating runs each; median seconds per iteration from each model's iteration statistics."
          % (machine, a.iters, a.threads, a.repeat, " --small" if a.small else "", a.repeat))
    print()
    print("| case | n | d | k | `strata fit` s/iter (best) | `strata.KMeans` s/iter (best) | Python / command, best "
          "| Python / command, median of pairs | same bits | Python peak alloc / array |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %d | %d | %.4f | %.4f | %.3f | %.3f | %s | %.2f / %.0f MiB |" % (
            r["name"], r["n"], r["d"], r["k"], r["cli"]["per_iter"], r["py"]["per_iter"],
            r["py"]["per_iter"] / r["cli"]["per_iter"], r["paired"], "yes" if r["same"] else "no",
            r["py"]["peak"] / 2**20, r["nbytes"] / 2**20))
try:
    os.rmdir(a.workdir)  # only when empty: bench/compare keeps its data there too
except OSError:
    pass
sys.exit(0 if all(r["same"] for r in rows) else 1)

#!/usr/bin/env python3
"""bench/methods_compare.py: Strata's Gaussian mixtures, Ward and DBSCAN
against scikit-learn / scipy on the same machine, data and thread count
(issue 15's cases), each with a floor estimate measured in the same run.

    bench/methods_compare.py --strata build/cli/strata --gen build/datasets/strata-gen \\
        [--cases gmm_full,gmm_diag,ward,ward2s,dbscan2,dbscan3] [--threads 2] [--iters 6] \\
        [--scale-rows F] [--markdown]

Cases (--scale-rows multiplies every n, for a quick run):
  gmm_full, gmm_diag  1e6x16, k = 8: seconds per EM iteration.  Strata: the
      median of `fit --json` iterations_stats[].seconds (tol 0, --max-iter
      ITERS, from --init FILE; reading and the final pass are not in it).
      scikit-learn GaussianMixture: (T(ITERS) - T(1)) / (ITERS - 1) of fit()
      on the float64 array from the same initial parameters, so its fixed
      costs cancel.  Floor: the EM iteration as float64 GEMM work at this
      machine's measured dgemm rate (full: E-step k products (n x d)(d x d)
      plus the M-step's k weighted scatter matrices, 3nkd^2 flops; diag: four
      (n x d)(d x k) products, 8nkd), or the bandwidth time to read n x d
      float32 once, whichever is larger.
  ward  2e4x8: the whole fit.  Strata: `fit --algorithm ward -k 8 --json`
      seconds (statistics pass and reading included); scikit-learn
      AgglomerativeClustering(8, linkage="ward").fit and scipy
      linkage(X, "ward") on the in-memory array.  Floor: one look at every
      pair, n^2 d flops (the n x n Gram matrix's half as dgemm) at the dgemm
      rate.
  ward2s 1e7x8: Ward's two-step mode, the whole fit.  Strata `fit
      --algorithm ward --ward-mode twostep -k 8` (1000 k-means
      micro-clusters streamed, exact weighted Ward on them; its seconds,
      reading included); scikit-learn's two-step, Birch(threshold,
      n_clusters=8) (a CF tree of subclusters, then AgglomerativeClustering
      on them), with the threshold that gives it about as many subclusters
      (found on a 2e5-row sample outside the timing).  Floor: reading n x d
      float32 once, or one pass of the micro-clusters' distances (2 n m d
      flops at the dgemm rate), whichever is larger.  The partitions are
      compared with each other (adjusted Rand index).
  dbscan2 1e5x2, dbscan3 1e6x3: the whole fit, eps chosen so that the blobs
      are found with some noise (the partitions are compared: clusters,
      noise rows, adjusted Rand index).  Strata `fit --algorithm dbscan
      --scale none`; scikit-learn DBSCAN(eps, min_samples=5, n_jobs=THREADS)
      (its k-d tree).  Floor: every neighbour pair within eps found once,
      3d flops each (sum over rows of the neighbours, counted with a k-d
      tree outside the timing) at the dgemm rate, or reading the rows,
      whichever is larger.

Every peer gets THREADS threads (threadpoolctl for BLAS/OpenMP, n_jobs),
Strata --threads THREADS.  Prints one line per case and engine and, with
--markdown, a table with ratios to scikit-learn from the same run.  Needs
numpy, h5py, scikit-learn, scipy, threadpoolctl (the tests' build-venv).
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
import warnings

import h5py
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

CASES = {
    "gmm_full": dict(n=1000000, d=16, k=8, cov="full"),
    "gmm_diag": dict(n=1000000, d=16, k=8, cov="diag"),
    "ward": dict(n=20000, d=8, k=8),
    "ward2s": dict(n=10000000, d=8, k=8, micro=1000),
    # std 0.5 blobs: eps finds every blob (plus a few fringe groups and noise)
    "dbscan2": dict(n=100000, d=2, k=5, std=0.5, eps=0.1),
    "dbscan3": dict(n=1000000, d=3, k=6, std=0.5, eps=0.08),
}


def machine():
    model = cores = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("CPU(s):"):
                cores = line.split(":", 1)[1].strip()
    except OSError:
        pass
    blas = [(i.get("internal_api"), i.get("architecture"), i.get("version")) for i in threadpool_info()
            if i.get("user_api") == "blas"]
    corename = "?"
    lib = ctypes.util.find_library("openblas")
    if lib:
        try:
            f = ctypes.CDLL(lib).openblas_get_corename
            f.restype = ctypes.c_char_p
            corename = f().decode()
        except (OSError, AttributeError):
            pass
    return model, cores, blas, corename


def dgemm_rate(threads, size=2048):
    """float64 matmul rate of numpy's BLAS at `threads` threads, GFLOP/s (best of 3)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    best = float("inf")
    with threadpool_limits(limits=threads, user_api="blas"):
        a @ b
        for _ in range(3):
            t0 = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - t0)
    return 2.0 * size ** 3 / best / 1e9


def bandwidth(nbytes=1 << 29):
    a = np.ones(nbytes // 4, dtype=np.float32)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        float(a.sum())
        best = min(best, time.perf_counter() - t0)
    return nbytes / best / 1e9


def gen(a, path, n, d, k, std):
    subprocess.run([a.gen, "--kind", "blobs", "--rows", str(n), "--dims", str(d), "--centers", str(k), "--std",
                    str(std), "--seed", "7", "-o", path], check=True, capture_output=True)
    with h5py.File(path, "r") as f:
        return np.asarray(f["data"][...], dtype=np.float32)


def strata_json(a, args):
    cmd = [a.strata, "fit"] + args + ["--threads", str(a.threads), "--json", "--progress", "none"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out), time.perf_counter() - t0


def strata_labels(a, args, labels):
    """Best of a.repeat fits: their seconds (the model's own), and the labels file's segments."""
    def run():
        j, _ = strata_json(a, args)
        return j["seconds"], j

    st, _ = best_of(a.repeat, run)
    with h5py.File(labels, "r") as f:
        return st, np.asarray(f["segment"][...])


def best_of(reps, fn):
    best, res = float("inf"), None
    for _ in range(reps):
        t, r = fn()
        if t < best:
            best, res = t, r
    return best, res


def case_gmm(a, name, c, tmp, rates):
    from sklearn.mixture import GaussianMixture
    n, d, k, cov = c["n"], c["d"], c["k"], c["cov"]
    data = os.path.join(tmp, "gmm.h5")
    X = gen(a, data, n, d, k, 3)
    X64 = X.astype(np.float64)
    init = X[np.random.default_rng(1).choice(n, k, replace=False)].astype(np.float64)
    csv = os.path.join(tmp, "init.csv")
    with open(csv, "w") as f:
        for r in init:
            f.write(",".join(repr(float(v)) for v in r) + "\n")
    args = [data, "-k", str(k), "-o", os.path.join(tmp, "m.h5"), "--algorithm", "gmm", "--covariance-type", cov,
            "--init", csv, "--scale", "none", "--tol", "0", "--max-iter", str(a.iters)]

    def run_strata():
        j, _ = strata_json(a, args)
        return float(np.median([s["seconds"] for s in j["iterations_stats"]])), j

    st, sj = best_of(a.repeat, run_strata)
    var = X64.var(axis=0) + 1e-6
    prec = {"full": np.array([np.diag(1 / var)] * k), "diag": np.tile(1 / var, (k, 1))}[cov]

    def fit(iters):
        gm = GaussianMixture(k, covariance_type=cov, tol=0, max_iter=iters, weights_init=np.full(k, 1 / k),
                             means_init=init, precisions_init=prec)
        t0 = time.perf_counter()
        gm.fit(X64)
        return time.perf_counter() - t0, gm

    def run_sk():
        with threadpool_limits(limits=a.threads):
            t1, _ = fit(1)
            tn, gm = fit(a.iters)
        return (tn - t1) / (a.iters - 1), gm

    sk, gm = best_of(a.repeat, run_sk)
    flops = 3.0 * n * k * d * d if cov == "full" else 8.0 * n * k * d
    floor = max(flops / (rates["dgemm"] * 1e9), n * d * 4 / (rates["bw"] * 1e9))
    ll_s, ll_k = sj["gmm"]["log_likelihood"], gm.score(X64)
    note = "log-likelihood %.10g vs %.10g" % (ll_s, ll_k)
    return dict(case=name, shape="%dx%d k=%d %s" % (n, d, k, cov), unit="s/iteration", floor=floor,
                strata=st, peers=[("scikit-learn GaussianMixture", sk)], note=note)


def case_ward(a, name, c, tmp, rates):
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import adjusted_rand_score
    n, d, k = c["n"], c["d"], c["k"]
    data = os.path.join(tmp, "ward.h5")
    X = gen(a, data, n, d, k, 2)
    X64 = X.astype(np.float64)
    args = [data, "-k", str(k), "-o", os.path.join(tmp, "w.h5"), "--algorithm", "ward", "--scale", "none",
            "--labels", os.path.join(tmp, "wl.h5")]
    st, ls = strata_labels(a, args, os.path.join(tmp, "wl.h5"))

    def run_sk():
        with threadpool_limits(limits=a.threads):
            t0 = time.perf_counter()
            m = AgglomerativeClustering(k, linkage="ward").fit(X64)
            return time.perf_counter() - t0, m.labels_

    def run_scipy():
        with threadpool_limits(limits=a.threads):
            t0 = time.perf_counter()
            Z = linkage(X64, "ward")
            return time.perf_counter() - t0, Z

    sk, lk = best_of(a.repeat, run_sk)
    sp, Z = best_of(a.repeat, run_scipy)
    floor = float(n) * n * d / (rates["dgemm"] * 1e9)
    note = "ARI vs scikit-learn %.6f, vs scipy fcluster %.6f" % (
        adjusted_rand_score(ls, lk), adjusted_rand_score(ls, fcluster(Z, k, criterion="maxclust")))
    return dict(case=name, shape="%dx%d k=%d" % (n, d, k), unit="s", floor=floor, strata=st,
                peers=[("scikit-learn AgglomerativeClustering", sk), ("scipy linkage", sp)], note=note)


def case_ward2s(a, name, c, tmp, rates):
    from sklearn.cluster import Birch
    from sklearn.metrics import adjusted_rand_score
    n, d, k, micro = c["n"], c["d"], c["k"], c["micro"]
    data = os.path.join(tmp, "ward2s.h5")
    X = gen(a, data, n, d, k, 2)
    args = [data, "-k", str(k), "-o", os.path.join(tmp, "w2.h5"), "--algorithm", "ward", "--ward-mode", "twostep",
            "--micro-clusters", str(micro), "--scale", "none", "--labels", os.path.join(tmp, "w2l.h5")]
    st, ls = strata_labels(a, args, os.path.join(tmp, "w2l.h5"))
    # Birch's threshold for about `micro` subclusters, on a sample (untimed).
    sample = X[np.random.default_rng(2).choice(n, min(n, 200000), replace=False)].astype(np.float64)
    lo, hi = 0.1, 20.0
    for _ in range(12):
        mid = (lo * hi) ** 0.5
        subs = len(Birch(threshold=mid, n_clusters=None).fit(sample).subcluster_centers_)
        lo, hi = (mid, hi) if subs > micro else (lo, mid)
    threshold = hi

    def run_sk():
        with threadpool_limits(limits=a.threads):
            t0 = time.perf_counter()
            m = Birch(threshold=threshold, n_clusters=k).fit(X)
            return time.perf_counter() - t0, m

    sk, bm = best_of(a.repeat, run_sk)
    floor = max(n * d * 4 / (rates["bw"] * 1e9), 2.0 * n * micro * d / (rates["dgemm"] * 1e9))
    note = "Birch threshold %.3g, %d subclusters; ARI strata vs scikit-learn %.6f" % (
        threshold, len(bm.subcluster_centers_), adjusted_rand_score(ls, bm.labels_))
    return dict(case=name, shape="%dx%d k=%d, %d micro" % (n, d, k, micro), unit="s", floor=floor, strata=st,
                peers=[("scikit-learn Birch", sk)], note=note)


def case_dbscan(a, name, c, tmp, rates):
    from sklearn.cluster import DBSCAN
    from sklearn.metrics import adjusted_rand_score
    from sklearn.neighbors import KDTree
    n, d, k, eps = c["n"], c["d"], c["k"], c["eps"]
    data = os.path.join(tmp, "db.h5")
    X = gen(a, data, n, d, k, c["std"])
    X64 = X.astype(np.float64)
    args = [data, "-o", os.path.join(tmp, "d.h5"), "--algorithm", "dbscan", "--eps", repr(eps), "--min-samples",
            "5", "--scale", "none", "--labels", os.path.join(tmp, "dl.h5")]
    st, ls = strata_labels(a, args, os.path.join(tmp, "dl.h5"))

    def run_sk():
        t0 = time.perf_counter()
        m = DBSCAN(eps=eps, min_samples=5, n_jobs=a.threads).fit(X64)
        return time.perf_counter() - t0, m.labels_

    sk, lk = best_of(a.repeat, run_sk)
    pairs = float(KDTree(X64).query_radius(X64, eps, count_only=True).sum())
    floor = max(pairs * 3 * d / (rates["dgemm"] * 1e9), n * d * 4 / (rates["bw"] * 1e9))
    note = ("eps %g: strata %d clusters, %d noise; scikit-learn %d clusters, %d noise; ARI %.6f; "
            "%.1f neighbours per row" % (eps, ls.max() + 1, (ls < 0).sum(), lk.max() + 1, (lk < 0).sum(),
                                         adjusted_rand_score(ls, lk), pairs / n))
    return dict(case=name, shape="%dx%d eps=%g" % (n, d, eps), unit="s", floor=floor, strata=st,
                peers=[("scikit-learn DBSCAN", sk)], note=note)


RUNNERS = {"gmm_full": case_gmm, "gmm_diag": case_gmm, "ward": case_ward, "ward2s": case_ward2s, "dbscan2": case_dbscan,
           "dbscan3": case_dbscan}


def main():
    # tol 0 runs every iteration on purpose: not converging is the point.
    warnings.filterwarnings("ignore", message=".*did not converge.*")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=1, help="best of R runs per engine")
    ap.add_argument("--scale-rows", type=float, default=1.0)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    model, cores, blas, corename = machine()
    rates = {"dgemm": dgemm_rate(a.threads), "bw": bandwidth()}
    print("machine: Model name: %s; CPU(s): %s; %s; numpy BLAS %s; strata's OpenBLAS core %s" % (
        model, cores, platform.machine(), blas, corename))
    print("threads %d; dgemm %.1f GFLOP/s, read bandwidth %.1f GB/s (1 thread); load average %s" % (
        a.threads, rates["dgemm"], rates["bw"], " ".join("%.2f" % v for v in os.getloadavg())))
    tmp = tempfile.mkdtemp(prefix="methods_bench.")
    rows = []
    try:
        for name in a.cases.split(","):
            c = dict(CASES[name])
            c["n"] = max(1000, int(c["n"] * a.scale_rows))
            r = RUNNERS[name](a, name, c, tmp, rates)
            rows.append(r)
            print("%-9s %-26s floor %.4g %s; strata %.4g" % (name, r["shape"], r["floor"], r["unit"], r["strata"]) +
                  "".join("; %s %.4g (strata/peer %.2f)" % (p, t, r["strata"] / t) for p, t in r["peers"]) +
                  "; strata/floor %.2f; %s" % (r["strata"] / r["floor"], r["note"]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.markdown:
        print("\n| case | floor | strata | peer | strata ÷ floor | strata ÷ peer | check |")
        print("|---|---:|---:|---|---:|---:|---|")
        for r in rows:
            for i, (p, t) in enumerate(r["peers"]):
                print("| %s %s | %s | %s | %s %.4g %s | %s | %.2f | %s |" % (
                    r["case"], r["shape"], "%.4g %s" % (r["floor"], r["unit"]) if i == 0 else "",
                    "**%.4g**" % r["strata"] if i == 0 else "", p, t, r["unit"],
                    "%.2f" % (r["strata"] / r["floor"]) if i == 0 else "", r["strata"] / t,
                    r["note"] if i == 0 else ""))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Cross-check `strata fit` against scikit-learn's Lloyd k-means.

For each case: data from strata-gen (seeded), k initial centroids chosen among
the rows by a seeded RNG and written as the --init CSV, then

    strata fit DATA -k K --init FILE --max-iter 10 --tol 0 --scale none
                --labels L.h5 --json

and scikit-learn's KMeans(init=same, n_init=1, max_iter=10, tol=0,
algorithm="lloyd") on the same values: the file is read with h5py as float32
(what Strata computes on) and cast exactly to float64 for scikit-learn.

Checks per case: final inertia within 1e-5 relative; at least 99.9% of the
labels equal (no renaming: the same initial centroids give the same cluster
numbers).  Both sides follow the same rules: Lloyd iterations; empty clusters
re-seeded with the points farthest from their centroids, empty clusters in
index order taking the farthest points in order (scikit-learn's
_relocate_empty_clusters_dense); after the last iteration a final assignment
against the final centroids gives labels and inertia.

Prints one line per check and closes with
`sklearn_crosscheck: N passed, N failed`; exits 1 when a check failed or none ran.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import sklearn
from sklearn.cluster import KMeans

CUSTOMER_FEATURES = ["age", "income", "purchase_frequency", "recency_days",
                     "avg_basket_value", "tenure_months"]

# name: generator arguments, k, how the init is made, extra strata arguments
#   init: ("rows", seed)              k distinct rows picked by a seeded RNG
#         ("far", seed, positions)    rows, except that the clusters at
#                                     `positions` start far from every point,
#                                     so they are empty after the first pass
CASES = [
    dict(name="customers_k5",
         gen=["--kind", "customers", "--rows", "40000", "--seed", "11", "--missing", "0",
              "--dtype", "float32", "--chunk-rows", "5000"],
         features=CUSTOMER_FEATURES, k=5, init=("rows", 1), header=True),
    dict(name="customers_k5_float64_seg7",
         gen=["--kind", "customers", "--rows", "25013", "--seed", "12", "--missing", "0",
              "--dtype", "float64", "--segments", "7", "--chunk-rows", "3000"],
         features=CUSTOMER_FEATURES, k=5, init=("rows", 2), header=False),
    dict(name="blobs_d1_k1",
         gen=["--kind", "blobs", "--rows", "20000", "--dims", "1", "--centers", "3", "--std", "2",
              "--seed", "21"],
         k=1, init=("rows", 3), header=True),
    dict(name="blobs_d1_k7",
         gen=["--kind", "blobs", "--rows", "30011", "--dims", "1", "--centers", "5", "--std", "1.5",
              "--seed", "22", "--chunk-rows", "4096"],
         k=7, init=("rows", 4), header=False),
    dict(name="blobs_d3_k7",
         gen=["--kind", "blobs", "--rows", "50000", "--dims", "3", "--centers", "7", "--std", "2.5",
              "--seed", "23"],
         k=7, init=("rows", 5), header=True),
    dict(name="blobs_d3_k17",
         gen=["--kind", "blobs", "--rows", "40000", "--dims", "3", "--centers", "9", "--std", "2",
              "--seed", "24", "--chunk-rows", "1000"],
         k=17, init=("rows", 6), header=True),
    dict(name="blobs_d17_k7_columns",
         gen=["--kind", "blobs", "--rows", "30000", "--dims", "17", "--centers", "7", "--std", "4",
              "--seed", "25", "--layout", "columns", "--chunk-rows", "2500"],
         k=7, init=("rows", 7), header=True),
    dict(name="blobs_d17_k17",
         gen=["--kind", "blobs", "--rows", "40000", "--dims", "17", "--centers", "12", "--std", "5",
              "--seed", "26"],
         k=17, init=("rows", 8), header=False),
    dict(name="empty_cluster_one",
         gen=["--kind", "blobs", "--rows", "20000", "--dims", "2", "--centers", "4", "--std", "1.5",
              "--seed", "31"],
         k=5, init=("far", 9, [2]), header=True),
    dict(name="empty_clusters_two",
         gen=["--kind", "blobs", "--rows", "20000", "--dims", "3", "--centers", "5", "--std", "2",
              "--seed", "32"],
         k=7, init=("far", 10, [1, 4]), header=True),
]

INERTIA_RTOL = 1e-5
LABELS_MIN_AGREE = 0.999
MAX_ITER = 10


def read_data(path, features):
    """The float32 values Strata computes on, in feature order."""
    with h5py.File(path, "r") as f:
        if features is None:
            ds = f["data"]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in ds.attrs["columns"]]
            return np.asarray(ds[...], dtype=np.float32), names
        cols = [np.asarray(f[c][...]).astype(np.float32) for c in features]
        return np.column_stack(cols), list(features)


def column_names(path):
    with h5py.File(path, "r") as f:
        if "data" in f and f["data"].ndim == 2:
            return None
        names = []
        f.id.links.iterate(names.append, idx_type=h5py.h5.INDEX_CRT_ORDER)
        return [n.decode() for n in names if isinstance(f[n.decode()], h5py.Dataset)]


def make_init(X, k, spec):
    """k centroids (float64 holding float32 values) and a description."""
    kind, seed = spec[0], spec[1]
    rng = np.random.default_rng(seed)
    rows = rng.choice(X.shape[0], size=k, replace=False)
    init = X[rows].astype(np.float64)
    if kind == "far":
        lo, hi = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
        span = np.maximum(hi - lo, 1.0)
        for j, pos in enumerate(spec[2]):
            # far outside the data box, in different directions, exact in float32
            direction = np.where(np.arange(X.shape[1]) % 2 == j % 2, 1.0, -1.0)
            init[pos] = np.float32(np.where(direction > 0, hi + (10 + 5 * j) * span,
                                            lo - (10 + 5 * j) * span)).astype(np.float64)
    return init


def write_init_csv(path, init, names, header):
    with open(path, "w") as f:
        if header:
            f.write(",".join(names) + "\n")
        for row in init:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


def run_sklearn(X64, init, threads):
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=threads):
        km = KMeans(n_clusters=init.shape[0], init=init, n_init=1, max_iter=MAX_ITER, tol=0.0,
                    algorithm="lloyd", random_state=0)
        t0 = time.perf_counter()
        km.fit(X64)
        secs = time.perf_counter() - t0
    return km, secs


def run_strata(strata, data, k, init_csv, features, labels, model, extra, threads):
    cmd = [strata, "fit", data, "-k", str(k), "-o", model, "--init", init_csv,
           "--max-iter", str(MAX_ITER), "--tol", "0", "--scale", "none", "--labels", labels,
           "--json", "--progress", "none", "--threads", str(threads)] + extra
    if features:
        cmd += ["--features", ",".join(features)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("strata fit exited %d: %s\n  command: %s"
                           % (p.returncode, p.stderr.strip()[-2000:], " ".join(cmd)))
    try:
        out = json.loads(p.stdout)
    except ValueError as e:
        raise RuntimeError("strata fit --json printed no JSON (%s): %r" % (e, p.stdout[:500]))
    with h5py.File(labels, "r") as f:
        lab = np.asarray(f["segment"][...])
    return out, lab, secs


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
            print("ok   - " + what, flush=True)
        else:
            self.failed += 1
            print("FAIL - " + what, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", default=os.environ.get("STRATA", "strata"), help="the strata command")
    ap.add_argument("--gen", default=os.environ.get("STRATA_GEN", "strata-gen"), help="the strata-gen tool")
    ap.add_argument("--tmp", default=os.environ.get("STRATA_TEST_TMP"), help="scratch directory")
    ap.add_argument("--case", action="append", help="run only these cases (repeatable)")
    ap.add_argument("--backend", action="append",
                    help="strata backends to check (repeatable; default: the default backend, then ref)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sklearn-only", action="store_true",
                    help="run only the data generation and the scikit-learn half (checks the harness)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch files")
    ap.add_argument("--list", action="store_true", help="list the cases")
    a = ap.parse_args()

    if a.list:
        for c in CASES:
            print(c["name"])
        return 0
    cases = [c for c in CASES if not a.case or c["name"] in a.case]
    if a.case and len(cases) != len(a.case):
        print("unknown case in %s; see --list" % a.case, file=sys.stderr)
        return 2
    backends = a.backend or [None, "ref"]

    print("scikit-learn %s, numpy %s, h5py %s, python %s" % (
        sklearn.__version__, np.__version__, h5py.__version__, sys.version.split()[0]))
    base = tempfile.mkdtemp(prefix="sklearn_crosscheck.", dir=a.tmp)
    checks = Checks()
    try:
        for case in cases:
            name, k = case["name"], case["k"]
            d = os.path.join(base, name)
            os.makedirs(d)
            data = os.path.join(d, "data.h5")
            subprocess.run([a.gen, "-o", data] + case["gen"], check=True)
            features = case.get("features")
            if features is None:
                features = column_names(data)  # columns layout of blobs: x0.., else None (matrix)
            X, names = read_data(data, features)
            init = make_init(X, k, case["init"])
            init_csv = os.path.join(d, "init.csv")
            write_init_csv(init_csv, init, names, case["header"])

            X64 = X.astype(np.float64)  # exact: every float32 is a float64
            km, sk_secs = run_sklearn(X64, init, a.threads)
            sk_labels = km.labels_
            sk_inertia = float(km.inertia_)
            sizes = np.bincount(sk_labels, minlength=k)
            print("# %s: n=%d d=%d k=%d  sklearn: inertia %.10g, n_iter %d, smallest cluster %d, %.3f s"
                  % (name, X.shape[0], X.shape[1], k, sk_inertia, km.n_iter_, sizes.min(), sk_secs),
                  flush=True)
            if case["init"][0] == "far":
                # The harness itself: those clusters really were empty after pass 1,
                # and scikit-learn re-seeded them (every cluster ends non-empty).
                d2 = ((X64[:, None, :] - init[None, :, :]) ** 2).sum(axis=2)
                first = np.bincount(d2.argmin(axis=1), minlength=k)
                checks.check(all(first[p] == 0 for p in case["init"][2]) and sizes.min() > 0,
                             "%s: clusters %s empty after the first pass, re-seeded by scikit-learn"
                             % (name, case["init"][2]))
            if a.sklearn_only:
                checks.check(np.isfinite(sk_inertia) and sk_labels.shape[0] == X.shape[0],
                             "%s: scikit-learn half ran" % name)
                continue

            for be in backends:
                tag = "%s [%s]" % (name, be or "default backend")
                extra = ["--backend", be] if be else []
                try:
                    out, lab, st_secs = run_strata(a.strata, data, k, init_csv, features,
                                                   os.path.join(d, "labels.h5"), os.path.join(d, "model.h5"),
                                                   extra, a.threads)
                except Exception as e:  # noqa: BLE001 - report and go on with the next case
                    checks.check(False, "%s: strata fit ran: %s" % (tag, e))
                    continue
                st_inertia = float(out.get("inertia", float("nan")))
                rel = abs(st_inertia - sk_inertia) / max(abs(sk_inertia), 1e-300)
                checks.check(rel <= INERTIA_RTOL,
                             "%s: inertia strata %.10g vs sklearn %.10g (rel %.2e <= %.0e)"
                             % (tag, st_inertia, sk_inertia, rel, INERTIA_RTOL))
                if lab.shape != sk_labels.shape:
                    checks.check(False, "%s: labels shape %s vs %s" % (tag, lab.shape, sk_labels.shape))
                    continue
                agree = float(np.mean(lab.astype(np.int64) == sk_labels.astype(np.int64)))
                checks.check(agree >= LABELS_MIN_AGREE,
                             "%s: labels agree on %.4f%% of rows (>= %.1f%%)"
                             % (tag, 100 * agree, 100 * LABELS_MIN_AGREE))
                cen = np.asarray(out.get("centroids", []), dtype=np.float64)
                cdiff = (np.max(np.abs(cen - km.cluster_centers_) / np.maximum(X64.std(axis=0), 1e-12))
                         if cen.shape == km.cluster_centers_.shape else float("nan"))
                print("#   %s: iterations %s (sklearn n_iter %d), converged %s, max centroid diff %.2e "
                      "feature sd, backend %s, %.3f s"
                      % (tag, out.get("iterations"), km.n_iter_, out.get("converged"), cdiff,
                         out.get("backend"), st_secs), flush=True)
    finally:
        if a.keep:
            print("# scratch files kept in " + base)
        else:
            shutil.rmtree(base, ignore_errors=True)

    print("sklearn_crosscheck: %d passed, %d failed" % (checks.passed, checks.failed))
    # No check at all proves nothing: that fails too.
    return 1 if checks.failed or not checks.passed else 0


if __name__ == "__main__":
    sys.exit(main())

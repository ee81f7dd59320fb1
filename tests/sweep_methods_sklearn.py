#!/usr/bin/env python3
"""Cross-check `strata sweep --algorithm kmeans,gmm,ward` against scikit-learn and scipy.

Data: blobs (scale none, so Strata computes on the file's float32 values),
fewer rows than the silhouette sample, so the sample is every row.  Per k:

 - gmm: the sweep's BIC and AIC equal `strata fit --algorithm gmm -k K`'s
   with the same seed (bit for bit), and scikit-learn's GaussianMixture.bic
   / .aic of that model's parameters (weights, means, covariances) on the
   same rows within 1e-6 relative; the sweep's gmm silhouette equals
   scikit-learn's silhouette_score of GaussianMixture.predict within 1e-6;
 - ward: the sweep's inertia is the within sum of squares of scipy's
   linkage(ward) cut into k (fcluster maxclust) within 1e-9 relative (the
   same partition), and its silhouette is silhouette_score of the rows'
   nearest centroid of that partition within 1e-6;
 - kmeans: the comparison's k-means rows equal a k-means-only sweep's.

Prints one line per check and closes with `sweep_methods_sklearn: N passed,
N failed`; exits 1 when a check failed or none ran.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture

SEED = "5"
KS = (2, 3, 4, 5)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def run_json(cmd):
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", default=os.environ.get("STRATA", "strata"))
    ap.add_argument("--gen", default=os.environ.get("STRATA_GEN", "strata-gen"))
    ap.add_argument("--tmp", default=os.environ.get("STRATA_TEST_TMP"))
    a = ap.parse_args()
    if a.tmp:
        os.makedirs(a.tmp, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="sweep_methods.", dir=a.tmp)
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        passed += bool(ok)
        failed += not ok
        print(("ok   - " if ok else "FAIL - ") + what, flush=True)

    try:
        data = os.path.join(tmp, "blobs.h5")
        subprocess.run([a.gen, "--kind", "blobs", "--rows", "1500", "--dims", "3", "--centers", "4", "--std", "1.8",
                        "--seed", "61", "-o", data], check=True)
        with h5py.File(data, "r") as f:
            X = np.asarray(f["data"][...], dtype=np.float32).astype(np.float64)
        common = ["-k", "%d:%d" % (KS[0], KS[-1]), "--scale", "none", "--seed", SEED, "--progress", "none"]
        sw = run_json([a.strata, "sweep", data, "--algorithm", "kmeans,gmm,ward", "--json"] + common)
        km = run_json([a.strata, "sweep", data, "--json"] + common)
        check(sw["silhouette_sample"] >= X.shape[0], "the silhouette sample is every row")
        rows = {(r["algorithm"], r["k"]): r for r in sw["comparison"]}
        check(sorted(rows) == sorted((m, k) for m in ("kmeans", "gmm", "ward") for k in KS),
              "one comparison row per method and k")
        check(sw["recommended_algorithm"] in ("kmeans", "gmm", "ward") and sw["recommended_k"] in KS
              and isinstance(sw["reason"], str) and "\n" not in sw["reason"], "a (method, k) and a one-line reason")
        for r in km["results"]:
            c = rows[("kmeans", r["k"])]
            check(all(c[key] == r[key] for key in ("inertia", "iterations", "silhouette", "calinski_harabasz",
                                                   "davies_bouldin")),
                  "kmeans k=%d: the comparison's row equals the k-means-only sweep's" % r["k"])
        Z = linkage(X, "ward")
        for k in KS:
            # gmm: fit's model, scikit-learn's BIC of it
            fit = run_json([a.strata, "fit", data, "-k", str(k), "--algorithm", "gmm", "-o",
                            os.path.join(tmp, "m.h5"), "--json", "--scale", "none", "--seed", SEED,
                            "--progress", "none"])
            g, r = fit["gmm"], rows[("gmm", k)]
            check(r["bic"] == g["bic"] and r["aic"] == g["aic"],
                  "gmm k=%d: sweep BIC/AIC equal fit's (%r, %r)" % (k, r["bic"], g["bic"]))
            gm = GaussianMixture(k, covariance_type="full")
            cov = np.asarray(g["covariances"], dtype=np.float64).reshape(k, X.shape[1], X.shape[1])
            gm.weights_ = np.asarray(g["weights"], dtype=np.float64)
            gm.means_ = np.asarray(fit["centroids_scaled"], dtype=np.float64)
            gm.covariances_ = cov
            gm.precisions_cholesky_ = np.array([np.linalg.inv(np.linalg.cholesky(c)).T for c in cov])
            check(rel(r["bic"], gm.bic(X)) <= 1e-6 and rel(r["aic"], gm.aic(X)) <= 1e-6,
                  "gmm k=%d: BIC %.10g vs scikit-learn %.10g, AIC %.10g vs %.10g"
                  % (k, r["bic"], gm.bic(X), r["aic"], gm.aic(X)))
            sil = silhouette_score(X, gm.predict(X))
            check(rel(r["silhouette"], sil) <= 1e-6,
                  "gmm k=%d: silhouette %.10g vs scikit-learn %.10g" % (k, r["silhouette"], sil))
            # ward: scipy's partition
            lab = fcluster(Z, k, criterion="maxclust") - 1
            cent = np.array([X[lab == c].mean(axis=0) for c in range(k)])
            within = sum(((X[lab == c] - cent[c]) ** 2).sum() for c in range(k))
            w = rows[("ward", k)]
            check(rel(w["inertia"], within) <= 1e-9,
                  "ward k=%d: inertia %.12g vs scipy's partition %.12g" % (k, w["inertia"], within))
            near = np.argmin(((X[:, None, :] - cent[None, :, :]) ** 2).sum(axis=2), axis=1)
            sil = silhouette_score(X, near)
            check(rel(w["silhouette"], sil) <= 1e-6,
                  "ward k=%d: silhouette %.10g vs scikit-learn %.10g" % (k, w["silhouette"], sil))
    except (subprocess.CalledProcessError, KeyError, ValueError) as e:
        check(False, "run: %s %s" % (e, getattr(e, "stderr", "") or ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("sweep_methods_sklearn: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

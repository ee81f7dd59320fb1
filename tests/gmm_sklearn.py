#!/usr/bin/env python3
"""Cross-check `strata fit --algorithm gmm` against scikit-learn's GaussianMixture.

Both start from the same parameters: the means are k rows picked by a seeded
RNG, given to Strata as --init FILE (original units); Strata then starts the
weights at 1/k and every covariance at the diagonal of the scaled columns'
population variances plus reg_covar (spherical: their mean), and scikit-learn
gets exactly those as weights_init, means_init and precisions_init.  The data
is what Strata computes on: the file's values as float32, scaled with the
model's shift and factor and rounded to float32 (--scale none: unchanged).

Checks per case and covariance type (full, tied, diag, spherical): the mean
log-likelihood per row at the final parameters (scikit-learn's score())
within 1e-6 relative, BIC and AIC within 1e-6 relative, the hard labels equal
(arg max of the responsibilities; at most 0.01% of rows may differ, for
near-ties), the per-segment probabilities of --soft (float32) within 1e-5 of
predict_proba, the weights and means within 1e-4, the iteration count within 1.

Prints one line per check and closes with `gmm_sklearn: N passed, N failed`;
exits 1 when a check failed or none ran.
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
from sklearn.mixture import GaussianMixture

CUSTOMER_FEATURES = ["age", "income", "purchase_frequency", "recency_days",
                     "avg_basket_value", "tenure_months"]

# The customers table is the bundled sample's kind (strata-gen --kind
# customers), scaled by z-score as the tutorial does; the blobs have d not a
# multiple of the vector widths, k = 1, and a table with duplicated rows.
CASES = [
    dict(name="blobs_d3_k4", gen=["--kind", "blobs", "--rows", "6000", "--dims", "3", "--centers", "4",
                                  "--std", "1.5", "--seed", "41"], k=4, scale="none"),
    dict(name="blobs_d5_k3_chunks", gen=["--kind", "blobs", "--rows", "5003", "--dims", "5", "--centers", "3",
                                         "--std", "2", "--seed", "42", "--chunk-rows", "700"], k=3, scale="none"),
    dict(name="blobs_d2_k1", gen=["--kind", "blobs", "--rows", "3000", "--dims", "2", "--centers", "2",
                                  "--std", "1", "--seed", "43"], k=1, scale="none"),
    dict(name="customers_k3_zscore", gen=["--kind", "customers", "--rows", "5000", "--seed", "44",
                                          "--missing", "0", "--segments", "3"],
         features=CUSTOMER_FEATURES, k=3, scale="zscore"),
]
TYPES = ["full", "tied", "diag", "spherical"]
REG = 1e-6
TOL = 1e-4
MAX_ITER = 300
RTOL = 1e-6


def read_data(path, features):
    with h5py.File(path, "r") as f:
        if features is None:
            return np.asarray(f["data"][...], dtype=np.float32)
        return np.column_stack([np.asarray(f[c][...]).astype(np.float32) for c in features])


def sklearn_init(Xs, init_scaled, k, ctype):
    """Strata's initial parameters in scikit-learn's terms."""
    var = Xs.astype(np.float64).var(axis=0) + REG
    d = Xs.shape[1]
    if ctype == "full":
        prec = np.array([np.diag(1.0 / var) for _ in range(k)])
    elif ctype == "tied":
        prec = np.diag(1.0 / var)
    elif ctype == "diag":
        prec = np.tile(1.0 / var, (k, 1))
    else:
        prec = np.full(k, 1.0 / (Xs.astype(np.float64).var(axis=0).mean() + REG))
    assert init_scaled.shape == (k, d)
    return np.full(k, 1.0 / k), init_scaled, prec


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", default=os.environ.get("STRATA", "strata"))
    ap.add_argument("--gen", default=os.environ.get("STRATA_GEN", "strata-gen"))
    ap.add_argument("--tmp", default=os.environ.get("STRATA_TEST_TMP"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if a.tmp:
        os.makedirs(a.tmp, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="gmm_sklearn.", dir=a.tmp)
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
        print(("ok   - " if ok else "FAIL - ") + what, flush=True)

    try:
        for case in CASES:
            data = os.path.join(tmp, case["name"] + ".h5")
            subprocess.run([a.gen, "-o", data] + case["gen"], check=True)
            feats = case.get("features")
            X = read_data(data, feats)
            k = case["k"]
            rows = np.random.default_rng(len(case["name"])).choice(X.shape[0], size=k, replace=False)
            init = X[rows].astype(np.float64)
            init_csv = os.path.join(tmp, case["name"] + ".init.csv")
            with open(init_csv, "w") as f:
                for r in init:
                    f.write(",".join(repr(float(v)) for v in r) + "\n")
            for ctype in TYPES:
                tag = "%s/%s" % (case["name"], ctype)
                labels = os.path.join(tmp, "labels.h5")
                model = os.path.join(tmp, "model.h5")
                cmd = [a.strata, "fit", data, "-k", str(k), "-o", model, "--algorithm", "gmm",
                       "--covariance-type", ctype, "--init", init_csv, "--scale", case["scale"],
                       "--tol", repr(TOL), "--max-iter", str(MAX_ITER), "--reg-covar", repr(REG),
                       "--labels", labels, "--soft", "--json", "--progress", "none", "--threads", "2"]
                if feats:
                    cmd += ["--features", ",".join(feats)]
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    check(False, "%s: strata fit exited %d: %s" % (tag, p.returncode, p.stderr.strip()))
                    continue
                out = json.loads(p.stdout)
                with h5py.File(labels, "r") as f:
                    lab = np.asarray(f["segment"][...])
                    prob = np.asarray(f["probability"][...], dtype=np.float64)
                shift = np.asarray(out["scale_shift"])
                factor = np.asarray(out["scale_factor"])
                # what Strata's pass computes on, and its scaled initial means
                Xs = ((X.astype(np.float64) - shift) / factor).astype(np.float32)
                X64 = Xs.astype(np.float64)
                w0, m0, p0 = sklearn_init(Xs, (init - shift) / factor, k, ctype)
                gm = GaussianMixture(n_components=k, covariance_type=ctype, tol=TOL, reg_covar=REG,
                                     max_iter=MAX_ITER, n_init=1, weights_init=w0, means_init=m0,
                                     precisions_init=p0, random_state=0)
                gm.fit(X64)
                g = out["gmm"]
                score = gm.score(X64)
                check(rel(g["log_likelihood"], score) <= RTOL,
                      "%s: log-likelihood %.12g vs scikit-learn %.12g" % (tag, g["log_likelihood"], score))
                check(rel(g["bic"], gm.bic(X64)) <= RTOL and rel(g["aic"], gm.aic(X64)) <= RTOL,
                      "%s: BIC %.10g vs %.10g, AIC %.10g vs %.10g"
                      % (tag, g["bic"], gm.bic(X64), g["aic"], gm.aic(X64)))
                sk_lab = gm.predict(X64)
                differ = int(np.sum(lab != sk_lab))
                check(differ <= X.shape[0] // 10000, "%s: labels differ on %d of %d rows" % (tag, differ, X.shape[0]))
                dp = np.max(np.abs(prob - gm.predict_proba(X64)))
                check(prob.shape == (X.shape[0], k) and dp <= 1e-5,
                      "%s: --soft probabilities within %.2g of predict_proba" % (tag, dp))
                dw = np.max(np.abs(np.asarray(g["weights"]) - gm.weights_))
                dm = np.max(np.abs(np.asarray(out["centroids_scaled"]) - gm.means_))
                check(dw <= 1e-4 and dm <= 1e-4, "%s: weights within %.2g, means within %.2g" % (tag, dw, dm))
                check(abs(out["iterations"] - gm.n_iter_) <= 1,
                      "%s: %d iterations vs scikit-learn's %d" % (tag, out["iterations"], gm.n_iter_))
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("gmm_sklearn: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())

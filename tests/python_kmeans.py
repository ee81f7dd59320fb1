"""The Python package (python/strata) against its oracles:
 - the `strata` command: the same data and seed give the same bits
   (centroids in both units, inertia, iterations, labels) for random shapes,
   k = 1 and k = n, duplicates, both scalings, both inits, n_init > 1,
   float32 and float64 arrays in C and Fortran order, any thread count;
   predict equals `strata assign`; fit_h5/open_model/assign/profile equal the
   command's outputs;
 - scikit-learn: Lloyd from the same initial centroids (scale='none');
 - scikit-learn's check_estimator (the checks expected to fail are listed
   with the reason in EXPECTED_FAILED);
 - errors: StrataError with the one-line message, status and exit code;
 - DataFrames in (feature names) and out (profile), no hidden copy of the data.
Run by tests/python_package.sh with STRATA_LIBRARY and PYTHONPATH set."""
import argparse
import os
import pickle
import subprocess
import sys
import tracemalloc
import warnings

import h5py
import numpy as np

OMP_BEFORE = (os.environ.get("OMP_WAIT_POLICY"), os.environ.get("GOMP_SPINCOUNT"))
import strata  # noqa: E402  (after reading the environment it sets)

ap = argparse.ArgumentParser()
ap.add_argument("--strata", required=True)
ap.add_argument("--tmp", required=True)
args = ap.parse_args()
T = args.tmp
FAILED = []
PASSED = [0]


def check(cond, what, detail=""):
    if cond:
        PASSED[0] += 1
    else:
        FAILED.append(what)
        print("FAIL - %s %s" % (what, detail))


# Loading the library makes idle OpenMP workers sleep, unless the user chose.
check(os.environ.get("OMP_WAIT_POLICY") == (OMP_BEFORE[0] or ("passive" if OMP_BEFORE[1] is None else None)),
      "import strata: OMP_WAIT_POLICY=passive unless OMP_WAIT_POLICY or GOMP_SPINCOUNT was set",
      repr((OMP_BEFORE, os.environ.get("OMP_WAIT_POLICY"))))


def cli(*argv, expect=0):
    r = subprocess.run([args.strata] + [str(a) for a in argv], capture_output=True, text=True)
    if r.returncode != expect:
        print("command failed:", argv, r.returncode, r.stderr)
    return r


def write_h5(path, X, names):
    with h5py.File(path, "w") as f:
        for j, n in enumerate(names):
            f.create_dataset(n, data=np.ascontiguousarray(X[:, j]))


def labels_of(path):
    with h5py.File(path, "r") as f:
        return f["segment"][:], f["distance"][:]


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


# ------------------------------------------------------------------ the command, bit for bit
rng = np.random.default_rng(19)
cases = [
    # n, d, k, scale, init, n_init, dtype, order, duplicates
    (1003, 5, 4, "none", "k-means++", 1, np.float32, "C", False),
    (1003, 5, 4, "zscore", "k-means++", 1, np.float64, "F", False),
    (257, 3, 1, "zscore", "k-means++", 1, np.float32, "C", False),
    (37, 2, 37, "none", "random", 1, np.float32, "C", False),
    (500, 7, 6, "minmax", "random", 3, np.float64, "C", False),
    (400, 3, 5, "none", "k-means++", 2, np.float32, "F", True),
    (5003, 4, 7, "zscore", "k-means||", 2, np.float64, "C", False),
]
for i, (n, d, k, scale, init, n_init, dtype, order, dup) in enumerate(cases):
    centers = rng.normal(scale=4.0, size=(max(k, 2), d))
    X = (centers[rng.integers(0, len(centers), n)] + rng.normal(size=(n, d))) * rng.uniform(0.5, 50, d)
    if dup:
        X = X[rng.integers(0, 20, n)]  # 20 distinct rows: duplicates and empty clusters
    X = np.asarray(X, dtype=dtype, order=order)
    names = ["f%d" % j for j in range(d)]
    h5, model, lab = ["%s/case%d_%s" % (T, i, s) for s in ("data.h5", "model.h5", "labels.h5")]
    write_h5(h5, X, names)
    seed = 100 + i
    cli("fit", h5, "-k", k, "-o", model, "--labels", lab, "--seed", seed, "--scale", scale, "--init", init,
        "--n-init", n_init)
    ref = strata.open_model(model).info
    seg, dist = labels_of(lab)
    tag = "case %d (n=%d d=%d k=%d %s %s n_init=%d %s %s)" % (i, n, d, k, scale, init, n_init,
                                                               np.dtype(dtype).name, order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant columns, empty clusters re-seeded
        for threads in (None, 1):
            km = strata.KMeans(k, init=init, n_init=n_init, random_state=seed, scale=scale,
                               n_threads=threads).fit(X)
            check(same(km.cluster_centers_, ref["centroids_original"]), tag + " centroids (original units)",
                  "threads=%s" % threads)
            info = km.model_.info
            check(same(info["centroids"], ref["centroids"]), tag + " centroids (scaled)")
            check(km.inertia_ == ref["inertia"], tag + " inertia", "%r vs %r" % (km.inertia_, ref["inertia"]))
            check(km.n_iter_ == ref["iterations"], tag + " iterations")
            check(same(km.labels_, seg), tag + " labels", "threads=%s" % threads)
        # predict on new rows equals `strata assign` of the command's model
        Y = np.asarray(X[::-1][: max(1, n // 2)] + 0.25, dtype=dtype, order=order)
        h5y, laby = "%s/case%d_new.h5" % (T, i), "%s/case%d_newlabels.h5" % (T, i)
        write_h5(h5y, Y, names)
        cli("assign", model, h5y, "--labels", laby)
        check(same(km.predict(Y), labels_of(laby)[0]), tag + " predict = strata assign")
        check(km.score(Y) < 0 and km.fit_predict(X).dtype == np.int32, tag + " score/fit_predict")
        t = km.transform(X)
        check(t.shape == (n, k) and np.array_equal(np.argmin(t, 1), seg),
              tag + " transform: nearest centroid is the label")

# MiniBatchKMeans = `strata fit --algorithm minibatch --batch-rows N`, bit for bit
X = np.asarray(rng.normal(size=(20011, 3)) + rng.integers(0, 4, size=(20011, 1)) * 6.0, dtype=np.float32)
h5, model, lab = ["%s/mb_%s" % (T, s) for s in ("data.h5", "model.h5", "labels.h5")]
write_h5(h5, X, ["a", "b", "c"])
cli("fit", h5, "-k", 4, "-o", model, "--labels", lab, "--seed", 5, "--scale", "none", "--algorithm", "minibatch",
    "--batch-rows", 5000)
ref = strata.open_model(model).info
for threads in (None, 1):
    mbk = strata.MiniBatchKMeans(4, batch_size=5000, random_state=5, n_threads=threads).fit(X)
    check(same(mbk.cluster_centers_, ref["centroids_original"]) and mbk.inertia_ == ref["inertia"] and
          mbk.n_iter_ == ref["iterations"] and same(mbk.labels_, labels_of(lab)[0]),
          "MiniBatchKMeans = strata fit --algorithm minibatch", "threads=%s" % threads)
check(mbk.get_params()["batch_size"] == 5000 and strata.MiniBatchKMeans().batch_size == 16384,
      "MiniBatchKMeans get_params / default batch")
# scikit-learn's MiniBatchKMeans from the same initial centres: its batches are
# rows, Strata's whole blocks, so the models differ; the inertia over every row
# must not (within 2% on these separated blobs), nor the matched centres.
from sklearn.cluster import MiniBatchKMeans as SkMiniBatch  # noqa: E402
init = X[[0, 5000, 10000, 15000]].astype(np.float64)
ours = strata.MiniBatchKMeans(4, init=init, batch_size=8192, random_state=1).fit(X)
theirs = SkMiniBatch(4, init=init, n_init=1, batch_size=8192, random_state=1).fit(X.astype(np.float64))
X64 = X.astype(np.float64)
sk_inertia = float(((X64 - theirs.cluster_centers_[theirs.predict(X64)]) ** 2).sum())
match = np.sqrt(((ours.cluster_centers_[:, None, :] - theirs.cluster_centers_[None]) ** 2).sum(2)).min(1)
check(abs(ours.inertia_ / sk_inertia - 1) < 0.02 and match.max() < 0.1,
      "MiniBatchKMeans against scikit-learn's from the same init",
      "inertia %.6g vs %.6g, centre gaps %s" % (ours.inertia_, sk_inertia, match))
# With sample_weight: scikit-learn's weight_sums as the per-centre rates.
sw = np.random.default_rng(9).gamma(1.0, 2.0, len(X))
ours = strata.MiniBatchKMeans(4, init=init, batch_size=8192, random_state=1).fit(X, sample_weight=sw)
theirs = SkMiniBatch(4, init=init, n_init=1, batch_size=8192, random_state=1).fit(X64, sample_weight=sw)
sk_inertia = float((sw * ((X64 - theirs.cluster_centers_[theirs.predict(X64)]) ** 2).sum(1)).sum())
match = np.sqrt(((ours.cluster_centers_[:, None, :] - theirs.cluster_centers_[None]) ** 2).sum(2)).min(1)
check(abs(ours.inertia_ / sk_inertia - 1) < 0.02 and match.max() < 0.1,
      "MiniBatchKMeans with sample_weight against scikit-learn's from the same init",
      "inertia %.6g vs %.6g, centre gaps %s" % (ours.inertia_, sk_inertia, match))
try:
    strata.MiniBatchKMeans(2, batch_size=0).fit(X)
    check(False, "MiniBatchKMeans batch_size=0 refused", "no error")
except ValueError:
    check(True, "MiniBatchKMeans batch_size=0 refused")

# the out-of-core route equals the command
h5 = "%s/case0_data.h5" % T
m = strata.fit_h5(h5, 4, seed=7, model_path="%s/py_model.h5" % T, labels_path="%s/py_labels.h5" % T)
cli("fit", h5, "-k", 4, "--seed", 7, "-o", "%s/cli_model.h5" % T, "--labels", "%s/cli_labels.h5" % T)
ref = strata.open_model("%s/cli_model.h5" % T).info
check(same(m.info["centroids_original"], ref["centroids_original"]) and m.info["scale"] == "zscore",
      "fit_h5 = strata fit (z-score default)")
check(same(labels_of("%s/py_labels.h5" % T)[0], labels_of("%s/cli_labels.h5" % T)[0]), "fit_h5 labels")
r = strata.open_model("%s/py_model.h5" % T).assign(h5, "%s/py_assign.h5" % T)
check(same(labels_of("%s/py_assign.h5" % T)[0], labels_of("%s/cli_labels.h5" % T)[0]) and
      int(r["sizes"].sum()) == 1003 and r["inertia"] == ref["inertia"], "Model.assign = the fit's labels")
m2 = strata.fit_h5(h5, 3, features=["f2", "f0"], scale="none", seed=3)
check(m2.info["features"] == ["f2", "f0"] and m2.info["k"] == 3, "fit_h5 features=")
check(m2.info["weight_column"] is None and m.info["refine"] in ("swap", "none"), "info: weight_column None unweighted")

# fit_h5's default features are the command's: an identifier, a 0/1
# outcome and a -1 sentinel column are left out with a warning each, as
# `strata fit` leaves them out; features= overrides, exclude= removes,
# transforms= is the command's --transform.
import warnings
rs = np.random.default_rng(5)
nq = 3000
Q = np.column_stack([np.arange(1, nq + 1), rs.normal(40, 10, nq), rs.lognormal(3, 1, nq), rs.integers(0, 2, nq),
                     np.where(rs.random(nq) < 0.8, -1, rs.integers(1, 400, nq))]).astype(np.float64)
qnames = ["customer_id", "age", "spend", "y", "pdays"]
qh5 = "%s/choice.h5" % T
write_h5(qh5, Q, qnames)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    mq = strata.fit_h5(qh5, 3, seed=1, model_path="%s/q_py.h5" % T)
left = sorted(str(w.message).split("'")[1] for w in caught if issubclass(w.category, UserWarning))
cli("fit", qh5, "-k", 3, "--seed", 1, "-o", "%s/q_cli.h5" % T)
qref = strata.open_model("%s/q_cli.h5" % T).info
check(mq.info["features"] == qref["features"] == ["age", "spend"] and left == ["customer_id", "pdays", "y"] and
      same(mq.info["centroids_original"], qref["centroids_original"]),
      "fit_h5 default features = strata fit's, with a warning per left-out column", str((mq.info["features"], left)))
mq2 = strata.fit_h5(qh5, 3, features=["age", "spend", "y"], exclude=["y"], transforms="spend:log1p", seed=1)
cli("fit", qh5, "-k", 3, "--features", "age,spend,y", "--exclude", "y", "--transform", "spend:log1p", "--seed", 1,
    "-o", "%s/q_cli2.h5" % T)
qref2 = strata.open_model("%s/q_cli2.h5" % T).info
check(mq2.info["features"] == ["age", "spend"] and same(mq2.info["centroids_original"], qref2["centroids_original"]),
      "fit_h5 features=, exclude=, transforms= = the command's")
# weights=: the command's --weights (the column leaves the features)
m3 = strata.fit_h5(qh5, 3, weights="spend", seed=5, model_path="%s/py_w.h5" % T)
cli("fit", qh5, "-k", 3, "--weights", "spend", "--seed", 5, "-o", "%s/cli_w.h5" % T)
wref = strata.open_model("%s/cli_w.h5" % T).info
check(m3.info["weight_column"] == wref["weight_column"] == "spend" and "spend" not in m3.info["features"] and
      same(m3.info["centroids_original"], wref["centroids_original"]) and m3.info["inertia"] == wref["inertia"],
      "fit_h5 weights= = strata fit --weights", str(m3.info["weight_column"]))


# ------------------------------------------------------------------ scikit-learn, same initial centroids
try:
    from sklearn.cluster import KMeans as SKKMeans
    X = np.asarray(rng.normal(size=(2000, 4)) + np.repeat(rng.normal(scale=5, size=(4, 4)), 500, 0), np.float32)
    init = X[[0, 500, 1000, 1500]].astype(np.float64)
    ours = strata.KMeans(4, init=init, scale="none", tol=0).fit(X)
    sk = SKKMeans(4, init=init, n_init=1, tol=0, algorithm="lloyd").fit(X.astype(np.float64))
    check(same(ours.labels_, sk.labels_.astype(np.int32)), "labels = scikit-learn's from the same init")
    check(np.allclose(ours.cluster_centers_, sk.cluster_centers_, rtol=1e-5, atol=1e-5),
          "centroids = scikit-learn's from the same init")
    check(abs(ours.inertia_ - sk.inertia_) <= 1e-5 * sk.inertia_, "inertia = scikit-learn's")
    sw = rng.gamma(1.0, 3.0, len(X))
    sw[::7] = 0.0
    ours = strata.KMeans(4, init=init, scale="none", tol=0).fit(X, sample_weight=sw)
    sk = SKKMeans(4, init=init, n_init=1, tol=0, algorithm="lloyd").fit(
        X.astype(np.float64), sample_weight=sw.astype(np.float32).astype(np.float64))
    check(same(ours.labels_, sk.labels_.astype(np.int32)), "sample_weight: labels = scikit-learn's from the same init")
    check(np.allclose(ours.cluster_centers_, sk.cluster_centers_, rtol=1e-9, atol=1e-9),
          "sample_weight: centroids = scikit-learn's from the same init")
    check(abs(ours.inertia_ - sk.inertia_) <= 1e-9 * sk.inertia_, "sample_weight: inertia = scikit-learn's (weighted)")
except ImportError:
    print("scikit-learn missing")
    FAILED.append("scikit-learn")

# ------------------------------------------------------------------ check_estimator
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

EXPECTED_FAILED = {
    # As scikit-learn's own KMeans (its tags mark it): weights and repeated
    # rows give the same Lloyd fixed point from the same centres (tests/
    # weights_sklearn.py checks that), but k-means++ draws from n rows with
    # weights or from the repeated rows differently.
    "check_sample_weight_equivalence_on_dense_data": "sample_weight is not equivalent to repeating rows for the "
                                                     "k-means++ draws",
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    results = check_estimator(strata.KMeans(n_clusters=3, random_state=0, n_threads=1),
                              expected_failed_checks=EXPECTED_FAILED, on_fail=None)
bad = [r for r in results if r["status"] == "failed"]
for r in bad:
    print("check_estimator:", r["check_name"], str(r["exception"])[:300])
check(not bad, "check_estimator: every check passes but the expected failures")
passed = sorted(r["check_name"] for r in results if r["status"] == "passed")
print("check_estimator: %d passed, %d expected to fail, %d skipped" % (
    len(passed), sum(r["status"] == "xfail" for r in results), sum(r["status"] == "skipped" for r in results)))
check(len(passed) >= 50, "check_estimator: at least 50 checks ran and passed", str(len(passed)))

# ------------------------------------------------------------------ errors
X = np.asarray(rng.normal(size=(100, 3)), np.float32)


def raises(exc, fn, what, status=None, text=None):
    try:
        fn()
    except exc as e:
        ok = (status is None or getattr(e, "status_name", None) == status) and \
             (text is None or text in str(e)) and "\n" not in str(e)
        check(ok, what, "%r status=%s" % (e, getattr(e, "status_name", None)))
        return e
    except Exception as e:  # noqa: BLE001
        check(False, what, "raised %r" % e)
        return None
    check(False, what, "raised nothing")


e = raises(strata.StrataError, lambda: strata.KMeans(2, backend="no-such-backend").fit(X), "unknown backend",
           "STRATA_ERR_USAGE")
check(e is not None and e.exit_code == 2 and isinstance(e, ValueError), "a usage error is exit code 2, ValueError")
raises(strata.StrataError, lambda: strata.open_model("%s/missing.h5" % T), "missing model file",
       "STRATA_ERR_NOT_FOUND", "missing.h5")
raises(strata.StrataError, lambda: strata.fit_h5(h5, 2, features=["nope"]), "unknown column", "STRATA_ERR_COLUMN",
       "nope")
raises(strata.StrataError, lambda: strata.fit_h5(h5, 2, model_path="/proc/no/such/dir/m.h5"), "unwritable model",
       text="m.h5")
raises(strata.StrataError, lambda: strata.KMeans(2, scale="bogus").fit(X), "unknown scale", "STRATA_ERR_USAGE")
raises(strata.StrataError, lambda: strata.KMeans(2, missing="drop").fit(np.full((50, 3), np.nan, np.float32)),
       "every row dropped")
raises(ValueError, lambda: strata.KMeans(2).fit(np.where(X > 1, np.nan, X)), "NaN with missing='error'", text="NaN")
raises(ValueError, lambda: strata.KMeans(200).fit(X), "k above n")
raises(ValueError, lambda: strata.KMeans(2).fit(X, sample_weight=-np.arange(100.0)), "negative weights",
       text="sample_weight")
km = strata.KMeans(2, random_state=0).fit(X, sample_weight=np.full(100, 3.0))
check(same(km.labels_, strata.KMeans(2, random_state=0).fit(X).labels_), "uniform weights = no weights")
raises(ValueError, lambda: km.predict(X[:, :2]), "wrong feature count", text="features")
raises(strata.StrataError, lambda: km.model_.assign(h5, "%s/x.h5" % T), "assign on other features",
       "STRATA_ERR_COLUMN")
check(not os.path.exists("%s/x.h5" % T), "a failed assign leaves no output")
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    strata.KMeans(2, scale="zscore", random_state=0).fit(np.c_[X, np.ones(100, np.float32)])
    check(any(issubclass(x.category, strata.StrataWarning) and "constant" in str(x.message) for x in w),
          "libstrata warnings become StrataWarning")
p = pickle.loads(pickle.dumps(km))
check(same(p.predict(X), km.predict(X)) and same(p.cluster_centers_, km.cluster_centers_), "pickle round trip")
# missing values through the engine's rule
Xm = X.copy()
Xm[::7, 1] = np.nan
kmm = strata.KMeans(3, missing="drop", random_state=1).fit(Xm)
check(np.all(kmm.labels_[::7] == -1) and np.all(kmm.labels_[1::7] >= 0), "missing='drop' labels -1")

# ------------------------------------------------------------------ DataFrames and copies
import pandas as pd  # noqa: E402

df = pd.DataFrame(rng.normal(size=(300, 3)) * [1, 10, 100], columns=["age", "income", "spend"])
km = strata.KMeans(3, random_state=4, scale="zscore").fit(df)
check(list(km.feature_names_in_) == ["age", "income", "spend"] and km.n_features_in_ == 3, "feature_names_in_")
check(km.model_.info["features"] == ["age", "income", "spend"], "the model keeps the DataFrame's names")
check(same(km.labels_, strata.KMeans(3, random_state=4, scale="zscore").fit(df.to_numpy()).labels_),
      "DataFrame = its array")
raises(ValueError, lambda: km.predict(df[["income", "age", "spend"]]), "reordered DataFrame columns", text="names")
write_h5("%s/df.h5" % T, df.to_numpy(), list(df.columns))
km.model_.save("%s/df_model.h5" % T)
prof = strata.open_model("%s/df_model.h5" % T).profile("%s/df.h5" % T)
cli("profile", "%s/df_model.h5" % T, "%s/df.h5" % T)
check(isinstance(prof, pd.DataFrame) and set(prof["feature"]) == {"age", "income", "spend"} and
      len(prof) == 4 * 3, "profile is a DataFrame (segments and the population)")
sizes = prof[prof.feature == "age"].set_index("segment")["size"]
check(sizes[-1] == 300 and list(sizes.drop(-1)) == list(np.bincount(km.labels_, minlength=3)),
      "profile sizes = the labels' counts")
pop = prof[prof.segment == -1].set_index("feature")
check(np.allclose(pop.loc["income", "mean"], df.income.astype(np.float32).astype(np.float64).mean(), rtol=1e-9),
      "profile population mean = pandas'")

# no hidden copy in the package: the array is handed to libstrata as a
# borrowed view (tracemalloc sees NumPy's allocations, not the engine's own
# in-core scaled matrix, which the command keeps the same way)
for arr, tag in ((np.asarray(rng.normal(size=(100000, 16)), np.float32), "float32 C"),
                 (np.asfortranarray(rng.normal(size=(50000, 16))), "float64 F")):
    tracemalloc.start()
    strata.KMeans(4, random_state=0, max_iter=5, n_threads=2).fit(arr)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    check(peak < arr.nbytes / 2, "the package does not copy a %s array" % tag, "peak %d of %d bytes" % (peak, arr.nbytes))

# Ctrl-C cancels a long call (strata_ctx_cancel) and leaves no output
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

big = np.asarray(rng.normal(size=(200000, 8)), np.float32)
write_h5("%s/big.h5" % T, big, ["b%d" % j for j in range(8)])
for what, fn in (("strata.KMeans.fit", lambda: strata.KMeans(64, random_state=0, tol=0, n_init=100).fit(big)),
                 ("fit_h5", lambda: strata.fit_h5("%s/big.h5" % T, 64, tol=0, n_init=100,
                                                  model_path="%s/big_model.h5" % T))):
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    try:
        fn()
        check(False, "Ctrl-C cancels " + what, "the call ended first")
    except KeyboardInterrupt:
        check(time.perf_counter() - t0 < 20, "Ctrl-C cancels " + what, "%.1f s" % (time.perf_counter() - t0))
    timer.cancel()
check(not os.path.exists("%s/big_model.h5" % T), "a cancelled fit_h5 leaves no model")

# without scikit-learn and pandas: the minimal base classes, profile as dicts
code = """
import sys
sys.modules['sklearn'] = None
sys.modules['pandas'] = None
import numpy as np, strata
km = strata.KMeans(3, random_state=0)
assert km.get_params()['n_clusters'] == 3 and km.set_params(n_clusters=2).n_clusters == 2
try:
    km.set_params(bogus=1)
    raise SystemExit('set_params took an unknown parameter')
except ValueError:
    pass
X = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
assert km.fit_predict(X).shape == (100,) and km.fit_transform(X).shape == (100, 2)
prof = strata.open_model(sys.argv[1]).profile(sys.argv[2])
assert isinstance(prof, list) and prof[0]['segment'] == -1 and prof[0]['size'] == 300
print('ok')
"""
r = subprocess.run([sys.executable, "-c", code, "%s/df_model.h5" % T, "%s/df.h5" % T], capture_output=True,
                   text=True)
check(r.returncode == 0 and r.stdout.strip() == "ok", "works without scikit-learn and pandas", r.stderr[-500:])

print("python_kmeans: %d passed, %d failed" % (PASSED[0], len(FAILED)))
sys.exit(1 if FAILED else 0)

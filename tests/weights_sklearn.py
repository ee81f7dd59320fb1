#!/usr/bin/env python3
"""Cross-check `strata fit --weights COLUMN` against scikit-learn's KMeans
with sample_weight from the same initial centroids (--init FILE), and against
the table with each row repeated as many times as its (integer) weight.

Checks: the weighted inertia within 1e-9 relative and the centroids within
1e-6 (float32 data, float64 sums on both sides), the labels equal but for
near-ties (at most 0.01% of rows), the iteration count within 1, `strata
profile`'s segment weights the sums of their rows' weights; the z-score
scaler's shift and factor equal the weighted mean and standard deviation
(numpy's average) within 1e-9 relative; integer weights give the fit of the
repeated rows; k = 1 gives the weighted mean; an empty cluster is re-seeded
as scikit-learn does.  `strata sweep --weights`: each k's inertia and
iterations those of `strata fit --weights --refine none`, Calinski-Harabasz
and Davies-Bouldin those of scikit-learn on the rows repeated by their
integer weights, the silhouette (sample = every row) the weighted
definition computed here.  `--algorithm gmm --weights`:
integer weights give the mixture of the repeated rows (every covariance
type, same initial means) and scikit-learn's GaussianMixture on them.
`--algorithm ward --weights`: scipy's linkage on the repeated rows (merge
heights, sizes, the cut at k), rows of weight 0 placed by the nearest
segment mean; the two-step mode with a micro-cluster per row of weight
gives the exact weighted merges and partition.  Bad weights (negative, NaN, all zero) exit 2 naming
the problem and leave no output.

Prints one line per check and closes with `weights_sklearn: N passed, N
failed`; exits 1 when a check failed or none ran.
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
from sklearn.cluster import KMeans

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def write_table(path, X, w, names=None):
    names = names or [f"x{j:02d}" for j in range(X.shape[1])]
    with h5py.File(path, "w") as f:
        for j, n in enumerate(names):
            f[n] = X[:, j].astype(np.float32)
        if w is not None:
            f["value"] = w.astype(np.float32)
    return names


def write_init(path, C, names):
    np.savetxt(path, C, delimiter=",", header=",".join(names), comments="")


def fit(args, tmp, data, extra, tag):
    model = os.path.join(tmp, tag + "_model.h5")
    labels = os.path.join(tmp, tag + "_labels.h5")
    cmd = [args.strata, "fit", data, "-o", model, "--labels", labels, "--json", "-q"] + extra
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        return None
    j = json.loads(r.stdout)
    with h5py.File(model) as f:
        j["_C"] = f["centroids_original"][:]
        j["_shift"] = f["scaler/shift"][:] if "scaler/shift" in f else None
        j["_factor"] = f["scaler/factor"][:] if "scaler/factor" in f else None
    with h5py.File(labels) as f:
        j["_seg"] = f["segment"][:]
    return j


def blobs(rng, n, d, centres, spread=1.0):
    X = np.concatenate([rng.normal(c, spread, (n // len(centres) + 1, d)) for c in centres])[:n]
    rng.shuffle(X)
    return X.astype(np.float32)


def same_as_sklearn(args, tmp, name, X, w, k, scale):
    rng = np.random.default_rng(7)
    data = os.path.join(tmp, name + ".h5")
    names = write_table(data, X, w)
    init = X[rng.choice(len(X), k, replace=False)].astype(np.float64)
    init_csv = os.path.join(tmp, name + "_init.csv")
    write_init(init_csv, init, names)
    j = fit(args, tmp, data, ["-k", str(k), "--weights", "value", "--scale", scale, "--init", init_csv,
                              "--tol", "0", "--max-iter", "300"], name)
    check(j is not None and j.get("weight_column") == "value", f"{name}: fit runs and names the weight column")
    if j is None:
        return
    Xs, ws = X.astype(np.float64), w.astype(np.float32).astype(np.float64)
    if scale == "zscore":
        mean = np.average(Xs, axis=0, weights=ws)
        std = np.sqrt(np.average((Xs - mean) ** 2, axis=0, weights=ws))
        check(np.allclose(j["_shift"], mean, rtol=1e-9, atol=0) and np.allclose(j["_factor"], std, rtol=1e-9, atol=0),
              f"{name}: z-score shift and factor are the weighted mean and std (1e-9)")
        # Strata clusters the scaled values rounded to float32.
        Xs = ((Xs - j["_shift"]) / j["_factor"]).astype(np.float32).astype(np.float64)
        init = (init - j["_shift"]) / j["_factor"]
    km = KMeans(k, init=init, n_init=1, tol=0, max_iter=300, algorithm="lloyd").fit(Xs, sample_weight=ws)
    rel = abs(j["inertia"] - km.inertia_) / km.inertia_
    check(rel < 1e-9, f"{name}: weighted inertia {j['inertia']:.12g} vs scikit-learn {km.inertia_:.12g} (rel {rel:.1e})")
    C = j["_C"]
    if scale == "zscore":
        C = (C - j["_shift"]) / j["_factor"]
    err = np.abs(C - km.cluster_centers_).max()
    check(err < 1e-6, f"{name}: centroids within 1e-6 of scikit-learn's (max {err:.1e})")
    diff = np.mean(j["_seg"] != km.labels_)
    check(diff <= 1e-4, f"{name}: labels equal scikit-learn's ({diff:.4%} differ)")
    check(abs(j["iterations"] - km.n_iter_) <= 1, f"{name}: iterations {j['iterations']} vs {km.n_iter_}")
    # strata profile takes the model's weight column from the data: each
    # segment's weight is the sum of its rows' weights.
    r = subprocess.run([args.strata, "profile", os.path.join(tmp, name + "_model.h5"), data, "--json"],
                       capture_output=True, text=True)
    prof = json.loads(r.stdout) if r.returncode == 0 else {}
    want = np.array([ws[j["_seg"] == c].sum() for c in range(k)])
    got = np.array([s.get("weight", np.nan) for s in prof.get("segments", [])])
    check(prof.get("weight_column") == "value" and got.shape == want.shape and np.allclose(got, want, rtol=1e-12) and
          abs(sum(s["weight_share"] for s in prof["segments"]) - 1) < 1e-12,
          f"{name}: profile's segment weights are the sums of their rows' weights")
    html = os.path.join(tmp, name + ".html")
    r = subprocess.run([args.strata, "report", os.path.join(tmp, name + "_model.h5"), data, "-o", html, "-q"],
                       capture_output=True, text=True)
    check(r.returncode == 0 and "<th>Share of value</th>" in open(html).read(),
          f"{name}: the report's segment table gives each segment's share of the weight")


def repeated_rows(args, tmp):
    rng = np.random.default_rng(11)
    X = blobs(rng, 3001, 5, [0, 4, 9])
    w = rng.integers(0, 4, len(X)).astype(np.float32)
    names = write_table(os.path.join(tmp, "rep_w.h5"), X, w)
    write_table(os.path.join(tmp, "rep_x.h5"), np.repeat(X, w.astype(int), axis=0), None, names)
    init = X[[5, 900, 2000]].astype(np.float64)
    write_init(os.path.join(tmp, "rep_init.csv"), init, names)
    common = ["-k", "3", "--scale", "zscore", "--init", os.path.join(tmp, "rep_init.csv"), "--tol", "0"]
    a = fit(args, tmp, os.path.join(tmp, "rep_w.h5"), common + ["--weights", "value"], "rep_w")
    b = fit(args, tmp, os.path.join(tmp, "rep_x.h5"), common, "rep_x")
    ok = a is not None and b is not None
    check(ok and np.allclose(a["_shift"], b["_shift"], rtol=1e-9) and np.allclose(a["_factor"], b["_factor"], rtol=1e-9),
          "integer weights: the scaler of the repeated rows")
    check(ok and np.allclose(a["_C"], b["_C"], rtol=1e-9, atol=1e-9) and abs(a["inertia"] - b["inertia"]) <= 1e-9 * b["inertia"],
          "integer weights: the centroids and inertia of the repeated rows")


def k_one(args, tmp):
    rng = np.random.default_rng(3)
    X = blobs(rng, 1234, 7, [0, 3])
    w = rng.gamma(1.5, 10.0, len(X)).astype(np.float32)
    data = os.path.join(tmp, "k1.h5")
    write_table(data, X, w)
    j = fit(args, tmp, data, ["-k", "1", "--weights", "value", "--scale", "none"], "k1")
    mean = np.average(X.astype(np.float64), axis=0, weights=w.astype(np.float64))
    check(j is not None and np.allclose(j["_C"][0], mean, rtol=1e-12, atol=1e-12), "k = 1: the centroid is the weighted mean")


def weighted_silhouette(X, lab, w):
    """metrics.h's definition: a(i), b(i) weight-averaged over the other
    rows, s(i) averaged with the weights; a row alone (by weight) scores 0."""
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    ks = np.unique(lab)
    M = np.stack([(lab == c) * w for c in ks], axis=1)          # n x K weights by cluster
    S = D @ M                                                    # n x K weighted sums
    own = np.searchsorted(ks, lab)
    mass = np.tile(M.sum(axis=0), (len(X), 1))
    mass[np.arange(len(X)), own] -= w
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = S / mass
    a = mean[np.arange(len(X)), own]
    other = np.where((np.arange(len(ks))[None, :] != own[:, None]) & (mass > 0), mean, np.inf)
    b = other.min(axis=1)
    s = np.where((mass[np.arange(len(X)), own] > 0) & np.isfinite(b), (b - a) / np.maximum(a, b), 0.0)
    return float((w * s).sum() / w.sum())


def sweep_weighted(args, tmp):
    rng = np.random.default_rng(13)
    X = blobs(rng, 1501, 3, [0, 4, 8])
    w = rng.integers(0, 4, len(X)).astype(np.float32)
    data = os.path.join(tmp, "sweep_w.h5")
    write_table(data, X, w)
    common = ["--scale", "zscore", "--seed", "5"]
    r = subprocess.run([args.strata, "sweep", data, "-k", "1:5", "--weights", "value", "--json",
                        "--silhouette-sample", "1000000"] + common, capture_output=True, text=True)
    check(r.returncode == 0, f"sweep --weights runs ({r.stderr.strip()})")
    if r.returncode != 0:
        return
    sw = json.loads(r.stdout)
    check(sw.get("weight_column") == "value" and "value" not in sw["features"],
          "sweep --weights: JSON names the weight column, which is no feature")
    rep = w.astype(int)
    for it in sw["results"]:
        k = it["k"]
        j = fit(args, tmp, data, ["-k", str(k), "--weights", "value", "--refine", "none"] + common, f"sweep_w{k}")
        if j is None:
            check(False, f"sweep k={k}: fit --weights runs")
            continue
        check(j["inertia"] == it["inertia"] and j["iterations"] == it["iterations"],
              f"sweep k={k}: inertia and iterations equal fit --weights --refine none "
              f"({it['inertia']!r}/{it['iterations']} vs {j['inertia']!r}/{j['iterations']})")
        Xs = ((X.astype(np.float64) - j["_shift"]) / j["_factor"]).astype(np.float32).astype(np.float64)
        lab = j["_seg"]
        if len(np.unique(lab[w > 0])) < 2:
            check(it["silhouette"] is None and it["calinski_harabasz"] is None, f"sweep k={k}: metrics null")
            continue
        from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
        Xr, lr = np.repeat(Xs, rep, axis=0), np.repeat(lab, rep)
        for name, want in [("calinski_harabasz", calinski_harabasz_score(Xr, lr)),
                           ("davies_bouldin", davies_bouldin_score(Xr, lr)),
                           ("silhouette", weighted_silhouette(Xs, lab, w.astype(np.float64)))]:
            got = it[name]
            check(got is not None and abs(got - want) <= 1e-6 * abs(want),
                  f"sweep k={k}: weighted {name} {got} vs {want} (rows repeated / the definition)")
    unweighted = json.loads(subprocess.run([args.strata, "sweep", data, "-k", "2:4", "--json", "--exclude", "value"]
                                           + common, capture_output=True, text=True, check=True).stdout)
    check(unweighted.get("weight_column", "absent") is None and
          [i["inertia"] for i in unweighted["results"]] != [i["inertia"] for i in sw["results"][1:4]],
          "sweep without --weights: weight_column null, other inertias")
    r = subprocess.run([args.strata, "sweep", data, "-k", "2:4", "--weights", "value", "--algorithm", "kmeans,gmm",
                        "--json"] + common, capture_output=True, text=True)
    cmp = json.loads(r.stdout) if r.returncode == 0 else {}
    gm = [i for i in cmp.get("comparison", []) if i.get("algorithm") == "gmm"]
    check(r.returncode == 0 and sorted(cmp.get("algorithms", [])) == ["gmm", "kmeans"] and
          cmp.get("weight_column") == "value" and len(gm) == 3 and all(i["bic"] is not None for i in gm),
          f"sweep --weights --algorithm kmeans,gmm compares both, weighted ({r.stderr.strip()[:200]})")
    # Ward in a weighted sweep (exact: `strata sweep` has no --ward-mode):
    # each k is `fit --algorithm ward --weights` to the bit, and its metrics
    # are the weighted ones (the fit leaves the segments' weights and
    # weighted distances, which Ward's model does not keep).
    ward_in_weighted_sweep(args, tmp, data, X, w, rep, common, "exact")


def ward_in_weighted_sweep(args, tmp, data, X, w, rep, common, mode):
    r = subprocess.run([args.strata, "sweep", data, "-k", "2:4", "--weights", "value", "--algorithm", "kmeans,ward",
                        "--json", "--silhouette-sample", "1000000"] + common, capture_output=True, text=True)
    cmp = json.loads(r.stdout) if r.returncode == 0 else {}
    wd = [i for i in cmp.get("comparison", []) if i.get("algorithm") == "ward"]
    check(r.returncode == 0 and len(wd) == 3 and cmp.get("weight_column") == "value",
          f"sweep --weights --algorithm kmeans,ward ({mode}) compares both ({r.stderr.strip()[:200]})")
    for it in wd:
        k = it["k"]
        j = fit(args, tmp, data, ["-k", str(k), "--algorithm", "ward", "--weights", "value"] + common,
                f"sweep_wd{mode}{k}")
        if j is None:
            check(False, f"sweep ward ({mode}) k={k}: fit --algorithm ward --weights runs")
            continue
        check(j["inertia"] == it["inertia"], f"sweep ward ({mode}) k={k}: inertia equals fit's ({it['inertia']!r} vs {j['inertia']!r})")
        Xs = ((X.astype(np.float64) - j["_shift"]) / j["_factor"]).astype(np.float32).astype(np.float64)
        lab = j["_seg"]
        from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
        Xr, lr = np.repeat(Xs, rep, axis=0), np.repeat(lab, rep)
        # The silhouette is of the rows' nearest centroid (what assign gives
        # them), as in an unweighted sweep (sweep_methods_sklearn).
        W = w.astype(np.float64)
        cent = np.array([(W[lab == c, None] * Xs[lab == c]).sum(axis=0) / W[lab == c].sum() for c in range(k)])
        near = np.argmin(((Xs[:, None, :] - cent[None, :, :]) ** 2).sum(axis=2), axis=1)
        for name, want in [("calinski_harabasz", calinski_harabasz_score(Xr, lr)),
                           ("davies_bouldin", davies_bouldin_score(Xr, lr)),
                           ("silhouette", weighted_silhouette(Xs, near, W))]:
            got = it[name]
            check(got is not None and abs(got - want) <= 1e-6 * abs(want),
                  f"sweep ward ({mode}) k={k}: weighted {name} {got} vs {want} (rows repeated / the definition)")


def ward_weighted(args, tmp):
    """Exact Ward with row weights: with integer weights, the merges of
    scipy's linkage on the rows repeated (once the copies have joined at
    height 0) and its partition; rows of weight 0 join the nearest
    segment's weighted mean; the two-step mode refuses weights."""
    from scipy.cluster.hierarchy import fcluster, linkage
    rng = np.random.default_rng(19)
    X = blobs(rng, 301, 3, [0, 3, 6, 9], 0.8)
    w = rng.integers(0, 4, len(X)).astype(np.float32)
    data = os.path.join(tmp, "ward_w.h5")
    write_table(data, X, w)
    j = fit(args, tmp, data, ["-k", "4", "--algorithm", "ward", "--weights", "value", "--scale", "none"], "ward_w")
    if j is None:
        check(False, "ward --weights runs")
        return
    with h5py.File(os.path.join(tmp, "ward_w_model.h5")) as f:
        L = f["ward/linkage"][:]
    # The model names its weight column (Ward's models left it out before).
    check(j.get("weight_column") == "value", f"ward --weights: the model's weight_column ({j.get('weight_column')!r})")
    pos = w > 0
    Xp, rep = X[pos].astype(np.float64), w[pos].astype(int)
    Z = linkage(np.repeat(Xp, rep, axis=0), method="ward")
    zero = int((rep - 1).sum())
    hz = np.sort(Z[:, 2])
    check(len(L) == pos.sum() - 1 and np.all(hz[:zero] == 0) and np.allclose(np.sort(L[:, 2]), hz[zero:], rtol=1e-9, atol=0),
          f"ward --weights: the merge heights of scipy's linkage on the rows repeated ({len(L)} merges)")
    # scipy's rows are sorted by height: the copies' joins come first
    check(np.all(Z[:zero, 2] == 0) and np.allclose(np.sort(L[:, 3]), np.sort(Z[zero:, 3]), rtol=0, atol=1e-9),
          "ward --weights: each merge's size is its rows' total weight")
    cut = fcluster(Z, 4, criterion="maxclust")
    first = np.concatenate([[0], np.cumsum(rep)[:-1]])
    sk = cut[first]
    seg = j["_seg"]
    pairs = set(zip(seg[pos].tolist(), sk.tolist()))
    check(len(pairs) == 4 and len({a for a, _ in pairs}) == 4, "ward --weights: the partition of scipy's cut at k = 4")
    C = np.array([np.average(Xp[seg[pos] == c], axis=0, weights=rep[seg[pos] == c]) for c in range(4)])
    near = ((X[~pos][:, None, :] - C[None]) ** 2).sum(axis=2).argmin(axis=1)
    check(np.array_equal(seg[~pos], near), "ward --weights: rows of weight 0 join the nearest segment's weighted mean")
    inertia = sum(float((rep[seg[pos] == c] * ((Xp[seg[pos] == c] - C[c]) ** 2).sum(axis=1)).sum()) for c in range(4))
    check(abs(j["inertia"] - inertia) <= 1e-9 * inertia, f"ward --weights: weighted inertia {j['inertia']} vs {inertia}")
    # The two-step mode with one micro-cluster per row of positive weight
    # (weighted k-means++ takes each of them): exact weighted Ward again.
    t = fit(args, tmp, data, ["-k", "4", "--algorithm", "ward", "--ward-mode", "twostep", "--weights", "value",
                              "--scale", "none", "--micro-clusters", str(int(pos.sum()))], "ward_2s")
    if t is None:
        check(False, "ward --ward-mode twostep --weights runs")
        return
    with h5py.File(os.path.join(tmp, "ward_2s_model.h5")) as f:
        L2 = f["ward/linkage"][:]
    check(len(L2) == len(L) and np.allclose(np.sort(L2[:, 2]), np.sort(L[:, 2]), rtol=1e-9, atol=0) and
          np.allclose(np.sort(L2[:, 3]), np.sort(L[:, 3]), rtol=1e-12, atol=0),
          "ward twostep --weights, a micro-cluster per row of weight: the exact weighted merges")
    # segments are numbered by their first micro-cluster there, by their first row here
    perm = dict(zip(t["_seg"][pos].tolist(), seg[pos].tolist()))
    same = len(perm) == 4 and len(set(perm.values())) == 4
    check(same and abs(t["inertia"] - j["inertia"]) <= 1e-9 * j["inertia"] and
          all(np.allclose(t["_C"][a], j["_C"][b], rtol=0, atol=1e-9) for a, b in perm.items()),
          "ward twostep --weights: the exact partition (rows of weight), centroids and weighted inertia")


def gmm_weighted(args, tmp):
    """A weighted mixture (--algorithm gmm --weights): with integer weights
    the mixture of the rows repeated, from the same initial means, for
    each covariance type; and scikit-learn's GaussianMixture on those
    repeated rows from the same initial parameters."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gmm_sklearn import REG, TOL, MAX_ITER, sklearn_init
    from sklearn.mixture import GaussianMixture
    rng = np.random.default_rng(17)
    X = blobs(rng, 2003, 3, [0, 3, 7], 1.2)
    X[:, 1] *= 5.0
    w = rng.integers(0, 4, len(X)).astype(np.float32)
    rep = w.astype(int)
    names = write_table(os.path.join(tmp, "gmm_w.h5"), X, w)
    write_table(os.path.join(tmp, "gmm_x.h5"), np.repeat(X, rep, axis=0), None, names)
    init = X[[3, 700, 1500, 1900]].astype(np.float64)
    write_init(os.path.join(tmp, "gmm_init.csv"), init, names)
    k = len(init)
    for ctype in ["full", "tied", "diag", "spherical"]:
        common = ["-k", str(k), "--algorithm", "gmm", "--covariance-type", ctype, "--scale", "zscore",
                  "--init", os.path.join(tmp, "gmm_init.csv"), "--tol", repr(TOL), "--max-iter", str(MAX_ITER),
                  "--reg-covar", repr(REG)]
        a = fit(args, tmp, os.path.join(tmp, "gmm_w.h5"), common + ["--weights", "value"], "gmm_w_" + ctype)
        b = fit(args, tmp, os.path.join(tmp, "gmm_x.h5"), common, "gmm_x_" + ctype)
        if a is None or b is None:
            check(False, f"gmm {ctype}: weighted and repeated fits run")
            continue
        ga, gb = a["gmm"], b["gmm"]
        same = (a["iterations"] == b["iterations"] and
                all(abs(ga[f] - gb[f]) <= 1e-9 * abs(gb[f]) for f in ("log_likelihood", "bic", "aic")) and
                np.allclose(ga["weights"], gb["weights"], rtol=0, atol=1e-9) and
                np.allclose(a["centroids_scaled"], b["centroids_scaled"], rtol=0, atol=1e-8) and
                abs(a["inertia"] - b["inertia"]) <= 1e-9 * b["inertia"])
        check(same, f"gmm {ctype}: integer weights give the mixture of the repeated rows "
                    f"(log-likelihood {ga['log_likelihood']!r} vs {gb['log_likelihood']!r}, "
                    f"{a['iterations']} vs {b['iterations']} iterations)")
        Xs = ((np.repeat(X, rep, axis=0).astype(np.float64) - a["_shift"]) / a["_factor"]).astype(np.float32)
        w0, m0, p0 = sklearn_init(Xs, (init - a["_shift"]) / a["_factor"], k, ctype)
        gm = GaussianMixture(k, covariance_type=ctype, tol=TOL, reg_covar=REG, max_iter=MAX_ITER, n_init=1,
                             weights_init=w0, means_init=m0, precisions_init=p0).fit(Xs.astype(np.float64))
        score = gm.score(Xs.astype(np.float64))
        check(abs(ga["log_likelihood"] - score) <= 1e-6 * abs(score),
              f"gmm {ctype}: weighted log-likelihood {ga['log_likelihood']:.12g} vs scikit-learn on the repeated "
              f"rows {score:.12g}")
    # Weighted seeding (k-means++ by weight) runs and zero-weight rows do not move the model.
    W = w.copy()
    far = rng.choice(len(X), 50, replace=False)
    Xf = X.copy()
    Xf[far] += 1e3
    W[far] = 0
    write_table(os.path.join(tmp, "gmm_far.h5"), Xf, W)
    a = fit(args, tmp, os.path.join(tmp, "gmm_far.h5"), ["-k", "3", "--algorithm", "gmm", "--weights", "value",
                                                          "--scale", "none", "--seed", "3"], "gmm_far")
    check(a is not None and np.abs(np.asarray(a["_C"])).max() < 100,
          "gmm: k-means++ seeding by weight never seeds at rows of weight 0, nor do they pull a mean")


def bad_weights(args, tmp):
    rng = np.random.default_rng(5)
    X = blobs(rng, 5000, 3, [0, 5])
    for name, fill, want in [("negative", -1.0, "a negative value at row 4321"),
                             ("nan", np.nan, "a missing value (NaN) at row 4321"),
                             ("zero", None, "total weight of 0")]:
        w = np.ones(len(X), np.float32)
        if fill is None:
            w[:] = 0
        else:
            w[4321] = fill
        data = os.path.join(tmp, f"bad_{name}.h5")
        write_table(data, X, w)
        out = os.path.join(tmp, f"bad_{name}_model.h5")
        r = subprocess.run([args.strata, "fit", data, "-k", "2", "--weights", "value", "-o", out],
                           capture_output=True, text=True)
        check(r.returncode == 2 and want in r.stderr and r.stderr.count("\n") == 1 and not os.path.exists(out),
              f"weights {name}: exit 2, one line naming it, no model ({r.returncode}: {r.stderr.strip()})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen")
    ap.add_argument("--tmp")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="weights_sklearn_", dir=args.tmp)
    try:
        sweep_weighted(args, tmp)
        gmm_weighted(args, tmp)
        ward_weighted(args, tmp)
        rng = np.random.default_rng(1)
        X = blobs(rng, 5003, 3, [0, 5, 10])
        same_as_sklearn(args, tmp, "blobs_none", X, rng.gamma(2.0, 50.0, len(X)).astype(np.float32), 4, "none")
        X = blobs(rng, 20011, 17, [0, 2, 4, 6, 8, 10], 1.5)
        w = rng.gamma(0.5, 100.0, len(X)).astype(np.float32)
        w[rng.choice(len(X), 500, replace=False)] = 0
        same_as_sklearn(args, tmp, "blobs_zscore", X, w, 9, "zscore")
        # A centre placed far from every row loses all its rows in the first pass.
        X = blobs(rng, 4099, 2, [0, 6])
        w = rng.uniform(0.5, 2.0, len(X)).astype(np.float32)
        data = os.path.join(tmp, "empty.h5")
        names = write_table(data, X, w)
        init = np.array([X[0], X[1], [1e3, 1e3]], np.float64)
        write_init(os.path.join(tmp, "empty_init.csv"), init, names)
        j = fit(args, tmp, data, ["-k", "3", "--weights", "value", "--scale", "none", "--init",
                                  os.path.join(tmp, "empty_init.csv"), "--tol", "0"], "empty")
        km = KMeans(3, init=init, n_init=1, tol=0, algorithm="lloyd").fit(X.astype(np.float64), sample_weight=w.astype(np.float64))
        check(j is not None and abs(j["inertia"] - km.inertia_) <= 1e-9 * km.inertia_ and
              np.abs(j["_C"] - km.cluster_centers_).max() < 1e-6,
              "an empty cluster is re-seeded as scikit-learn does (inertia, centroids)")
        repeated_rows(args, tmp)
        # Seeding from every row with weights (k-means||: phi, the draws and the cells weighted) and
        # weighted k-means++ on the init sample both reach scikit-learn's best of 10 weighted restarts.
        rng2 = np.random.default_rng(21)
        Xq = blobs(rng2, 30011, 4, [0, 8, 16, 24, 32, 40, 48, 56])
        wq = rng2.gamma(1.0, 5.0, len(Xq)).astype(np.float32)
        # Far rows of weight 0: a seeding that ignored the weights would spend a centre on them.
        Xq[::100] = 1000.0
        wq[::100] = 0.0
        dq = os.path.join(tmp, "kpar.h5")
        write_table(dq, Xq, wq)
        sk = KMeans(8, n_init=10, random_state=0).fit(Xq.astype(np.float64), sample_weight=wq.astype(np.float64))
        # The swap refinement on the weighted init sample (weighted draws, removal costs and means): on by
        # default, and never above plain Lloyd from the same seeding.
        jr = [fit(args, tmp, dq, ["-k", "8", "--weights", "value", "--scale", "none", "--seed", "3"] + extra, "refine")
              for extra in ([], ["--refine", "none"])]
        check(all(jr) and jr[0]["refine"] == "swap" and jr[0]["refine_trials"] > 0 and jr[1]["refine"] == "none" and
              jr[0]["inertia"] <= jr[1]["inertia"],
              "weights: the swap refinement runs by default and never ends above plain Lloyd")
        for init in ("k-means||", "k-means++"):
            jq = fit(args, tmp, dq, ["-k", "8", "--weights", "value", "--scale", "none", "--init", init], "kpar")
            check(jq is not None and jq["init"] == init and jq["inertia"] <= 1.01 * sk.inertia_,
                  f"--init {init} with weights: inertia {jq and jq['inertia']:.6g} within 1% of scikit-learn's "
                  f"best of 10 ({sk.inertia_:.6g})")
        # stability refits the weighted model on resamples of the sample (with their weights): its
        # reference clustering of the whole sample is the weighted fit's.
        r = subprocess.run([args.strata, "stability", data, "-k", "3", "--weights", "value", "--runs", "3",
                            "--json", "-q"], capture_output=True, text=True)
        st = json.loads(r.stdout) if r.returncode == 0 else {}
        fit3 = fit(args, tmp, data, ["-k", "3", "--weights", "value"], "stab_ref")
        check(st.get("runs") == 3 and fit3 is not None and
              sorted(s["size"] for s in st.get("segments", [])) == sorted(fit3["sizes"]),
              "stability --weights: the reference clustering is the weighted fit's (segment sizes)")
        k_one(args, tmp)
        bad_weights(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"weights_sklearn: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())

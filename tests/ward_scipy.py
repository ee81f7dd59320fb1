#!/usr/bin/env python3
"""Cross-check `strata fit --algorithm ward` against scipy and scikit-learn.

For each case the data go through `strata fit --algorithm ward -k K --labels
L.h5` (or `--distance-threshold T`); the oracle gets the same scaled values
Strata clustered: the file read as float32, scaled with the model's saved
shift and factor exactly as core/scaler.c does (float64 arithmetic rounded to
float32), incomplete rows dropped under --missing drop.  Then:

  * scipy.cluster.hierarchy.linkage(method='ward'): every merge height within
    1e-9 of the top height; the linkage rows (left, right, size) identical
    where no two heights are within that tolerance (a near tie may be ordered
    either way by rounding); the flat partition fcluster(maxclust=K) (or
    criterion='distance', T) equal to Strata's labels up to renaming;
  * sklearn AgglomerativeClustering(linkage='ward'): sorted merge distances
    and labels the same way;
  * the model: centroids = means of each segment's scaled rows, sizes,
    inertia; `strata assign` gives every row its nearest segment centroid
    (checked against numpy: equal except within float32 rounding of a tie);
  * threads and chunk size do not change a bit of the model's dendrogram.

Two-step mode (`--ward-mode twostep`, core/ward_twostep.h) on tables that fit:

  * the dendrogram over the micro-clusters equals scipy's Ward on the
    micro-clusters' means, each repeated as many times as its size (scipy
    has no weights; n equal points merge at height 0 into one cluster of
    weight n at that point, after which Ward's Lance–Williams update with
    sizes is exactly the weighted Ward of the means): the last m-1 heights
    within 1e-9 of the top, the rest 0, and the cut into K the same
    partition of the micro-clusters;
  * the model: segment sizes the sums of their micro-clusters' sizes and the
    counts of the labels; centroids the weighted means of their
    micro-clusters and the means of their rows; inertia from the rows;
  * the partition is close to exact Ward's: adjusted Rand index at least
    ARI_TWOSTEP (0.9 on separated blobs; on the customers table, whose
    segments overlap, at least ARI_TWOSTEP_OVERLAP = 0.8), and exactly
    exact Ward's when every row is its own micro-cluster;
  * 1 and 2 threads, other chunks and streaming give the same bits;
    `--ward-mode auto` is exact when the rows fit --mem-limit, else twostep.

Prints one line per check and closes with `ward_scipy: N passed, N failed`;
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
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score

HERE = os.path.dirname(os.path.abspath(__file__))
CUSTOMER_FEATURES = ["age", "income", "purchase_frequency", "recency_days",
                     "avg_basket_value", "tenure_months"]

passed = failed = 0
ARI_TWOSTEP = 0.9           # two-step vs exact Ward on well separated blobs
ARI_TWOSTEP_OVERLAP = 0.8   # on the customers table (overlapping segments; measured 0.91)


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok    " + what)
    else:
        failed += 1
        print("FAIL  " + what)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p.stdout


def same_partition(a, b):
    """Equal up to renaming: the pairs (a, b) form a bijection."""
    a = np.asarray(a)
    b = np.asarray(b)
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def read_table(path, features):
    with h5py.File(path, "r") as f:
        if features:
            return np.stack([np.asarray(f[c][...], dtype=np.float32) for c in features], axis=1)
        return np.asarray(f["data"][...], dtype=np.float32)


def scaled_rows(x, model, missing):
    with h5py.File(model, "r") as f:
        shift = np.asarray(f["scaler/shift"][...])
        factor = np.asarray(f["scaler/factor"][...])
        z = np.asarray(f["ward/linkage"][...])
        cen = np.asarray(f["centroids"][...])
        sizes = np.asarray(f["sizes"][...])
        inertia = float(f.attrs["inertia"])
    keep = ~np.isnan(x).any(axis=1) if missing == "drop" else np.ones(len(x), bool)
    xs = ((x[keep].astype(np.float64) - shift) * (1.0 / factor)).astype(np.float32).astype(np.float64)
    return xs, keep, z, cen, sizes, inertia


def labels_of(path):
    with h5py.File(path, "r") as f:
        return np.asarray(f["segment"][...])


def case(a, tmp, name, data, features, k=None, threshold_at=None, extra=()):
    model, labels = os.path.join(tmp, name + ".h5"), os.path.join(tmp, name + "_l.h5")
    x = read_table(data, features)
    missing = "drop" if "drop" in extra else "error"
    base = [a.strata, "fit", data, "--algorithm", "ward", "-o", model, "--labels", labels, "--json"]
    if features:
        base += ["--features", ",".join(features)]
    base += list(extra)
    if threshold_at is None:
        out = json.loads(run(base + ["-k", str(k)]))
        xs, keep, z, cen, sizes, inertia = scaled_rows(x, model, missing)
        ref = linkage(xs, method="ward")
        flat = fcluster(ref, k, criterion="maxclust")
        agg = AgglomerativeClustering(n_clusters=k, linkage="ward", compute_distances=True).fit(xs)
        what = "%s k=%d" % (name, k)
    else:
        # Fit once for the scaler, then cut half-way between two heights.
        run(base + ["-k", "1"])
        xs, keep, z, cen, sizes, inertia = scaled_rows(x, model, missing)
        ref = linkage(xs, method="ward")
        m = len(xs)
        t = 0.5 * (ref[m - threshold_at - 1, 2] + ref[m - threshold_at, 2])
        out = json.loads(run(base + ["--distance-threshold", repr(float(t))]))
        xs, keep, z, cen, sizes, inertia = scaled_rows(x, model, missing)
        flat = fcluster(ref, t, criterion="distance")
        agg = AgglomerativeClustering(n_clusters=None, distance_threshold=t, linkage="ward",
                                      compute_distances=True).fit(xs)
        k = threshold_at
        what = "%s threshold %.6g (k=%d)" % (name, t, k)
    m = len(xs)
    lab = labels_of(labels)
    check(np.all(lab[~keep] == -1) and np.all(lab[keep] >= 0), what + ": dropped rows -1, kept rows labelled")
    lab = lab[keep]
    top = ref[-1, 2]
    err = np.max(np.abs(z[:, 2] - ref[:, 2])) / top if m > 1 else 0.0
    check(z.shape == ref.shape and err <= 1e-9, what + ": scipy heights (max error %.2g of the top)" % err)
    gaps = np.diff(ref[:, 2])
    if m > 2 and np.all(gaps > 1e-9 * top):
        check(np.array_equal(z[:, [0, 1, 3]], ref[:, [0, 1, 3]]), what + ": scipy linkage rows identical")
    aerr = np.max(np.abs(np.sort(agg.distances_) - z[:, 2])) / top
    check(aerr <= 1e-9, what + ": sklearn merge distances (max error %.2g of the top)" % aerr)
    check(out["k"] == k and len(set(lab.tolist())) == k, what + ": %d segments" % out["k"])
    check(same_partition(lab, flat), what + ": partition = scipy fcluster")
    check(same_partition(lab, agg.labels_), what + ": partition = sklearn AgglomerativeClustering")
    means = np.stack([xs[lab == c].mean(axis=0) for c in range(k)])
    check(np.allclose(cen, means, rtol=1e-12, atol=1e-12) and
          np.array_equal(sizes, np.bincount(lab, minlength=k)),
          what + ": centroids and sizes = segment means and counts")
    ine = float(((xs - means[lab]) ** 2).sum())
    check(abs(inertia - ine) <= 1e-9 * max(ine, 1e-300), what + ": inertia %.10g vs %.10g" % (inertia, ine))
    top_json = out["dendrogram"]["top"]
    check(len(top_json) == min(2 * k, m - 1) and top_json[-1]["size"] == m and
          abs(top_json[-1]["height"] - ref[-1, 2]) <= 1e-9 * top, what + ": --json dendrogram top")
    # assign: nearest segment centroid in scaled units
    alab = os.path.join(tmp, name + "_a.h5")
    run([a.strata, "assign", model, data, "--labels", alab])
    al = labels_of(alab)[keep]
    d2 = ((xs[:, None, :] - cen[None, :, :]) ** 2).sum(axis=2)
    best = d2.min(axis=1)
    # float32 rounding may pick either of two centroids at a near tie
    ok = (al == d2.argmin(axis=1)) | (d2[np.arange(m), al] <= best * (1 + 1e-5) + 1e-12)
    check(ok.all(), what + ": assign gives the nearest segment centroid")
    return z


def twostep_case(a, tmp, name, data, features, k, micro, ari_min, extra=()):
    """Two-step Ward vs scipy on the replicated micro-clusters, and vs exact Ward."""
    model, labels = os.path.join(tmp, name + "_ts.h5"), os.path.join(tmp, name + "_ts_l.h5")
    exact_l = os.path.join(tmp, name + "_ex_l.h5")
    base = [a.strata, "fit", data, "--algorithm", "ward", "-k", str(k)]
    if features:
        base += ["--features", ",".join(features)]
    base += list(extra)
    run(base + ["-o", os.path.join(tmp, name + "_ex.h5"), "--labels", exact_l])
    out = json.loads(run(base + ["--ward-mode", "twostep", "--micro-clusters", str(micro), "-o", model,
                                 "--labels", labels, "--json"]))
    x = read_table(data, features)
    missing = "drop" if "drop" in extra else "error"
    xs, keep, z, cen, sizes, inertia = scaled_rows(x, model, missing)
    with h5py.File(model, "r") as f:
        mc = np.asarray(f["ward/micro_centroids"][...])
        mw = np.asarray(f["ward/micro_sizes"][...])
    m = len(mc)
    what = "%s twostep k=%d micro=%d" % (name, k, m)
    check(m == min(micro, len(xs)) and z.shape == (m - 1, 4) and mw.sum() == len(xs),
          what + ": %d micro-clusters covering the %d rows" % (m, len(xs)))
    rep = np.repeat(mc, mw, axis=0)
    ref = linkage(rep, method="ward")
    top = ref[-1, 2]
    n0 = len(rep) - m
    err = np.max(np.abs(ref[n0:, 2] - z[:, 2])) / top
    check(err <= 1e-9 and np.all(ref[:n0, 2] <= 1e-9 * top),
          what + ": heights = scipy's Ward on the replicated micro-clusters (max error %.2g of the top)" % err)
    owner = np.repeat(np.arange(m), mw)
    cut_ref = fcluster(ref, k, criterion="maxclust")
    first = np.concatenate([[0], np.cumsum(mw)[:-1]])
    # scipy's fcluster wants leaf counts in the size column; the weighted
    # linkage holds row counts there, so cut it by hand: the first m-k merges
    zc = z.copy()
    cnt = np.ones(2 * m - 1)
    for j in range(m - 1):
        cnt[m + j] = cnt[int(z[j, 0])] + cnt[int(z[j, 1])]
    zc[:, 3] = cnt[m:]
    cut_micro = fcluster(zc, k, criterion="maxclust")
    check(same_partition(cut_micro, cut_ref[first]) and same_partition(cut_ref, cut_micro[owner]),
          what + ": cut into %d = scipy's on the replicated micro-clusters" % k)
    lab = labels_of(labels)
    check(np.all(lab[~keep] == -1) and np.all(lab[keep] >= 0), what + ": dropped rows -1, kept rows labelled")
    lab = lab[keep]
    # the model's segment of each micro-cluster: the one holding its weighted mean
    wsz = np.array([mw[cut_micro == c].sum() for c in np.unique(cut_micro)])
    wmean = np.stack([(mc[cut_micro == c] * mw[cut_micro == c, None]).sum(axis=0) / mw[cut_micro == c].sum()
                      for c in np.unique(cut_micro)])
    order = [int(np.argmin(((cen - w) ** 2).sum(axis=1))) for w in wmean]
    check(sorted(order) == list(range(k)) and np.array_equal(sizes[order], wsz) and
          np.allclose(cen[order], wmean, rtol=1e-9, atol=1e-12) and np.array_equal(sizes, np.bincount(lab, minlength=k)),
          what + ": segment sizes and centroids = sums and weighted means of their micro-clusters = label counts")
    means = np.stack([xs[lab == c].mean(axis=0) for c in range(k)])
    check(np.allclose(cen, means, rtol=1e-9, atol=1e-9), what + ": centroids = means of the rows labelled")
    ine = float(((xs - cen[lab]) ** 2).sum())
    check(abs(inertia - ine) <= 1e-9 * ine, what + ": inertia %.10g vs %.10g" % (inertia, ine))
    ex = labels_of(exact_l)[keep]
    ari = adjusted_rand_score(ex, lab)
    check(ari >= ari_min, what + ": adjusted Rand index with exact Ward %.4f >= %.2f" % (ari, ari_min))
    d = out["dendrogram"]
    check(d["mode"] == "twostep" and d["micro_clusters"] == m and d["micro_sizes"] == mw.tolist(),
          what + ": --json dendrogram mode, micro-clusters and sizes")
    return lab, z, mc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--tmp")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ward_scipy_", dir=a.tmp)
    try:
        blobs = os.path.join(tmp, "blobs.h5")
        run([a.gen, "--kind", "blobs", "--rows", "700", "--dims", "3", "--centers", "4", "--seed", "5",
             "-o", blobs])
        case(a, tmp, "blobs_d3", blobs, None, k=4)
        case(a, tmp, "blobs_d3", blobs, None, threshold_at=6)
        cust = os.path.join(tmp, "customers.h5")
        run([a.gen, "--kind", "customers", "--rows", "500", "--seed", "7", "-o", cust])
        case(a, tmp, "customers_drop", cust, CUSTOMER_FEATURES, k=5, extra=["--missing", "drop"])
        case(a, tmp, "customers_drop", cust, CUSTOMER_FEATURES, k=1, extra=["--missing", "drop"])
        rng = np.random.default_rng(3)
        uni = os.path.join(tmp, "uniform.h5")
        with h5py.File(uni, "w") as f:
            f["data"] = rng.uniform(-3, 3, (257, 5)).astype(np.float32)
        case(a, tmp, "uniform_d5", uni, None, k=7, extra=["--scale", "none"])
        case(a, tmp, "uniform_d5", uni, None, threshold_at=3, extra=["--scale", "minmax"])
        # the shipped sample (tests/data/README.md)
        a1 = os.path.join(tmp, "a1.h5")
        vals = np.loadtxt(os.path.join(HERE, "data", "sipu_a1_sample.csv"), delimiter=",", skiprows=1)
        with h5py.File(a1, "w") as f:
            f["x"] = vals[:, 0]
            f["y"] = vals[:, 1]
        case(a, tmp, "sipu_a1_sample", a1, ["x", "y"], k=20)
        case(a, tmp, "sipu_a1_sample", a1, ["x", "y"], k=300)
        # threads and chunks (the split scan itself is tested in test_ward)
        big = os.path.join(tmp, "big.h5")
        run([a.gen, "--kind", "blobs", "--rows", "4200", "--dims", "8", "--centers", "6", "--seed", "9",
             "-o", big])
        z1 = case(a, tmp, "blobs_d8_t1", big, None, k=6, extra=["--threads", "1"])
        z2 = case(a, tmp, "blobs_d8_t2", big, None, k=6, extra=["--threads", "2", "--chunk-rows", "5000"])
        check(np.array_equal(z1, z2), "blobs_d8: 1 thread and 2 threads with other chunks give the same bits")
        # two-step (tables that fit, so that exact Ward is the reference)
        l1, z1, m1 = twostep_case(a, tmp, "blobs_d8", big, None, 6, 150, ARI_TWOSTEP, ["--threads", "1"])
        l2, z2, m2 = twostep_case(a, tmp, "blobs_d8_t2", big, None, 6, 150, ARI_TWOSTEP,
                                  ["--threads", "2", "--chunk-rows", "5000", "--streaming"])
        check(np.array_equal(l1, l2) and np.array_equal(z1, z2) and np.array_equal(m1, m2),
              "blobs_d8 twostep: 1 thread and 2 threads, other chunks, streaming give the same bits")
        cust5 = os.path.join(tmp, "customers5k.h5")
        run([a.gen, "--kind", "customers", "--rows", "5000", "--seed", "11", "-o", cust5])
        twostep_case(a, tmp, "customers5k", cust5, CUSTOMER_FEATURES, 5, 300, ARI_TWOSTEP_OVERLAP,
                     ["--missing", "drop"])
        # every row its own micro-cluster: exact Ward itself
        lab_all, _, _ = twostep_case(a, tmp, "blobs_d3_all", blobs, None, 4, 1000, 1.0)
        for mem, mode in (("64K", "twostep"), ("1G", "exact")):
            out = json.loads(run([a.strata, "fit", big, "--algorithm", "ward", "-k", "6", "--ward-mode", "auto",
                                  "--micro-clusters", "100", "--mem-limit", mem, "-o", os.path.join(tmp, "auto.h5"),
                                  "--json"]))
            check(out["dendrogram"]["mode"] == mode, "ward-mode auto with --mem-limit %s: %s" % (mem, mode))
    except RuntimeError as e:
        check(False, str(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ward_scipy: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Cross-check `strata fit --algorithm dbscan` against scikit-learn's DBSCAN.

Each case runs `strata fit --algorithm dbscan --eps X --min-samples N
--labels L.h5`; scikit-learn gets the scaled values Strata clustered (the
file read as float32, scaled with the model's shift and factor as
core/scaler.c does), DBSCAN(eps, min_samples, algorithm='kd_tree').  Checks:
the same core points; the same partition of the core points up to renaming
(Strata numbers clusters in the order of their first core point, as
scikit-learn does, so the numbers themselves must agree); border points in a
cluster that reaches them (any one, when several do) and noise the same;
the model's core points and segments; `strata assign` on the training rows
gives every core point its own segment and every noise row -1 when no core
point is within eps; 1 and 2 threads give the same labels.

`--eps auto` (the k-distance helper, core/kdist.h) with a sample of every
row: scikit-learn's NearestNeighbors gives each row's distance to its
min_samples-th nearest row (itself included); sorted, the knee is the point
farthest below the chord (both axes scaled to [0, 1]); the model's eps must
be that distance (within 1e-12) and its stored curve the same values at the
same places; then every check above runs at that eps.

Prints one line per check and closes with `dbscan_sklearn: N passed,
N failed`; exits 1 when a check failed or none ran.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.neighbors import NearestNeighbors

HERE = os.path.dirname(os.path.abspath(__file__))
passed = failed = 0


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


def labels_of(path):
    with h5py.File(path, "r") as f:
        return np.asarray(f["segment"][...])


def case(a, tmp, name, data, cols, eps, ms, extra=()):
    model, labels = os.path.join(tmp, name + "_model.h5"), os.path.join(tmp, name + "_l.h5")
    run([a.strata, "fit", data, "--algorithm", "dbscan", "--eps", repr(eps), "--min-samples", str(ms),
         "-o", model, "--labels", labels, "--threads", "1"] + list(extra))
    with h5py.File(data, "r") as f:
        x = np.stack([np.asarray(f[c][...], dtype=np.float32) for c in cols], axis=1)
    with h5py.File(model, "r") as f:
        shift, factor = f["scaler/shift"][...], f["scaler/factor"][...]
        core_pts, core_seg = f["dbscan/core"][...], f["dbscan/core_segment"][...]
    xs = ((x.astype(np.float64) - shift) * (1.0 / factor)).astype(np.float32).astype(np.float64)
    ref = DBSCAN(eps=eps, min_samples=ms, algorithm="kd_tree").fit(xs)
    lab = labels_of(labels)
    what = "%s eps=%g min_samples=%d" % (name, eps, ms)
    core = np.zeros(len(xs), bool)
    core[ref.core_sample_indices_] = True
    check(np.array_equal(core_pts, xs[core]), what + ": core points (%d) = sklearn's" % core.sum())
    check(np.array_equal(lab[core], ref.labels_[core]) and np.array_equal(core_seg, ref.labels_[core]),
          what + ": core points' clusters = sklearn's, same numbers (%d clusters)" % (ref.labels_.max() + 1))
    check(np.array_equal(lab == -1, ref.labels_ == -1), what + ": noise = sklearn's (%d rows)" % (lab == -1).sum())
    border = ~core & (lab >= 0)
    ok = True
    for i in np.flatnonzero(border):
        near = core & (((xs - xs[i]) ** 2).sum(axis=1) <= eps * eps)
        # the lowest-numbered cluster reaching it (documented rule)
        ok &= lab[i] == lab[near].min()
    check(ok, what + ": %d border rows in the lowest cluster reaching them" % border.sum())
    same = (lab[border] == ref.labels_[border]).mean() if border.any() else 1.0
    print("      border rows labelled as sklearn: %.4f" % same)
    lab2 = os.path.join(tmp, name + "_l2.h5")
    run([a.strata, "fit", data, "--algorithm", "dbscan", "--eps", repr(eps), "--min-samples", str(ms),
         "-o", model, "--labels", lab2, "--threads", "2", "--chunk-rows", "4096"] + list(extra))
    check(np.array_equal(labels_of(lab2), lab), what + ": 2 threads, other chunks: same labels")
    alab = os.path.join(tmp, name + "_a.h5")
    run([a.strata, "assign", model, data, "--labels", alab])
    al = labels_of(alab)
    d2 = ((xs[:, None, :] - core_pts[None, :, :]) ** 2).sum(axis=2)
    nearest = np.where(d2.min(axis=1) <= eps * eps, core_seg[d2.argmin(axis=1)], -1)
    check(np.array_equal(al, nearest), what + ": assign = segment of the nearest core point within eps")
    check(np.array_equal(al[core], lab[core]), what + ": assign keeps every core point's segment")


def auto_case(a, tmp, name, data, cols, ms, extra=()):
    """--eps auto on every row against scikit-learn's k-distances; returns the eps."""
    model = os.path.join(tmp, name + "_auto.h5")
    out = run([a.strata, "fit", data, "--algorithm", "dbscan", "--eps", "auto", "--min-samples", str(ms),
               "--eps-sample", "1000000", "-o", model] + list(extra))
    with h5py.File(data, "r") as f:
        x = np.stack([np.asarray(f[c][...], dtype=np.float32) for c in cols], axis=1)
    with h5py.File(model, "r") as f:
        shift, factor = f["scaler/shift"][...], f["scaler/factor"][...]
        eps = float(f["dbscan/eps"][...][0])
        curve = np.asarray(f["dbscan/kdist"][...])
        sample = int(f["dbscan/kdist_sample"][...][0])
    xs = ((x.astype(np.float64) - shift) * (1.0 / factor)).astype(np.float32).astype(np.float64)
    dist, _ = NearestNeighbors(n_neighbors=ms, algorithm="brute").fit(xs).kneighbors(xs)
    v = np.sort(dist[:, ms - 1])
    s = len(v)
    gap = np.arange(s) / (s - 1) - (v - v[0]) / (v[-1] - v[0])
    knee = int(np.argmax(gap))
    what = "%s eps auto min_samples=%d" % (name, ms)
    check(sample == s and abs(eps - v[knee]) <= 1e-12 * v[knee],
          what + ": eps %.9g = the knee of sklearn's k-distances (%.9g, row %d of %d)" % (eps, v[knee], knee, s))
    npts = min(s, 200)
    at = np.array([int(np.floor(i * (s - 1) / (npts - 1) + 0.5)) for i in range(npts)])
    check(len(curve) == npts and np.allclose(curve, v[at], rtol=1e-12, atol=1e-15),
          what + ": the model's curve = sklearn's k-distances at %d places" % npts)
    check(("eps auto: %.6g" % eps) in out, what + ": the chosen eps is printed")
    return eps


def write(path, cols, x):
    with h5py.File(path, "w") as f:
        for j, c in enumerate(cols):
            f[c] = x[:, j]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--tmp")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dbscan_sklearn_", dir=a.tmp)
    try:
        rng = np.random.default_rng(5)
        blobs = np.vstack([rng.normal(c, 0.4, (300, 2)) for c in ([0, 0], [4, 1], [1, 5])] +
                          [rng.uniform(-3, 8, (120, 2))]).astype(np.float32)
        write(os.path.join(tmp, "blobs.h5"), ["x", "y"], blobs)
        case(a, tmp, "blobs_noise", os.path.join(tmp, "blobs.h5"), ["x", "y"], 0.15, 8)
        case(a, tmp, "blobs_noise", os.path.join(tmp, "blobs.h5"), ["x", "y"], 0.3, 1)
        eps = auto_case(a, tmp, "blobs_noise", os.path.join(tmp, "blobs.h5"), ["x", "y"], 8)
        case(a, tmp, "blobs_noise_auto", os.path.join(tmp, "blobs.h5"), ["x", "y"], eps, 8)
        t = rng.uniform(0, np.pi, 500)
        moons = np.vstack([np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)]])
        moons = (moons + rng.normal(0, 0.05, moons.shape)).astype(np.float32)
        write(os.path.join(tmp, "moons.h5"), ["u", "v"], moons)
        case(a, tmp, "moons", os.path.join(tmp, "moons.h5"), ["u", "v"], 0.07, 6, ["--scale", "none"])
        hi = np.vstack([rng.normal(c, 0.3, (250, 5)) for c in (0, 2, 4)]).astype(np.float32)
        write(os.path.join(tmp, "d5.h5"), ["a", "b", "c", "d", "e"], hi)
        case(a, tmp, "blobs_d5", os.path.join(tmp, "d5.h5"), ["a", "b", "c", "d", "e"], 0.5, 10)
        vals = np.loadtxt(os.path.join(HERE, "data", "sipu_a1_sample.csv"), delimiter=",", skiprows=1)
        write(os.path.join(tmp, "a1.h5"), ["x", "y"], vals)
        case(a, tmp, "sipu_a1_sample", os.path.join(tmp, "a1.h5"), ["x", "y"], 0.12, 4)
        eps = auto_case(a, tmp, "sipu_a1_sample", os.path.join(tmp, "a1.h5"), ["x", "y"], 4)
        case(a, tmp, "sipu_a1_sample_auto", os.path.join(tmp, "a1.h5"), ["x", "y"], eps, 4)
        eps = auto_case(a, tmp, "blobs_d5", os.path.join(tmp, "d5.h5"), ["a", "b", "c", "d", "e"], 10)
    except RuntimeError as e:
        check(False, str(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("dbscan_sklearn: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

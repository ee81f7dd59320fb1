#!/usr/bin/env python3
"""How much of a Lloyd pass distance bounds could skip on bench/compare's cases.

Issue 16 point 2 asks for Hamerly (small k) and Yinyang (large k) passes. Before
building them into every backend, this measures their ceiling on the data the
benchmark fits: bench/compare's blobs (centres uniform in [-10, 10]^d, the same
per-case std), Lloyd from rows drawn at random, 20 iterations, every distance
computed in float64 (numpy), so that each bound is checked against the truth
(an assertion fails if a row a bound called settled changed its label).

  hamerly  one lower bound per row (second-nearest distance, minus the largest
           centroid drift each iteration), upper bound tightened to the exact
           distance (a pass computes it anyway for the inertia), and the
           half-distance to the nearest other centroid.  Prints the share of
           rows that need no distance to any centroid.
  yinyang  one lower bound per row and centroid group (groups: k-means of the
           first centroids, --groups of them), each lowered by its group's
           largest drift.  Prints the share of (row, centroid) distances that
           must still be computed: the groups whose bound does not clear the
           row's exact distance.

  bench/bound_skip.py --case C --method hamerly
  bench/bound_skip.py --case C --method yinyang --groups 100
  bench/bound_skip.py --case D --scale 0.2         # 2e6 of D's 1e7 rows
"""
import argparse

import numpy as np

# bench/compare's cases and blob spreads: (n, d, k, std)
CASES = {"A": (1_000_000, 16, 8, 16.0), "B": (1_000_000, 32, 64, 22.0),
         "C": (200_000, 128, 1024, 45.0), "D": (10_000_000, 8, 10, 11.0)}
SLAB = 20000


def blobs(n, d, k, std, seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (k, d))
    lab = rng.integers(0, k, n)
    x = (centres[lab] + std * rng.standard_normal((n, d))).astype(np.float32)
    return x, x[rng.choice(n, k, replace=False)].astype(np.float64)


def distances(x, c):
    """n x k float64 distances, slab by slab."""
    cn = (c * c).sum(1)
    out = np.empty((len(x), len(c)))
    for s in range(0, len(x), SLAB):
        v = x[s:s + SLAB].astype(np.float64)
        out[s:s + SLAB] = np.sqrt(np.maximum((v * v).sum(1)[:, None] - 2 * v @ c.T + cn[None, :], 0))
    return out


def update(x, a, c):
    k, d = c.shape
    cnt = np.bincount(a, minlength=k)
    s = np.zeros((k, d))
    np.add.at(s, a, x.astype(np.float64))
    new = np.where(cnt[:, None] > 0, s / np.maximum(cnt, 1)[:, None], c)
    return new, np.sqrt(((new - c) ** 2).sum(1))


def second(dist, a):
    m = dist.copy()
    m[np.arange(len(a)), a] = np.inf
    return m.min(1)


def hamerly(x, c, iters):
    dist = distances(x, c)
    a = dist.argmin(1)
    low = second(dist, a)
    for it in range(1, iters + 1):
        c, drift = update(x, a, c)
        g = distances(c, c)
        np.fill_diagonal(g, np.inf)
        half = g.min(1) / 2
        low = low - drift.max()
        dist = distances(x, c)
        u = dist[np.arange(len(a)), a]
        settled = u <= np.maximum(low, half[a])
        a2 = dist.argmin(1)
        assert not np.any(a2[settled] != a[settled]), "a bound was broken"
        print("it %2d: rows settled by the bounds %.3f, relocations %d" % (it, settled.mean(), (a2 != a).sum()),
              flush=True)
        low = np.where(settled, low, second(dist, a2))
        a = a2


def yinyang(x, c, iters, groups):
    from sklearn.cluster import KMeans
    k = len(c)
    grp = KMeans(groups, n_init=1, random_state=0).fit(c).labels_ if groups < k else np.arange(k)
    size = np.bincount(grp, minlength=groups)

    def group_low(dist, a):
        m = dist.copy()
        m[np.arange(len(a)), a] = np.inf
        return np.stack([m[:, grp == g].min(1) for g in range(groups)], 1)

    dist = distances(x, c)
    a = dist.argmin(1)
    low = group_low(dist, a)
    for it in range(1, iters + 1):
        c, drift = update(x, a, c)
        low = low - np.array([drift[grp == g].max() for g in range(groups)])[None, :]
        dist = distances(x, c)
        u = dist[np.arange(len(a)), a]
        visit = low < u[:, None]
        a2 = dist.argmin(1)
        assert not np.any(a2[~visit.any(1)] != a[~visit.any(1)]), "a bound was broken"
        share = (visit * size[None, :]).sum() / (len(x) * k)
        print("it %2d: distances still computed %.3f, rows settled %.3f, relocations %d"
              % (it, share, (~visit.any(1)).mean(), (a2 != a).sum()), flush=True)
        fresh = group_low(dist, a2)
        low = np.where(visit | (a2 != a)[:, None], fresh, np.minimum(low, fresh))
        a = a2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=sorted(CASES), default="C")
    ap.add_argument("--scale", type=float, default=1.0, help="share of the case's rows")
    ap.add_argument("--method", choices=["hamerly", "yinyang"], default="hamerly")
    ap.add_argument("--groups", type=int, default=0, help="yinyang groups (default k/10)")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n, d, k, std = CASES[args.case]
    x, c = blobs(int(n * args.scale), d, k, std, args.seed)
    print("case %s: %d x %d, k = %d, blob std %g; %s" % (args.case, len(x), d, k, std, args.method))
    if args.method == "hamerly":
        hamerly(x, c, args.iters)
    else:
        yinyang(x, c, args.iters, args.groups or max(1, k // 10))


if __name__ == "__main__":
    main()

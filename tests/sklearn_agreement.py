"""core/agreement.h against scikit-learn: adjusted_rand_score on the same
label vectors (the points the mask keeps and both label), and each
cluster's best Jaccard computed from Python sets.  Run by
sklearn_agreement.sh with the tests/agreement_tool helper."""
import subprocess
import sys

import numpy as np
from sklearn.metrics import adjusted_rand_score

tool = sys.argv[1]
rng = np.random.default_rng(2026)
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   - {name}")
    else:
        failed += 1
        print(f"FAIL - {name} {detail}")


def measures(a, b, mask, ka, kb):
    text = f"{len(a)} {ka} {kb}\n" + " ".join(map(str, a)) + "\n" + " ".join(map(str, b)) + "\n" + \
        " ".join(map(str, mask)) + "\n"
    out = subprocess.run([tool], input=text, capture_output=True, text=True, check=True).stdout.split("\n")
    ari = float(out[0].split()[1])
    jac = [float(v) for v in out[1].split()[1:]]
    return ari, jac


cases = []
for trial in range(30):
    n = int(rng.integers(2, 3000))
    ka, kb = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    a = rng.integers(0, ka, n)
    kind = trial % 3
    if kind == 0:   # independent labelings
        b = rng.integers(0, kb, n)
    elif kind == 1:  # b mostly a renamed: like two runs of a stable clustering
        perm = rng.permutation(max(ka, kb))
        b = np.where(rng.random(n) < 0.9, perm[a] % kb, rng.integers(0, kb, n))
    else:            # b a coarsening of a
        b = a % kb
    b = np.where(rng.random(n) < 0.03, -1, b)  # rows without a segment
    mask = (rng.random(n) < (0.7 if trial % 2 else 1.0)).astype(int)
    cases.append((f"trial {trial} (n={n}, ka={ka}, kb={kb}, kind={kind})", a, b, mask, ka, kb))
cases.append(("doc example", np.array([0, 0, 1, 1]), np.array([0, 0, 1, 2]), np.ones(4, int), 2, 3))
cases.append(("one cluster vs singletons", np.zeros(5, int), np.arange(5), np.ones(5, int), 1, 5))

for name, a, b, mask, ka, kb in cases:
    ari, jac = measures(a, b, mask, ka, kb)
    keep = (mask != 0) & (a >= 0) & (b >= 0)
    want = adjusted_rand_score(a[keep], b[keep])
    check(f"ARI {name}", abs(ari - want) <= 1e-12, f"strata {ari!r} sklearn {want!r}")
    direct = []
    for c in range(ka):
        sa = set(np.flatnonzero(keep & (a == c)))
        best = 0.0
        for j in range(kb):
            sb = set(np.flatnonzero(keep & (b == j)))
            if sa | sb:
                best = max(best, len(sa & sb) / len(sa | sb))
        direct.append(best)
    check(f"Jaccard {name}", np.allclose(jac, direct, rtol=0, atol=1e-15), f"strata {jac} direct {direct}")

print(f"sklearn_agreement: {passed} passed, {failed} failed")
# No check at all proves nothing: that fails too.
sys.exit(1 if failed or not passed else 0)

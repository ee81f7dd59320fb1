"""Byte-mutated model files through `strata assign` (issue 18: about 3% of
them crashed inside HDF5's variable-length string reads).

A model is fitted on a small generated table; each of N mutants changes 1
to 4 random bytes of it and is given to `strata assign`.  Every run must
end with exit 0, 1 or 2 (never a signal, never the timeout); a failure is
one `strata: error:` line on stderr and no labels file; a success writes
labels that equal the intact model's whenever the mutant still holds the
intact model's centroids, scaler and features (read with h5py: the
mutation hit something the assign does not use), and otherwise only when
the mutant is itself a valid model (h5py reads finite centroids, positive
finite scale factors and the feature names).  Exit status 0 when every
mutant holds, 1 otherwise."""
import argparse
import os
import random
import signal
import subprocess
import sys

import h5py
import numpy as np


def run(cmd, timeout=60):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def model_parts(path):
    """What assign uses of a model, or None when h5py cannot read it."""
    try:
        with h5py.File(path, "r") as f:
            return {
                "centroids": np.array(f["centroids"][()], dtype=np.float64),
                "shift": np.array(f["scaler/shift"][()], dtype=np.float64),
                "factor": np.array(f["scaler/factor"][()], dtype=np.float64),
                "impute": np.array(f["scaler/impute"][()], dtype=np.float64),
                "features": [x.decode() if isinstance(x, bytes) else str(x) for x in f["features"][()]],
            }
    except Exception:  # any corruption h5py notices: not an intact model
        return None


def same(a, b):
    return (a is not None and b is not None and a["features"] == b["features"]
            and all(np.array_equal(a[k], b[k], equal_nan=True) for k in ("centroids", "shift", "factor", "impute")))


def valid(p):
    return (p is not None and p["centroids"].ndim == 2 and np.isfinite(p["centroids"]).all()
            and np.isfinite(p["factor"]).all() and (p["factor"] > 0).all()
            and len(p["features"]) == p["centroids"].shape[1])


def labels(path):
    with h5py.File(path, "r") as f:
        return {k: np.array(f[k][()]) for k in f.keys()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--tmp", default=".")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=18)
    a = ap.parse_args()
    os.makedirs(a.tmp, exist_ok=True)
    data, model = os.path.join(a.tmp, "mut_data.h5"), os.path.join(a.tmp, "mut_model.h5")
    ref_labels, out, mutant = (os.path.join(a.tmp, n) for n in ("mut_ref.h5", "mut_labels.h5", "mutant.h5"))
    for cmd in ([a.gen, "-o", data, "--rows", "200", "--seed", "3", "--chunk-rows", "64"],
                [a.strata, "fit", data, "-k", "4", "--missing", "mean", "-o", model, "-q"],
                [a.strata, "assign", model, data, "--labels", ref_labels, "-q"]):
        r = run(cmd)
        if r.returncode != 0:
            sys.exit("model_mutation: setup failed: %s: %s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    original = open(model, "rb").read()
    ref, intact = labels(ref_labels), model_parts(model)
    rng = random.Random(a.seed)
    failures, counts = 0, {"ok_intact": 0, "ok_changed": 0, "error": 0}
    for i in range(a.n):
        b = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        with open(mutant, "wb") as f:
            f.write(b)
        if os.path.exists(out):
            os.remove(out)
        what = "mutant %d (seed %d)" % (i, a.seed)
        try:
            r = run([a.strata, "assign", mutant, data, "--labels", out, "-q", "--threads", "1"], timeout=30)
        except subprocess.TimeoutExpired:
            r = None
        problem = None if r else "assign hung (30 s)"
        err = "" if r is None else r.stderr.decode(errors="replace")
        if r is None:
            pass
        elif r.returncode < 0:
            problem = "killed by %s" % signal.Signals(-r.returncode).name
        elif r.returncode not in (0, 1, 2):
            problem = "exit %d" % r.returncode
        elif r.returncode != 0:
            counts["error"] += 1
            if not (err.startswith("strata: error: ") and err.count("\n") == 1):
                problem = "exit %d without one error line: %r" % (r.returncode, err[:300])
            elif os.path.exists(out):
                problem = "exit %d left a labels file" % r.returncode
        else:
            got = labels(out) if os.path.exists(out) else None
            same_labels = got is not None and got.keys() == ref.keys() and all(
                np.array_equal(got[k], ref[k], equal_nan=True) for k in ref)
            parts = model_parts(mutant)
            if same_labels:
                # The mutation hit nothing the assign uses (h5py's newer HDF5
                # may still refuse a header field HDF5 1.10 ignores).
                counts["ok_intact"] += 1
            elif same(parts, intact):
                problem = "exit 0 on an intact model with labels unlike the original's"
            elif valid(parts):
                counts["ok_changed"] += 1
            else:
                problem = "exit 0 with changed labels from a model that is not valid"
        if problem:
            failures += 1
            bad = os.path.join(a.tmp, "mutant_fail_%d.h5" % i)
            with open(bad, "wb") as f:
                f.write(b)
            print("FAIL %s: %s (kept as %s)" % (what, problem, bad))
    print("model_mutation: %d mutants: %d refused, %d assigned with the intact model's labels, "
          "%d assigned as a changed but valid model; %d failures"
          % (a.n, counts["error"], counts["ok_intact"], counts["ok_changed"], failures))
    sys.exit(1 if failures else 0)


main()

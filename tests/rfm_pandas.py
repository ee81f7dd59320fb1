#!/usr/bin/env python3
"""strata rfm against a pandas groupby on the shipped sample of the UCI
Online Retail table (tests/data/online_retail_sample.csv), both --returns
modes; the spill path (a tiny --mem-limit) and a shuffled row order must
give the same file content, to the bit; a random table with text and
integer keys exercises many spilled runs (merged in cascades).

The oracle is independent of strata: pandas parses the CSV, groups by
customer; monetary is the exact sum of the float64 products, rounded once
(fractions.Fraction), which is what strata promises, so it is compared
bit for bit; pandas' own float sum is checked to 1e-9 relative as well.
Scores: pandas rank(method="min"), score = (rank - 1) * 5 // n + 1."""
import argparse
import fractions
import json
import os
import random
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pandas as pd

COLS = ["recency_days", "frequency", "monetary", "tenure_days", "avg_basket", "r_score", "f_score", "m_score"]
failures = []


def check(cond, what):
    print(("ok   - " if cond else "FAIL - ") + what)
    if not cond:
        failures.append(what)


def strata_rfm(strata, csv, out, *extra, key="CustomerID", fmt="%d/%m/%Y %H:%M"):
    cmd = [strata, "rfm", csv, "--customer", key, "--invoice", "InvoiceNo", "--date", "InvoiceDate",
           "--quantity", "Quantity", "--price", "UnitPrice", "-o", out, "--json", *extra]
    if fmt:
        cmd += ["--date-format", fmt]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr}")
    return json.loads(r.stdout)


def read_table(path, key):
    with h5py.File(path, "r") as f:
        d = {c: f[c][...] for c in [key] + COLS}
        roles = {c: f[c].attrs.get("strata_role") for c in f if c != ".strata_dict"}
        if ".strata_dict" in f and key in f[".strata_dict"]:
            words = [w.decode() if isinstance(w, bytes) else w for w in f[".strata_dict"][key][...]]
            d[key] = np.array([words[c] for c in d[key]], dtype=object)
        order = list(f.keys())
        fmt = f.attrs.get("strata_format")
    return d, roles, order, fmt


def oracle(csv, subtract, key="CustomerID", fmt="%d/%m/%Y %H:%M"):
    df = pd.read_csv(csv, encoding="latin-1", dtype={"InvoiceNo": str, key: str}, keep_default_na=False)
    df = df[df[key].str.strip() != ""]
    df["day"] = pd.to_datetime(df["InvoiceDate"], format=fmt).dt.floor("D")
    cancel = df["InvoiceNo"].str.startswith("C")
    buy = df[~cancel]
    g = buy.groupby(key)
    res = pd.DataFrame({"last": g["day"].max(), "first": g["day"].min(), "frequency": g["InvoiceNo"].nunique()})
    exact = {}
    for k, q, p, c in zip(df[key], df["Quantity"].astype(float), df["UnitPrice"].astype(float), cancel):
        prod = fractions.Fraction(q) * fractions.Fraction(p)
        if c:
            if not subtract:
                continue
            prod = -abs(prod)
        exact[k] = exact.get(k, 0) + prod
    res["monetary"] = [float(exact[k]) for k in res.index]
    amount = df["Quantity"].astype(float) * df["UnitPrice"].astype(float)
    signed = amount.where(~cancel, -amount.abs())
    kept = df.assign(a=signed)[~cancel | subtract]
    res["float_sum"] = kept.groupby(key)["a"].sum().reindex(res.index)
    ref = res["last"].max() + pd.Timedelta(days=1)
    res["recency_days"] = (ref - res["last"]).dt.days
    res["tenure_days"] = (ref - res["first"]).dt.days
    res["avg_basket"] = res["monetary"] / res["frequency"]
    n = len(res)
    for col, v in (("r_score", -res["recency_days"]), ("f_score", res["frequency"]), ("m_score", res["monetary"])):
        res[col] = ((v.rank(method="min").astype(int) - 1) * 5 // n + 1)
    skipped = int((pd.read_csv(csv, encoding="latin-1", dtype=str, keep_default_na=False)[key].str.strip() == "").sum())
    return res, ref, skipped, int(cancel.sum()), set(df[key]) - set(res.index)


def compare(label, got, want, key, int_keys=True):
    keys = [int(k) for k in want.index] if int_keys else list(want.index)
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    want = want.iloc[order]
    gk = list(got[key])
    check(gk == sorted(keys), f"{label}: one row per customer, sorted by key ({len(gk)} vs {len(keys)})")
    if gk != sorted(keys):
        return
    for c in COLS:
        w = want[c].to_numpy(dtype=float)
        g = got[c].astype(float)
        same = np.array_equal(g, w)
        check(same, f"{label}: {c} equals the pandas groupby"
              + ("" if same else f" (first difference at {np.flatnonzero(g != w)[:3]}: {g[g != w][:3]} vs {w[g != w][:3]})"))
    fs = want["float_sum"].to_numpy()
    check(np.allclose(got["monetary"], fs, rtol=1e-9, atol=1e-9), f"{label}: monetary within 1e-9 of pandas' float sum")


def identical(a, b):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        if list(fa.keys()) != list(fb.keys()):
            return False
        for k in fa:
            if k == ".strata_dict":
                for c in fa[k]:
                    if list(fa[k][c][...]) != list(fb[k][c][...]):
                        return False
                continue
            x, y = fa[k][...], fb[k][...]
            if x.dtype != y.dtype or x.tobytes() != y.tobytes():
                return False
    return True


def shuffled_copy(src, dst, seed):
    with open(src, "rb") as f:
        lines = f.read().split(b"\n")
    head, body = lines[0], [l for l in lines[1:] if l]
    random.Random(seed).shuffle(body)
    with open(dst, "wb") as f:
        f.write(head + b"\n" + b"\n".join(body) + b"\n")


def random_table(path, seed, rows=20000, customers=1500):
    rng = random.Random(seed)
    keys = [str(rng.randrange(10**6)) if rng.random() < 0.5 else f"cust-{rng.randrange(10**6):06d}" for _ in range(customers)]
    with open(path, "w") as f:
        f.write("InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n")
        for i in range(rows):
            k = rng.choice(keys)
            inv = ("C" if rng.random() < 0.05 else "") + str(rng.randrange(3000))
            day = f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/2011 {rng.randrange(24):02d}:{rng.randrange(60):02d}"
            q = rng.randrange(-2, 40)
            p = round(rng.uniform(0, 30), rng.choice([0, 1, 2, 3]))
            f.write(f"{inv},{'' if rng.random() < 0.02 else k},{day},{q},{p}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--tmp", default=None)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="rfm_pandas.", dir=a.tmp)
    csv = a.data

    for subtract in (False, True):
        label = "returns " + ("subtract" if subtract else "exclude")
        extra = ["--returns", "subtract"] if subtract else []
        out = os.path.join(tmp, f"c{int(subtract)}.h5")
        j = strata_rfm(a.strata, csv, out, *extra)
        want, ref, skipped, cancelled, gone = oracle(csv, subtract)
        got, roles, order, fmt = read_table(out, "CustomerID")
        check(fmt == "strata-table", f"{label}: an imported table (strata_format)")
        check(order[0] == "CustomerID" and roles.get("CustomerID") == "id", f"{label}: the key is the first column, role id")
        compare(label, got, want, "CustomerID")
        check(j["reference_date"] == ref.strftime("%Y-%m-%d"), f"{label}: reference date {j['reference_date']}")
        check(j["skipped_no_customer"] == skipped and j["cancelled_rows"] == cancelled,
              f"{label}: counts of skipped ({j['skipped_no_customer']}/{skipped}) and cancelled rows ({j['cancelled_rows']}/{cancelled})")
        check(j["customers_without_purchase"] == len(gone), f"{label}: customers with cancellations only counted")
        spill = os.path.join(tmp, f"s{int(subtract)}.h5")
        js = strata_rfm(a.strata, csv, spill, "--mem-limit", "8K", *extra)
        check(js["spilled_runs"] > 1 and j["spilled_runs"] == 0, f"{label}: --mem-limit 8K spills ({js['spilled_runs']} runs)")
        check(identical(out, spill), f"{label}: the spilled group-by writes the same table, to the bit")

    shuf = os.path.join(tmp, "shuffled.csv")
    shuffled_copy(csv, shuf, 5)
    strata_rfm(a.strata, shuf, os.path.join(tmp, "shuf.h5"))
    # strata_source differs (another file name); the columns must not.
    check(identical(os.path.join(tmp, "c0.h5"), os.path.join(tmp, "shuf.h5")), "rows in another order: the same table, to the bit")

    rnd = os.path.join(tmp, "random.csv")
    random_table(rnd, 11)
    mem = os.path.join(tmp, "r_mem.h5")
    j = strata_rfm(a.strata, rnd, mem)
    js = strata_rfm(a.strata, rnd, os.path.join(tmp, "r_spill.h5"), "--mem-limit", "16K")
    check(js["spilled_runs"] >= 1 and j["key_type"] == "categorical", f"random table: text keys, {js['spilled_runs']} runs left after the cascades")
    check(identical(mem, os.path.join(tmp, "r_spill.h5")), "random table: spilled (runs merged in cascades) = in memory, to the bit")
    want, ref, skipped, cancelled, gone = oracle(rnd, False)
    got, _, _, _ = read_table(mem, "CustomerID")
    ints = sorted(k for k in want.index if k.lstrip("-").isdigit())
    texts = sorted((k for k in want.index if not k.lstrip("-").isdigit()), key=lambda s: s.encode())
    keyorder = sorted(ints, key=int) + texts
    check(list(got["CustomerID"]) == keyorder, "random table: integer keys first by value, then text keys bytewise")
    if list(got["CustomerID"]) == keyorder:
        want = want.loc[keyorder]
        for c in COLS:
            check(np.array_equal(got[c].astype(float), want[c].to_numpy(dtype=float)), f"random table: {c} equals pandas")

    print(f"rfm_pandas: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

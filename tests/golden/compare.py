#!/usr/bin/env python3
"""Compares two golden directories made by record.sh.

  compare.py EXPECTED ACTUAL [--rel X] [--close GLOB=X]...

Files with equal bytes match.  With --rel X, files that differ only in
numbers within relative X of each other (hex floats included) are listed as
'close' and do not fail; anything else fails.  --close GLOB=X does the same
for the files named like GLOB only, with differences measured against
max(|a|, |b|, 1) (a projection near zero moves as much as one near 1).  Files only in EXPECTED fail;
a file whose expected copy was not kept (only its hash in MANIFEST) must
match bit for bit.  Exit 0 when everything matches, 1 otherwise."""
import fnmatch, hashlib, os, re, sys

NUM = re.compile(r"-?0x[0-9a-fA-F.]+p[-+]?\d+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|-?inf|nan")


def value(tok):
    if "0x" in tok:
        return float.fromhex(tok)
    return float(tok)


def close(a, b, rel, floor=0.0):
    ta, tb = NUM.split(a), NUM.split(b)
    if ta != tb:
        return False, 0.0
    na, nb = NUM.findall(a), NUM.findall(b)
    if len(na) != len(nb):
        return False, 0.0
    worst = 0.0
    for x, y in zip(na, nb):
        if x == y:
            continue
        vx, vy = value(x), value(y)
        scale = max(abs(vx), abs(vy), floor)
        err = abs(vx - vy) / scale if scale else 0.0
        worst = max(worst, err)
        if err > rel:
            return False, err
    return True, worst


def manifest(d):
    out = {}
    for line in open(os.path.join(d, "MANIFEST")):
        h, name = line.split()
        out[name] = h
    return out


def main():
    exp, act = sys.argv[1], sys.argv[2]
    rel = float(sys.argv[sys.argv.index("--rel") + 1]) if "--rel" in sys.argv else 0.0
    globs = [a.split("=", 1) for i, a in enumerate(sys.argv) if i and sys.argv[i - 1] == "--close"]
    me, ma = manifest(exp), manifest(act)
    failed = 0
    for name, h in sorted(me.items()):
        ep = os.path.join(exp, name)
        if os.path.exists(ep) and hashlib.sha256(open(ep, "rb").read()).hexdigest() != h:
            print(f"STALE   {name}: the expected copy does not match its MANIFEST hash"); failed += 1
    for name, h in sorted(me.items()):
        if name not in ma:
            print(f"MISSING {name}"); failed += 1; continue
        if ma[name] == h:
            continue
        ep = os.path.join(exp, name)
        tol, floor = rel, 0.0
        for g, x in globs:
            if fnmatch.fnmatch(name, g):
                tol, floor = float(x), 1.0
        if not os.path.exists(ep) or tol == 0.0:
            print(f"DIFFER  {name}"); failed += 1; continue
        ok, worst = close(open(ep).read(), open(os.path.join(act, name)).read(), tol, floor)
        if ok:
            print(f"close   {name} (largest relative difference {worst:.3g})")
        else:
            print(f"DIFFER  {name}" + (f" (relative {worst:.3g})" if worst else " (text)")); failed += 1
    for name in sorted(set(ma) - set(me)):
        print(f"new     {name}")
    print(f"golden: {len(me) - failed} of {len(me)} outputs match")
    return 1 if failed else 0


sys.exit(main())

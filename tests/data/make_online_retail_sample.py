#!/usr/bin/env python3
"""How tests/data/online_retail_sample.csv was made (not run by the suite).

Whole customers of the UCI Online Retail table (CC BY 4.0, D. Chen, London
South Bank University; UCI dataset 352), 1-20 December 2010 prefix: every
line of 80 customers drawn with a fixed seed (their cancellations
included), plus 300 lines without a CustomerID, in the original file order,
bytes unchanged (Latin-1).

    python3 make_online_retail_sample.py SRC.csv > online_retail_sample.csv
"""
import csv
import io
import random
import sys

src = sys.argv[1]
with open(src, "rb") as f:
    raw = f.read().split(b"\n")
header, lines = raw[0], [l for l in raw[1:] if l]
rows = list(csv.reader(io.StringIO("\n".join(l.decode("latin-1") for l in lines))))
assert len(rows) == len(lines)
cust = sorted({r[6] for r in rows if r[6]})
rng = random.Random(17)
keep = set(rng.sample(cust, 80))
# Make sure the rules are exercised: a customer with a cancellation and one
# whose invoices are all cancellations, when the table has them.
bycust = {}
for r in rows:
    if r[6]:
        bycust.setdefault(r[6], []).append(r[0].startswith("C"))
only_c = [c for c, v in sorted(bycust.items()) if all(v)]
some_c = [c for c, v in sorted(bycust.items()) if any(v) and not all(v)]
keep.update(only_c[:2])
keep.update(some_c[:10])
blank = [i for i, r in enumerate(rows) if not r[6]]
blank_keep = set(rng.sample(blank, 300))
out = sys.stdout.buffer
out.write(header + b"\n")
for i, (r, l) in enumerate(zip(rows, lines)):
    if r[6] in keep or i in blank_keep:
        out.write(l + b"\n")

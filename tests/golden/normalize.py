#!/usr/bin/env python3
"""Normalises one output of `strata` for the golden comparison: what is
volatile (timings, dates, versions, peak memory, temporary paths) is removed,
every number keeps all its bits.

  normalize.py json FILE      JSON object: volatile keys dropped, keys sorted
  normalize.py h5dump FILE    h5dump -m %a text: volatile attributes and the
                              per-iteration seconds dropped
  normalize.py text FILE      HTML/CSV/table text: dates and durations masked
"""
import json, re, sys

VOLATILE_KEYS = {"seconds", "seconds_per_iteration", "peak_rss_bytes", "created",
                 "version", "rows_per_second", "parent_created", "seconds_stats",
                 "seconds_init", "elapsed", "mb_per_second",
                 "ranks", "threads"}  # how the fit ran (MPI ranks, threads per rank), not what it found
VOLATILE_ATTRS = {"created", "seconds", "library_version", "parent_created"}
VOLATILE_DATASETS = {"seconds", "rows_per_second"}


def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def h5dump(text):
    out, skip_depth, depth = [], None, 0
    for line in text.splitlines():
        opens = line.count("{")
        closes = line.count("}")
        m = re.match(r'\s*(ATTRIBUTE|DATASET) "([^"]+)" \{', line)
        if skip_depth is None and m and (
                (m.group(1) == "ATTRIBUTE" and m.group(2) in VOLATILE_ATTRS) or
                (m.group(1) == "DATASET" and m.group(2) in VOLATILE_DATASETS)):
            skip_depth = depth
        depth += opens - closes
        if skip_depth is not None:
            if depth <= skip_depth:
                skip_depth = None
            continue
        if line.startswith("HDF5 "):
            line = "HDF5 FILE {"
        out.append(line)
    return "\n".join(out) + "\n"


def text(t):
    t = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "DATE", t)
    t = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?( UTC)?", "DATE", t)
    t = re.sub(r"(seconds|s/iteration)=\S+", r"\1=T", t)
    t = re.sub(r"\b\d+(\.\d+)?(e[-+]?\d+)? ?(s|ms)\b(?!/)", "DURATION", t)
    t = re.sub(r"\S+ rows/s", "R rows/s", t)
    t = re.sub(r"strata \d+\.\d+\.\d+\S*", "strata VERSION", t)
    return t


kind, path = sys.argv[1], sys.argv[2]
data = open(path, encoding="utf-8", errors="replace").read()
if kind == "json":
    sys.stdout.write(json.dumps(strip(json.loads(data)), indent=1, sort_keys=True) + "\n")
elif kind == "h5dump":
    sys.stdout.write(h5dump(data))
else:
    sys.stdout.write(text(data))

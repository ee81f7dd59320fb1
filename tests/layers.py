#!/usr/bin/env python3
"""The include rules of the source tree (docs/ARCHITECTURE.md, "Layers").

Reads every `#include "..."` line of common/, include/, io/, kernels/, core/
and cli/, resolves it the way the build does (the including file's own
directory first, then the one file of that name in the tree; the include
paths name directories, so a header's name must be unique across them), and
fails on

  * an arrow the layering forbids (ALLOWED below: each layer lists the
    layers it may include; its own layer is always allowed);
  * an include cycle between modules (a header and its source, x.h + x.c,
    count as one module);
  * a quoted include that names no file of the tree, or a header name that
    two layers both hold (a bare name would then be ambiguous).

Usage: layers.py [SOURCE_DIR]   (default: the parent of this file's folder)
"""
import os
import re
import sys

# Lowest first.  include/ is the public header: it includes nothing of ours.
ALLOWED = {
    "include": set(),
    "common": {"include"},
    "io": {"include", "common"},
    "kernels": {"include", "common"},
    "core": {"include", "common", "io", "kernels"},
    "cli": {"include", "common", "io", "kernels", "core"},
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def scan(root):
    files = []
    for layer in ALLOWED:
        top = os.path.join(root, layer)
        for dirpath, _, names in os.walk(top):
            for n in names:
                if n.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(files)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    root = os.path.abspath(root)
    files = scan(root)
    errors = []
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    for name, paths in sorted(by_name.items()):
        if name.endswith(".h") and len(paths) > 1:
            errors.append("header name %s is not unique: %s" % (name, ", ".join(paths)))

    def resolve(src, inc):
        local = os.path.normpath(os.path.join(os.path.dirname(src), inc))
        if local in files:
            return local
        hits = [f for f in by_name.get(os.path.basename(inc), []) if f.endswith(inc)]
        return hits[0] if len(hits) == 1 else None

    def layer(path):
        return path.split(os.sep)[0]

    def module(path):
        return os.path.splitext(path)[0]

    edges = {}
    for src in files:
        with open(os.path.join(root, src), encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                dst = resolve(src, m.group(1))
                if dst is None:
                    errors.append('%s:%d: "%s" names no file of the tree' % (src, lineno, m.group(1)))
                    continue
                a, b = layer(src), layer(dst)
                if a != b and b not in ALLOWED[a]:
                    errors.append("%s:%d: %s -> %s: %s/ may not include %s/"
                                  % (src, lineno, src, dst, a, b))
                if module(src) != module(dst):
                    edges.setdefault(module(src), set()).add(module(dst))

    # Cycles: strongly connected components with more than one module (Tarjan).
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []
    counter = [0]

    def strongconnect(v):
        work = [(v, iter(sorted(edges.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    sccs.append(sorted(comp))

    for v in sorted(set(edges) | {m for s in edges.values() for m in s}):
        if v not in index:
            strongconnect(v)
    for comp in sccs:
        errors.append("include cycle between modules: %s" % " <-> ".join(comp))

    for e in errors:
        print("layers: " + e)
    print("layers: %d files, %d module arrows, %d errors"
          % (len(files), sum(len(s) for s in edges.values()), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Lists `crate::X` edges between top-level modules of src/ (and `super::X` edges inside
src/mock/), product code only: test modules (`#[cfg(test)] mod ...` to end of file, and files
declared under `#[cfg(test)]`) are skipped. Prints the edges and any cycle; exits 1 if there
is one. A text scan (comments count too), for reviewing structure: `scripts/module-edges.py`."""
import os, re, sys, itertools
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
def product_text(path):
    t = open(path, encoding="utf-8").read()
    m = re.search(r"#\[cfg\(test\)\]\s*mod \w+\s*\{", t)
    return t[:m.start()] if m else t
def top(path):
    rel = os.path.relpath(path, root)
    parts = rel.split(os.sep)
    return parts[0][:-3] if len(parts) == 1 else parts[0]
test_files = set()
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith(".rs"):
            p = os.path.join(d, f)
            # files declared only under cfg(test) in their parent
            parent = os.path.join(d, "mod.rs")
            name = f[:-3]
            if os.path.exists(parent) and re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))? )?mod %s;" % name, open(parent).read()):
                test_files.add(p)
edges = set(); mock = set()
for d, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith(".rs"): continue
        p = os.path.join(d, f)
        if p in test_files: continue
        t = product_text(p)
        src = top(p)
        for m in re.finditer(r"\bcrate::(\w+)", t):
            if m.group(1) != src and m.group(1) not in ("main",): edges.add((src, m.group(1)))
        # braces: use crate::{a, b::c}
        for m in re.finditer(r"\buse crate::\{([^}]*)\}", t):
            for item in re.findall(r"(?:^|,)\s*(\w+)", m.group(1)):
                if item != src and item != "self": edges.add((src, item))
        if os.path.relpath(d, root) == "mock":
            me = f[:-3] if f != "mod.rs" else "mod"
            for m in re.finditer(r"\bsuper::(\w+)", t):
                mock.add((me, m.group(1) if m.group(1) not in ("MockOptions","MockServer") else "mod"))
            for m in re.finditer(r"\buse super::\{([^}]*)\}", t):
                for item in re.findall(r"(?:^|,)\s*(\w+)", m.group(1)):
                    mock.add((me, item if item[0].islower() else "mod"))
            if me == "mod":
                for m in re.finditer(r"^\s*(?:pub )?(?:use|mod) (\w+)", t, re.M):
                    if m.group(1) not in ("std","jiff","tokio","crate","serde","axum"): mock.add(("mod", m.group(1)))
mods = {f[:-3] if f.endswith('.rs') else f for f in os.listdir(root)} - {"lib","main"}
edges = {(a,b) for a,b in edges if b in mods}
mfiles = {f[:-3] if f != "mod.rs" else "mod" for f in os.listdir(os.path.join(root,"mock"))}
mock = {(a,b) for a,b in mock if b in mfiles and a != b}
cyclic = False
def report(title, es):
    global cyclic
    print(f"== {title}: {len(es)} edges")
    by = {}
    for a,b in sorted(es): by.setdefault(a, []).append(b)
    for a in sorted(by): print(f"  {a} -> {', '.join(by[a])}")
    # cycles: strongly connected components
    nodes = {x for e in es for x in e}
    adj = {n: [b for a,b in es if a == n] for n in nodes}
    idx = {}; low = {}; st = []; on = set(); sccs = []; c = [0]
    def sc(v):
        idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
        for w in adj[v]:
            if w not in idx: sc(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            comp = []
            while True:
                w = st.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: sccs.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for n in sorted(nodes):
        if n not in idx: sc(n)
    print(f"  cycles (strongly connected groups): {sccs if sccs else 'none'}")
    cyclic = cyclic or bool(sccs)
report("top-level modules (crate::X)", edges)
report("inside src/mock (super::X)", mock)
sys.exit(1 if cyclic else 0)

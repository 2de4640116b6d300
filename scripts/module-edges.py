#!/usr/bin/env python3
"""Import edges of the crate, at two levels, and any cycle among them; exits 1 if there is one.

    scripts/module-edges.py [SRC_ROOT] [--edges]

SRC_ROOT defaults to ../src next to this script. `--edges` also lists every file-level edge.

What is read: product code only. The module tree is followed from the crate roots (lib.rs,
main.rs, bin/*.rs) through `mod x;` declarations; a file declared under `#[cfg(test)]` (e.g.
`#[cfg(test)] mod tests;`) is skipped with everything below it, and so is any item under
`#[cfg(test)]` (a `#[cfg(test)] mod tests { ... }` block up to its closing brace, a test-only
`use` or fn). `#[cfg(feature = "...")]` code is product code. Comments (`//`, `//!`, `///`,
`/* */`) and string and char literals are not read. A file no `mod` declares is not compiled,
and is not read either (listed as "not in the module tree").

What is an edge: a `use` (also `pub use`, `use a::{b, c::{d, e}}`, globs) or a path in code
(`crate::a::b::f()`, `super::x::Y`, `self::x`, `super::super::x`, `$crate::x` in macros,
`x::Y` where `x` is a child module or a name brought in by `use`) that names an item of
another file. A path is resolved through the module tree to the file that defines the item:
`crate::a::b::C` is src/a/b.rs (or src/a/b/mod.rs) when `b` is a module, else the file of
`a`; a name that a module only re-exports (`pub use inner::C;`, also a private `use`, and
globs) is followed to the file that defines it, so `use super::C` from a sibling is an edge to
the sibling that defines C, not to the mod.rs that re-exports it. Importing a module by name
(`use crate::store;`) is no edge by itself; its uses (`store::open()`) are. `#[macro_export]`
macros (`crate::tr!`) belong to the file that defines them. A path to an external crate (or
std, a generic parameter, ...) is no edge; a name not found inside a known module (say one a
macro generates) is taken to be defined in that module's file.

The one rule about the module tree: an edge from a module file to a file of its own
submodules (direct or deeper: src/store/mod.rs -> src/store/lock.rs, src/keymap.rs ->
src/keymap/parse.rs, lib.rs -> anything) is ignored, because a parent declaring, using and
re-exporting its children is the module tree, not an import. Edges the other way (a child
using `super::Thing` defined in its parent file) count. Cycles are reported among the
remaining edges.

Reported: per top-level module of src/, the top-level modules it uses (file edges between
files of different top-level modules; lib.rs and the binary left out), then the number of
product files and file edges, and every cycle (strongly connected group of more than one
file), each with the edges inside it (`file:line -> file  reference`). Every line about
cycles contains the word "cycles" (`.ci/run` greps for it).

A token scan, not a compiler: macro-generated items, items in textually scoped macros
(`macro_rules!` used without a path) and `#[path]` inside inline modules are not followed.
"""
import argparse
import os
import re
import sys
from collections import defaultdict

# ---------------------------------------------------------------- tokens

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[^\W\d]\w*", re.UNICODE)
NUMBER = re.compile(r"[0-9][0-9A-Za-z_]*")


def tokenize(text):
    """Tokens as (kind, value, line): kind is 'id', 'p' (punctuation, `::` is one), 'str',
    'lt' (lifetime) or 'num'. Comments are dropped; string/char literals become one token."""
    toks = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            line += text.count("\n", i, j)
            i = j
            continue
        # string prefixes: b"", r"", r#""#, br"", c"", cr""; raw identifiers r#name
        m = re.match(r"(b|c)?r(#*)\"", text[i:i + 300]) if c in "bcr" else None
        if m:
            hashes = m.group(2)
            start = i + m.end()
            end = text.find('"' + hashes, start)
            end = n if end < 0 else end + 1 + len(hashes)
            toks.append(("str", text[start:end - 1 - len(hashes)], line))
            line += text.count("\n", i, end)
            i = end
            continue
        if (c in "bc" and i + 1 < n and text[i + 1] == '"') or c == '"':
            j = i + (1 if c == '"' else 2)
            start = j
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            toks.append(("str", text[start:j], line))
            line += text.count("\n", i, j)
            i = j + 1
            continue
        if c == "b" and i + 1 < n and text[i + 1] == "'":
            i += 1
            c = "'"
        if c == "'":
            if i + 1 < n and text[i + 1] == "\\":
                j = i + 3
                if text[i + 2:i + 3] == "u":
                    j = text.find("}", i) + 1
                j = text.find("'", j)
                i = (n if j < 0 else j + 1)
                toks.append(("str", "", line))
                continue
            if i + 2 < n and text[i + 2] == "'" and text[i + 1] != "\n":
                toks.append(("str", text[i + 1], line))
                i += 3
                continue
            m = IDENT.match(text, i + 1)
            if m:
                toks.append(("lt", m.group(0), line))
                i = m.end()
                continue
            toks.append(("p", "'", line))
            i += 1
            continue
        if c == "r" and text.startswith("r#", i):
            m = IDENT.match(text, i + 2)
            if m:
                toks.append(("id", m.group(0), line))
                i = m.end()
                continue
        if c.isdigit():
            m = NUMBER.match(text, i)
            toks.append(("num", m.group(0), line))
            i = m.end()
            continue
        m = IDENT.match(text, i)
        if m:
            toks.append(("id", m.group(0), line))
            i = m.end()
            continue
        if text.startswith("::", i):
            toks.append(("p", "::", line))
            i += 2
            continue
        if c == "$" and text.startswith("$crate", i) and not IDENT.match(text, i + 6):
            toks.append(("id", "$crate", line))
            i += 6
            continue
        toks.append(("p", c, line))
        i += 1
    return toks


# ---------------------------------------------------------------- model

class Module:
    def __init__(self, crate, path, file):
        self.crate, self.path, self.file = crate, path, file
        self.children = set()   # child module names (product)
        self.defs = set()       # names of items defined here
        self.bindings = {}      # name -> Binding (use declarations)
        self.globs = []         # Binding of `use x::*`


class Binding:
    __slots__ = ("crate", "mod", "segs", "layers")

    def __init__(self, crate, mod, segs, layers=()):
        self.crate, self.mod, self.segs, self.layers = crate, mod, segs, layers


class Ref:
    __slots__ = ("file", "line", "crate", "mod", "segs", "layers", "kind")

    def __init__(self, file, line, crate, mod, segs, layers, kind):
        self.file, self.line, self.crate, self.mod = file, line, crate, mod
        self.segs, self.layers, self.kind = segs, layers, kind


DEF_KW = {"fn", "struct", "enum", "union", "trait", "type", "const", "static"}
ITEM_KW = DEF_KW | {"mod", "impl", "use", "extern", "macro_rules", "unsafe", "async", "let"}
BRACE_ITEM_KW = {"fn", "struct", "enum", "union", "trait", "impl", "mod", "macro_rules",
                 "extern", "unsafe", "async"}


def cfg_requires_test(toks):
    """toks: the tokens inside #[ ... ]. True if it is a cfg that only holds under test."""
    vals = [t[1] for t in toks]
    if len(vals) < 3 or vals[0] != "cfg" or vals[1] != "(":
        return False
    pos = [2]

    def pred():
        if pos[0] >= len(vals):
            return False
        name = vals[pos[0]]
        pos[0] += 1
        if pos[0] < len(vals) and vals[pos[0]] == "(":
            pos[0] += 1
            args = []
            while pos[0] < len(vals) and vals[pos[0]] != ")":
                args.append(pred())
                if pos[0] < len(vals) and vals[pos[0]] == ",":
                    pos[0] += 1
            pos[0] += 1
            if name == "all":
                return any(args)
            if name == "any":
                return bool(args) and all(args)
            return False  # not(...) and others
        if pos[0] < len(vals) and vals[pos[0]] == "=":
            pos[0] += 2
            return False
        return name == "test"

    return pred()


class FileScan:
    """Pass 1 over one file: module-level facts (children, defs, bindings) and references."""

    def __init__(self, crate, mod, file, text, modules, macro_exports):
        self.crate, self.mod, self.file = crate, mod, file
        self.t = tokenize(text)
        self.modules, self.macro_exports = modules, macro_exports
        self.refs = []
        self.declared = []       # (name, inline chain, path attr) of product `mod x;`
        self.test_declared = []  # names of `#[cfg(test)] mod x;`
        self.test_only = False

    def v(self, i):
        return self.t[i][1] if 0 <= i < len(self.t) else None

    def k(self, i):
        return self.t[i][0] if 0 <= i < len(self.t) else None

    def close(self, i):
        """Index after the group opened at i."""
        depth = 0
        while i < len(self.t):
            if self.k(i) == "p":
                if self.v(i) in "([{":
                    depth += 1
                elif self.v(i) in ")]}":
                    depth -= 1
                    if depth == 0:
                        return i + 1
            i += 1
        return i

    def skip_item(self, i):
        """Index after the item (or field, statement, arm) starting at i, for cfg(test)."""
        j = i
        if self.v(j) == "pub":
            j += 1
            if self.v(j) == "(":
                j = self.close(j)
        first = self.v(j)
        if first == "mod" and self.k(j + 1) == "id" and self.v(j + 2) == ";":
            self.test_declared.append(self.v(j + 1))
            return j + 3
        if first == "{":
            return self.close(j)
        item = first in ITEM_KW
        braced = first in BRACE_ITEM_KW
        depth, k = 0, j
        while k < len(self.t):
            val = self.v(k) if self.k(k) == "p" else None
            if val in ("(", "[", "{"):
                depth += 1
            elif val in (")", "]", "}"):
                if depth == 0:
                    return k
                depth -= 1
                if depth == 0 and val == "}" and braced:
                    return k + 1
            elif depth == 0 and val == ";":
                return k + 1
            elif depth == 0 and val == "," and not item:
                return k + 1
            k += 1
        return k

    def parse_use(self, i):
        """i at the token after `use`. Returns (leaves, index after `;`); a leaf is
        (segs, alias or None, is_glob, line)."""
        leaves = []

        def tree(i, prefix):
            segs = list(prefix)
            if self.v(i) == "::":
                if not segs:
                    segs.append("::")
                i += 1
            while True:
                kind, val = self.k(i), self.v(i)
                if kind == "id":
                    segs.append(val)
                    i += 1
                    if self.v(i) == "::":
                        i += 1
                        continue
                    alias = None
                    if self.v(i) == "as":
                        alias = self.v(i + 1)
                        i += 2
                    if segs[-1] == "self" and len(segs) > 1:
                        segs.pop()
                        alias = alias or segs[-1]
                    leaves.append((segs, alias if alias else segs[-1], False, self.t[i - 1][2]))
                    return i
                if val == "*":
                    leaves.append((segs, None, True, self.t[i][2]))
                    return i + 1
                if val == "{":
                    i += 1
                    while self.v(i) not in ("}", None, ";"):
                        i = tree(i, segs)
                        if self.v(i) == ",":
                            i += 1
                    return i + 1
                return i + 1  # unexpected token: give up on this branch

        i = tree(i, [])
        while i < len(self.t) and self.v(i) != ";":
            i += 1
        return leaves, i + 1

    def run(self):
        t = self.t
        root = self.modules[(self.crate, self.mod)]
        # frames: (kind, module or None, layer dict)
        stack = [("mod", root, None)]
        inline = []              # names of inline modules we are in
        attrs = []
        i = 0
        first_item = True
        while i < len(t):
            kind, val, line = t[i]
            cur = next(f[1] for f in reversed(stack) if f[0] == "mod")
            at_mod = stack[-1][0] == "mod"
            layers = tuple(f[2] for f in stack if f[0] == "block")
            if val == "#" and kind == "p" and self.v(i + 1) in ("[", "!"):
                inner = self.v(i + 1) == "!"
                start = i + (2 if inner else 1)
                end = self.close(start)
                body = t[start + 1:end - 1]
                if inner:
                    if cfg_requires_test(body) and first_item and len(stack) == 1:
                        self.test_only = True
                        return
                else:
                    attrs.append(body)
                i = end
                continue
            first_item = False
            if attrs:
                test = any(cfg_requires_test(a) for a in attrs)
                path_attr = None
                for a in attrs:
                    if len(a) == 3 and a[0][1] == "path" and a[1][1] == "=" and a[2][0] == "str":
                        path_attr = a[2][1]
                exported = any(a and a[0][1] == "macro_export" for a in attrs)
                attrs = []
                if test:
                    i = self.skip_item(i)
                    continue
            else:
                path_attr = None
                exported = False
            if kind == "id" and val == "use" and self.v(i - 1) != "::":
                leaves, i = self.parse_use(i + 1)
                for segs, alias, glob, ln in leaves:
                    b = Binding(self.crate, cur.path, segs, layers)
                    if glob:
                        if at_mod:
                            cur.globs.append(b)
                    elif alias and alias != "_":
                        if at_mod:
                            cur.bindings[alias] = b
                        else:
                            stack[-1][2][alias] = b
                    self.refs.append(Ref(self.file, ln, self.crate, cur.path, segs, layers,
                                         "glob" if glob else "use"))
                continue
            if kind == "id" and val == "mod" and self.k(i + 1) == "id" and self.v(i - 1) != "::":
                name = self.v(i + 1)
                if self.v(i + 2) == ";":
                    cur.children.add(name)
                    self.declared.append((cur.path + (name,), tuple(inline), path_attr))
                    i += 3
                    continue
                if self.v(i + 2) == "{":
                    cur.children.add(name)
                    sub = Module(self.crate, cur.path + (name,), self.file)
                    self.modules[(self.crate, sub.path)] = sub
                    stack.append(("mod", sub, None))
                    inline.append(name)
                    i += 3
                    continue
            if at_mod and kind == "id" and val in DEF_KW and self.v(i - 1) != "::":
                j = i + 1
                if val == "static" and self.v(j) == "mut":
                    j += 1
                if self.k(j) == "id" and self.v(j) not in ("fn", "_"):
                    cur.defs.add(self.v(j))
            if at_mod and kind == "id" and val == "macro_rules" and self.v(i + 1) == "!":
                name = self.v(i + 2)
                cur.defs.add(name)
                if exported:  # #[macro_export]: the macro is named at the crate root
                    self.macro_exports.setdefault(self.crate, {}).setdefault(name, self.file)
            if kind == "p" and val == "{":
                stack.append(("block", None, {}))
                i += 1
                continue
            if kind == "p" and val == "}":
                if len(stack) > 1:
                    if stack.pop()[0] == "mod":
                        inline.pop()
                i += 1
                continue
            if kind == "id" and self.v(i - 1) not in ("::", ".") and self.v(i + 1) == "::" \
                    and self.k(i + 2) == "id" and val != "Self":
                if self.v(i - 1) == "in" and self.v(i - 2) == "(" and self.v(i - 3) == "pub":
                    i += 1
                    continue
                segs = [val]
                j = i + 1
                while self.v(j) == "::" and self.k(j + 1) == "id":
                    segs.append(self.v(j + 1))
                    j += 2
                self.refs.append(Ref(self.file, line, self.crate, cur.path, segs, layers, "code"))
                i = j
                continue
            i += 1


# ---------------------------------------------------------------- crate

class Crate:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.modules = {}          # (crate, path) -> Module
        self.file_mod = {}         # file -> (crate, path)
        self.scans = {}            # file -> FileScan
        self.macro_exports = {}    # crate -> name -> file
        self.test_files = set()
        self.missing = []
        self.libname = self._libname()

    def _libname(self):
        cargo = os.path.join(self.root, "..", "Cargo.toml")
        name = None
        try:
            section = None
            for ln in open(cargo, encoding="utf-8"):
                s = ln.strip()
                if s.startswith("["):
                    section = s
                m = re.match(r'name\s*=\s*"([^"]+)"', s)
                if m and section in ("[package]", "[lib]"):
                    if section == "[lib]" or name is None:
                        name = m.group(1)
        except OSError:
            pass
        return name.replace("-", "_") if name else None

    def rel(self, f):
        return os.path.relpath(f, self.root).replace(os.sep, "/")

    def load(self):
        roots = []
        if os.path.exists(os.path.join(self.root, "lib.rs")):
            roots.append(("lib", os.path.join(self.root, "lib.rs")))
        if os.path.exists(os.path.join(self.root, "main.rs")):
            roots.append(("main", os.path.join(self.root, "main.rs")))
        bindir = os.path.join(self.root, "bin")
        if os.path.isdir(bindir):
            for f in sorted(os.listdir(bindir)):
                if f.endswith(".rs"):
                    roots.append(("bin:" + f[:-3], os.path.join(bindir, f)))
                elif os.path.exists(os.path.join(bindir, f, "main.rs")):
                    roots.append(("bin:" + f, os.path.join(bindir, f, "main.rs")))
        if not roots:
            sys.exit(f"module-edges: no lib.rs or main.rs in {self.root}")
        todo = [(crate, (), f, True) for crate, f in roots]
        while todo:
            crate, path, f, modrs = todo.pop()
            if f in self.file_mod:
                continue
            mod = Module(crate, path, f)
            self.modules[(crate, path)] = mod
            self.file_mod[f] = (crate, path)
            scan = FileScan(crate, path, f, open(f, encoding="utf-8").read(), self.modules,
                            self.macro_exports)
            scan.run()
            if scan.test_only:
                del self.file_mod[f]
                self.test_files.add(f)
                mod.children.clear()
                continue
            self.scans[f] = scan
            base = os.path.dirname(f) if modrs else os.path.splitext(f)[0]
            for sub, chain, path_attr in scan.declared:
                d = os.path.join(base, *chain)
                if path_attr and not chain:
                    cands = [os.path.join(os.path.dirname(f), path_attr)]
                    child_modrs = True
                else:
                    cands = [os.path.join(d, sub[-1] + ".rs"), os.path.join(d, sub[-1], "mod.rs")]
                    child_modrs = None
                found = [c for c in cands if os.path.exists(c)]
                if not found:
                    self.missing.append((self.rel(f), "::".join(sub)))
                    continue
                c = os.path.normpath(found[0])
                todo.append((crate, sub, c, child_modrs or os.path.basename(c) == "mod.rs"))
            for name in scan.test_declared:
                for c in (os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")):
                    if os.path.exists(c):
                        self._mark_test(os.path.normpath(c))
        self.all_files = set()
        for d, _, fs in os.walk(self.root):
            for x in fs:
                if x.endswith(".rs"):
                    self.all_files.add(os.path.normpath(os.path.join(d, x)))
        # a file declared under cfg(test) may also have been reached some other way: test wins
        for f in self.test_files:
            self.file_mod.pop(f, None)
            self.scans.pop(f, None)

    def _mark_test(self, f):
        self.test_files.add(f)
        # everything in the directory below a test-only module is test-only too
        base = os.path.dirname(f) if os.path.basename(f) == "mod.rs" else os.path.splitext(f)[0]
        if os.path.isdir(base):
            for d, _, fs in os.walk(base):
                for x in fs:
                    if x.endswith(".rs"):
                        self.test_files.add(os.path.normpath(os.path.join(d, x)))

    # -------------------------------------------------------- resolution
    # A result is (crate, module path, is_module): the module whose file holds the item
    # (is_module False) or the module named by the whole path (is_module True); None for a
    # path outside the crate.

    def resolve(self, crate, mod, segs, layers=(), seen=None):
        seen = set() if seen is None else seen
        if not segs:
            return None
        first = segs[0]
        if first == "::":
            return None
        if first == "crate":
            return self.walk(crate, (), segs[1:], False, seen)
        if first == "$crate":
            return self.walk("lib", (), segs[1:], False, seen)
        if first in ("self", "super"):
            m, i = mod, (1 if first == "self" else 0)
            while i < len(segs) and segs[i] == "super":
                if not m:
                    return None
                m, i = m[:-1], i + 1
            return self.walk(crate, m, segs[i:], False, seen)
        if crate != "lib" and first == self.libname and ("lib", ()) in self.modules:
            return self.walk("lib", (), segs[1:], False, seen)
        for layer in reversed(layers):
            if first in layer:
                b = layer[first]
                key = ("layer", id(layer), first)
                if key in seen:
                    return None
                seen.add(key)
                return self.resolve(b.crate, b.mod, b.segs + segs[1:], b.layers, seen)
        return self.walk(crate, mod, segs, True, seen)

    def lookup(self, crate, mod, name, seen):
        """Where `name` in module `mod` leads: ('child',) / ('def',) / ('via', Binding) /
        ('glob', module path) / None."""
        m = self.modules.get((crate, mod))
        if m is None:
            return None
        if name in m.children and (crate, mod + (name,)) in self.modules:
            return ("child",)
        if name in m.bindings:
            return ("via", m.bindings[name])
        if name in m.defs:
            return ("def",)
        if not mod and name in self.macro_exports.get(crate, {}):
            return ("macro", self.macro_exports[crate][name])
        for g in m.globs:
            key = ("glob", crate, mod, id(g), name)
            if key in seen:
                continue
            seen.add(key)
            r = self.resolve(g.crate, g.mod, g.segs, g.layers, seen)
            if r and r[2] and self.lookup(r[0], r[1], name, seen):
                return ("glob", r[0], r[1])
        return None

    def walk(self, crate, mod, segs, bare, seen):
        if (crate, mod) not in self.modules:
            return None
        for idx, name in enumerate(segs):
            hit = self.lookup(crate, mod, name, seen)
            if hit is None:
                if bare and idx == 0:
                    return None  # an extern crate, std, a generic parameter, ...
                return (crate, mod, False)
            bare = False
            if hit[0] == "child":
                mod = mod + (name,)
                continue
            if hit[0] == "def":
                return (crate, mod, False)
            if hit[0] == "macro":
                return ("file", hit[1], False)
            if hit[0] == "via":
                b = hit[1]
                key = ("via", crate, mod, name)
                if key in seen:
                    return (crate, mod, False)
                seen.add(key)
                return self.resolve(b.crate, b.mod, b.segs + list(segs[idx + 1:]), b.layers,
                                    seen)
            if hit[0] == "glob":
                return self.walk(hit[1], hit[2], segs[idx:], False, seen)
        return (crate, mod, True)

    def file_of(self, r):
        if r[0] == "file":
            return r[1]
        m = self.modules.get((r[0], r[1]))
        return m.file if m else None

    # -------------------------------------------------------- edges

    def edges(self):
        """{(from file, to file): [(line, reference text), ...]} and the ignored count."""
        out = defaultdict(list)
        ignored = set()
        for f, scan in self.scans.items():
            fcrate, fmod = self.file_mod[f]
            for ref in scan.refs:
                r = self.resolve(ref.crate, ref.mod, ref.segs, ref.layers)
                if r is None:
                    continue
                if r[2] and ref.kind != "glob":
                    continue  # names a module, uses nothing of it by itself
                g = self.file_of(r)
                if g is None or g == f or g not in self.file_mod:
                    continue
                gcrate, gmod = self.file_mod[g]
                if gcrate == fcrate and gmod[:len(fmod)] == fmod and len(gmod) > len(fmod):
                    ignored.add((f, g))
                    continue
                text = "::".join(ref.segs) + ("::*" if ref.kind == "glob" else "")
                if ref.kind != "code":
                    text = "use " + text
                out[(f, g)].append((ref.line, text))
        return out, len(ignored)


def sccs(nodes, es):
    """Strongly connected groups of more than one node (iterative Tarjan)."""
    adj = defaultdict(list)
    for a, b in es:
        adj[a].append(b)
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(adj[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            pushed = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(adj[w]))))
                    pushed = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if pushed:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src", nargs="?",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    ap.add_argument("--edges", action="store_true", help="also list every file-level edge")
    args = ap.parse_args(argv)
    c = Crate(args.src)
    c.load()
    fedges, ignored = c.edges()
    cyclic = False

    # top-level modules
    def top(f):
        crate, path = c.file_mod[f]
        return path[0] if crate == "lib" and path else None

    tedges = {(top(a), top(b)) for a, b in fedges}
    tedges = {(a, b) for a, b in tedges if a and b and a != b}
    print(f"== top-level modules (crate::X): {len(tedges)} edges")
    by = defaultdict(list)
    for a, b in sorted(tedges):
        by[a].append(b)
    for a in sorted(by):
        print(f"  {a} -> {', '.join(by[a])}")
    groups = sccs({x for e in tedges for x in e}, tedges)
    print(f"  cycles (strongly connected groups): {groups if groups else 'none'}")
    cyclic = cyclic or bool(groups)

    # files
    files = set(c.file_mod)
    print(f"== files (whole crate, product code): {len(files)} files, {len(fedges)} edges "
          f"({ignored} from a module file to its own submodules ignored; "
          f"{len(c.test_files)} test-only files skipped)")
    for f, name in c.missing:
        print(f"  warning: {f} declares `mod {name}` but no file for it was found")
    stray = sorted(c.rel(f) for f in c.all_files - files - c.test_files)
    if stray:
        print(f"  not in the module tree (not read): {', '.join(stray)}")
    if args.edges:
        for (a, b), why in sorted(fedges.items()):
            line, text = why[0]
            print(f"  {c.rel(a)}:{line} -> {c.rel(b)}  {text}")
    groups = sccs(files, set(fedges))
    print(f"  file cycles (strongly connected groups): {len(groups) if groups else 'none'}")
    for n, g in enumerate(groups, 1):
        names = [c.rel(f) for f in g]
        title = " <-> ".join(names) if len(g) == 2 else ", ".join(names)
        print(f"  cycles[{n}]: {title}")
        for a in g:
            for b in g:
                for line, text in fedges.get((a, b), [])[:3]:
                    print(f"  cycles[{n}]   {c.rel(a)}:{line} -> {c.rel(b)}  {text}")
    cyclic = cyclic or bool(groups)
    return 1 if cyclic else 0


if __name__ == "__main__":
    sys.exit(main())

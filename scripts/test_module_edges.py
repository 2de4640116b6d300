#!/usr/bin/env python3
"""Tests for scripts/module-edges.py on small fake crates in temp dirs (stdlib only).

    python3 -m unittest scripts/test_module_edges.py      # or: python3 scripts/test_module_edges.py
"""
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "module-edges.py")


class ModuleEdges(unittest.TestCase):
    def run_on(self, files, *args):
        """files: {path under src/: text}. Returns (exit code, stdout)."""
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            for rel, text in files.items():
                path = os.path.join(src, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(textwrap.dedent(text))
            p = subprocess.run([sys.executable, SCRIPT, src, *args], capture_output=True,
                               text=True)
        self.assertEqual(p.stderr, "")
        return p.returncode, p.stdout

    def file_cycles(self, out):
        """The title line of each file-level cycle."""
        return [ln for ln in out.splitlines() if ln.startswith("  cycles[") and "]:" in ln]

    def assert_no_cycle(self, files, *args):
        code, out = self.run_on(files, *args)
        self.assertEqual(code, 0, out)
        self.assertIn("file cycles (strongly connected groups): none", out)
        return out

    def assert_cycle(self, files, *names):
        code, out = self.run_on(files)
        self.assertEqual(code, 1, out)
        cycles = self.file_cycles(out)
        self.assertTrue(any(all(n in ln for n in names) for ln in cycles), out)
        return out

    # ------------------------------------------------------------------ cycles found

    def test_two_file_cycle_via_crate_paths(self):
        out = self.assert_cycle({
            "lib.rs": "pub mod m;\n",
            "m/mod.rs": "mod a;\nmod b;\n",
            "m/a.rs": "use crate::m::b::Y;\npub struct X;\nfn f(_: Y) {}\n",
            "m/b.rs": "use crate::m::a::X;\npub struct Y;\nfn g(_: X) {}\n",
        }, "m/a.rs <-> m/b.rs")
        self.assertIn("m/a.rs:1 -> m/b.rs  use crate::m::b::Y", out)
        self.assertIn("m/b.rs:1 -> m/a.rs  use crate::m::a::X", out)

    def test_top_level_cycle_is_reported_at_both_levels(self):
        out = self.assert_cycle({
            "lib.rs": "pub mod a;\npub mod b;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": "pub struct Y;\npub fn g() -> crate::a::X { crate::a::X }\n",
        }, "a.rs <-> b.rs")
        self.assertIn("  cycles (strongly connected groups): [['a', 'b']]", out)

    def test_cycle_via_super_between_siblings(self):
        self.assert_cycle({
            "lib.rs": "mod store;\n",
            "store/mod.rs": "mod one;\nmod two;\n",
            "store/one.rs": "pub fn f() { super::two::g() }\n",
            "store/two.rs": "use super::one;\npub fn g() { one::f() }\n",
        }, "store/one.rs <-> store/two.rs")

    def test_cycle_through_reexport_of_the_parent(self):
        # `super::Y` names what mod.rs re-exports from b.rs: the edge goes to b.rs
        self.assert_cycle({
            "lib.rs": "mod m;\n",
            "m/mod.rs": "mod a;\nmod b;\npub use a::X;\npub use b::Y;\n",
            "m/a.rs": "use super::Y;\npub struct X;\n",
            "m/b.rs": "use super::{X, helper};\npub struct Y;\n",
        }, "m/a.rs <-> m/b.rs")

    def test_nested_brace_imports(self):
        self.assert_cycle({
            "lib.rs": "mod x;\nmod v;\n",
            "x/mod.rs": "pub mod y;\n",
            "x/y/mod.rs": "pub mod z;\npub mod w;\n",
            "x/y/z.rs": "pub struct Z;\n",
            "x/y/w.rs": "use crate::v::V;\npub struct W;\n",
            "v.rs": "use crate::x::{y::{z::Z, w::W}, y};\npub struct V;\n",
        }, "v.rs <-> x/y/w.rs")

    def test_non_mod_rs_layout(self):
        # src/k.rs with src/k/a.rs: super of k/a.rs is module k (k.rs); self of k.rs is k/
        self.assert_cycle({
            "lib.rs": "mod k;\n",
            "k.rs": "mod a;\nmod b;\n",
            "k/a.rs": "pub fn f() { super::b::g() }\n",
            "k/b.rs": "pub fn g() { crate::k::a::f() }\n",
        }, "k/a.rs <-> k/b.rs")

    def test_inline_module_super_is_the_file(self):
        # inside `mod inner { }` of m/a.rs, super is m::a and super::super is m
        self.assert_cycle({
            "lib.rs": "mod m;\n",
            "m/mod.rs": "mod a;\nmod b;\n",
            "m/a.rs": "pub fn f() {}\nmod inner {\n    fn h() { super::super::b::g() }\n}\n",
            "m/b.rs": "pub fn g() { super::a::f() }\n",
        }, "m/a.rs <-> m/b.rs")

    def test_product_code_after_a_test_module_counts(self):
        self.assert_cycle({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": textwrap.dedent("""\
                pub struct Y;
                #[cfg(test)]
                mod tests {
                    fn t() { let c = '{'; }
                }
                pub fn after() -> crate::a::X { crate::a::X }
                """),
        }, "a.rs <-> b.rs")

    # ------------------------------------------------------------------ no false edges

    def test_comments_and_strings_make_no_edge(self):
        out = self.assert_no_cycle({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": textwrap.dedent('''\
                //! Module doc naming [`crate::a::X`].
                // use crate::a::X;
                /// See [`crate::a::X`] and super::a::X.
                /* crate::a::X /* nested crate::a::X */ crate::a::X */
                pub struct Y;
                pub fn s() -> &'static str { "crate::a::X" }
                pub fn r() -> &'static str { r#"use crate::a::X;"# }
                pub fn c() -> char { '"' }
                pub fn e() -> &'static str { "\\"crate::a::X\\"" }
                '''),
        }, "--edges")
        self.assertIn("a.rs:1 -> b.rs  use crate::b::Y", out)
        self.assertNotIn("b.rs:", out.replace("-> b.rs", ""))

    def test_cfg_test_block_makes_no_edge(self):
        self.assert_no_cycle({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": textwrap.dedent("""\
                pub struct Y;

                #[cfg(test)]
                mod tests {
                    use super::*;
                    use crate::a::X;
                    fn t() { let _ = crate::a::X; }
                }
                """),
        })

    def test_cfg_test_items_make_no_edge(self):
        self.assert_no_cycle({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": textwrap.dedent("""\
                #[cfg(test)]
                use crate::a::X;
                pub struct Y;
                #[cfg(all(test, unix))]
                fn helper() -> crate::a::X { crate::a::X }
                """),
        })

    def test_file_declared_under_cfg_test_is_skipped(self):
        out = self.assert_no_cycle({
            "lib.rs": "mod m;\n",
            "m/mod.rs": "mod a;\nmod b;\n#[cfg(test)]\nmod tests;\n",
            "m/a.rs": "use super::b::Y;\npub struct X;\n",
            "m/b.rs": "pub struct Y;\n",
            "m/tests.rs": "use super::a::X;\nuse crate::m::b::Y;\n",
        })
        self.assertIn("1 test-only files skipped", out)

    def test_feature_gated_code_is_product_code(self):
        self.assert_cycle({
            "lib.rs": "mod a;\n#[cfg(feature = \"testing\")]\nmod b;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": "#[cfg(any(test, feature = \"testing\"))]\nuse crate::a::X;\npub struct Y;\n",
        }, "a.rs <-> b.rs")

    def test_parent_using_its_child_is_not_a_cycle(self):
        out = self.assert_no_cycle({
            "lib.rs": "pub mod m;\npub use m::Thing;\n",
            "m/mod.rs": textwrap.dedent("""\
                mod child;
                pub use child::Thing;
                pub struct Shared;
                pub fn run() { child::go(); self::child::go(); }
                """),
            "m/child.rs": "use super::Shared;\npub struct Thing;\npub fn go() { let _ = Shared; }\n",
        }, "--edges")
        # the child's use of its parent is an edge; the parent's uses of the child are not
        self.assertIn("m/child.rs:1 -> m/mod.rs  use super::Shared", out)
        self.assertNotIn("m/mod.rs:", out)
        self.assertIn("from a module file to its own submodules ignored", out)

    def test_importing_a_module_name_alone_is_no_edge(self):
        self.assert_no_cycle({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": "#[allow(unused_imports)]\nuse crate::a;\npub struct Y;\n",
        })

    def test_external_crates_make_no_edge(self):
        self.assert_no_cycle({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": "use std::fmt;\nuse serde::Serialize;\npub struct Y;\n"
                    "fn f() -> fmt::Result { a::b() }\n",
        })

    def test_acyclic_crate_exits_0(self):
        out = self.assert_no_cycle({
            "lib.rs": "pub mod a;\npub mod b;\npub mod c;\n",
            "a.rs": "use crate::b::Y;\nuse crate::c::{self, Z};\npub fn f() { c::z(); }\n",
            "b.rs": "use crate::c::Z;\npub struct Y(Z);\n",
            "c.rs": "pub struct Z;\npub fn z() {}\n",
        })
        self.assertIn("  cycles (strongly connected groups): none", out)
        self.assertIn("4 files, 3 edges", out)

    def test_every_cycle_line_says_cycles(self):
        # .ci/run keeps only the lines with "cycles"
        code, out = self.run_on({
            "lib.rs": "mod a;\nmod b;\nmod c;\n",
            "a.rs": "use crate::b::Y;\npub struct X;\n",
            "b.rs": "use crate::c::Z;\npub struct Y;\n",
            "c.rs": "use crate::a::X;\npub struct Z;\n",
        })
        self.assertEqual(code, 1)
        grepped = [ln for ln in out.splitlines() if "cycles" in ln.lower()]
        text = "\n".join(grepped)
        for name in ("a.rs", "b.rs", "c.rs", "use crate::c::Z"):
            self.assertIn(name, text)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""selftest.py COMPILER: the extractor's own tests, on the Markdown files of fixtures/.

It must accept good.md (and its blocks must compile with the project's warnings), refuse each bad
file naming the file and line, and generate from bad_block.md units whose errors name bad_block.md
and its lines (through #line). Standard library only.
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
COMPILER = "c++"
FLAGS = ["-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wshadow",
         "-Wmissing-declarations", "-fsyntax-only"]


def extract(*args):
    command = [sys.executable, os.path.join(HERE, "extract.py"), "--root", FIXTURES,
               "--contexts", os.path.join(FIXTURES, "contexts"), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=FIXTURES)


def compile_unit(path):
    return subprocess.run([COMPILER, *FLAGS, path], capture_output=True, text=True, cwd=FIXTURES)


class Extractor(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="doctest-selftest-")

    def units(self):
        return sorted(f for f in os.listdir(self.out) if f.endswith(".cpp"))

    def test_good_file_is_accepted_and_its_blocks_compile(self):
        run = extract("--out", self.out, "good.md")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(self.units(), ["good_md_00.cpp", "good_md_01.cpp"])  # the skip is not
        self.assertIn("good.md: 2 cpp block(s) compiled, 1 skipped", run.stdout)
        self.assertIn("SKIP good.md:20: shows an error on purpose", run.stdout)
        for unit in self.units():
            result = compile_unit(os.path.join(self.out, unit))
            self.assertEqual(result.returncode, 0, unit + "\n" + result.stderr)

    def test_bad_files_are_refused_naming_file_and_line(self):
        expected = {
            "unknown_context.md": "unknown_context.md:4: unknown doctest context 'no_such_context'",
            "malformed.md": "malformed.md:3: malformed doctest comment",
            "dangling.md": "dangling.md:3: doctest comment not followed by a ```cpp block",
            "tag_cplusplus.md": "tag_cplusplus.md:3: code block tagged 'c++'",
            "untagged_cpp.md": "untagged_cpp.md:3: untagged code block that looks like C++",
            "relaxes_too_much.md": "relaxes_too_much.md:4: doctest context 'fx_relaxes_too_much' "
                                   "is not valid",
        }
        for name, message in expected.items():
            with self.subTest(name):
                run = extract("--out", self.out, name)
                self.assertEqual(run.returncode, 1, run.stdout)
                self.assertIn(message, run.stderr)
                self.assertEqual(self.units(), [])
        run = extract("--check", "braced_co_await.md")
        self.assertEqual(run.returncode, 1, run.stdout)
        for line in (4, 6, 7):
            self.assertIn(f"braced_co_await.md:{line}: braced list inside a co_await expression",
                          run.stderr)
        self.assertEqual(run.stderr.count("braced list"), 3)
        run = extract("--check", "co_await_ok.md")
        self.assertEqual(run.returncode, 0, run.stderr)
        run = extract("--check", "relaxes_too_much.md")
        self.assertIn("contexts/fx_relaxes_too_much.cpp:2: a context may only ignore", run.stderr)

    def test_a_block_that_does_not_compile_fails_at_its_markdown_line(self):
        run = extract("--out", self.out, "bad_block.md")
        self.assertEqual(run.returncode, 0, run.stderr)
        whole, fragment = self.units()
        result = compile_unit(os.path.join(self.out, whole))  # a warning, made an error
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("bad_block.md:5:", result.stderr)
        self.assertIn("unused", result.stderr)
        result = compile_unit(os.path.join(self.out, fragment))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("bad_block.md:11:", result.stderr)

    def test_stale_units_are_removed(self):
        self.assertEqual(extract("--out", self.out, "good.md", "bad_block.md").returncode, 0)
        self.assertEqual(len(self.units()), 4)
        self.assertEqual(extract("--out", self.out, "good.md").returncode, 0)
        self.assertEqual(self.units(), ["good_md_00.cpp", "good_md_01.cpp"])

    def test_sh_blocks_are_parsed_with_bash(self):
        run = extract("--check-sh", "good.md")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("1 sh block(s) checked", run.stdout)
        run = extract("--check-sh", "bad_sh.md")
        self.assertEqual(run.returncode, 1)
        self.assertIn("bad_sh.md:3: sh block does not parse", run.stderr)
        self.assertIn("bad_sh.md:5:", run.stderr)  # bash's own message, at the .md's line


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        COMPILER = sys.argv.pop(1)
    unittest.main(verbosity=2)

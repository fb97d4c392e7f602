#!/usr/bin/env python3
"""Extracts the code blocks of Markdown files for the doc-test (tests/doctest/README.md).

  extract.py --root SRC --contexts DIR --out DIR FILE.md...   write one .cpp per ```cpp block
  extract.py --root SRC --contexts DIR --check FILE.md...     parse and report only
  extract.py --root SRC --check-sh FILE.md...                 run `bash -n` on each ```sh block

Every error names the Markdown file and line and makes the exit status 1. Standard library only.
"""

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,})\s*(?P<info>[^`]*)$")
DOCTEST_START = re.compile(r"^\s*<!--\s*doctest")
COMMENT = re.compile(r"^\s*<!--\s*doctest\b(?P<body>.*?)-->\s*$")
DIRECTIVE = re.compile(
    r"^:\s*(?:context=(?P<context>[A-Za-z0-9_]+)|skip\s+(?P<reason>\S.*?))\s*$")
CPP_LOOKING = re.compile(r"co_await|co_return|^\s*#\s*include\b", re.MULTILINE)
NOT_CPP_TAGS = {"c++", "cxx", "cc", "c", "h", "hpp", "cplusplus"}
SH_TAGS = {"sh", "bash", "shell"}
KIND = re.compile(r"^// doctest-kind: (statements|declarations)\s*$")
PLACEHOLDER = "// @BLOCK@"
INCLUDE = re.compile(r"^\s*#\s*include\b")
# What a context may relax, for fragments: results a block does not use, functions without headers.
PRAGMA = re.compile(r"^\s*#\s*pragma\s+(?:GCC|clang)\s+diagnostic\b(?P<rest>.*)$")
RELAXABLE = {"-Wunused-variable", "-Wunused-but-set-variable", "-Wmissing-declarations"}


class DocError(Exception):
    pass


@dataclass
class Block:
    path: str  # relative to the root, as compilers will print it
    line: int  # of the opening fence
    tag: str
    lines: list  # the code, the fence's indentation removed
    context: str = None
    skip: str = None
    index: int = 0  # among the file's cpp blocks

    @property
    def first(self):  # line number of the first code line
        return self.line + 1


@dataclass
class Context:
    name: str
    path: str
    kind: str
    before: list = field(default_factory=list)
    after: list = field(default_factory=list)
    after_line: int = 0


DANGLING = "doctest comment not followed by a ```cpp block"


def parse_markdown(text, path):
    """The file's fenced blocks, with their doctest comments; raises DocError on a bad file."""
    blocks, errors = [], []
    pending = None  # (line, directive match) of a doctest comment waiting for its block
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line, number = lines[i], i + 1
        fence = FENCE.match(line)
        if DOCTEST_START.match(line):
            if pending:
                errors.append(f"{path}:{pending[0]}: {DANGLING}")
            pending = parse_comment(line, path, number, errors)
        elif fence:
            end = closing_fence(lines, i, fence)
            if end is None:
                errors.append(f"{path}:{number}: code block never closed")
                break
            blocks.append(make_block(path, number, fence, lines[i + 1:end], pending, errors))
            pending, i = None, end
        elif line.strip() and pending:
            errors.append(f"{path}:{pending[0]}: {DANGLING}")
            pending = None
        i += 1
    if pending:
        errors.append(f"{path}:{pending[0]}: {DANGLING}")
    if errors:
        raise DocError("\n".join(errors))
    for index, block in enumerate(b for b in blocks if b.tag == "cpp"):
        block.index = index
    return blocks


def parse_comment(line, path, number, errors):
    comment = COMMENT.match(line)
    directive = DIRECTIVE.match(comment.group("body")) if comment else None
    if directive:
        return (number, directive)
    errors.append(f"{path}:{number}: malformed doctest comment {line.strip()!r}; expected "
                  "<!-- doctest: context=NAME --> or <!-- doctest: skip REASON -->")
    return None


def make_block(path, number, fence, raw, pending, errors):
    indent = len(fence.group("indent"))
    body = [l[indent:] if l[:indent].strip() == "" else l for l in raw]
    info = fence.group("info").split()
    block = Block(path, number, info[0] if info else "", body)
    if pending and block.tag != "cpp":
        errors.append(f"{path}:{pending[0]}: doctest comment before a block tagged "
                      f"{block.tag or '(none)'}, not cpp")
    elif pending:
        block.context = pending[1].group("context")
        block.skip = pending[1].group("reason")
    check_tag(block, errors)
    if block.tag == "cpp" and not block.skip:
        check_co_await(block, errors)
    return block


def closing_fence(lines, start, fence):
    ticks = fence.group("fence")
    for j in range(start + 1, len(lines)):
        if re.match(r"^ {0,3}" + ticks + r"`*\s*$", lines[j]):
            return j
    return None


def check_tag(block, errors):
    tag = block.tag.lower()
    where = f"{block.path}:{block.line}"
    if tag in NOT_CPP_TAGS:
        errors.append(f"{where}: code block tagged {block.tag!r}: tag C++ as cpp (it is compiled)")
    elif tag == "" and CPP_LOOKING.search("\n".join(block.lines)):
        errors.append(f"{where}: untagged code block that looks like C++: tag it cpp")


# g++ 11-12 refuse an std::initializer_list inside a co_await expression ("array used as
# initializer", at the function's closing brace) and destroy an aggregate temporary there twice. A
# braced list in a co_await expression is refused with its line, whatever compiler builds the test.
LITERAL = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
OPENING, CLOSING = "([{", ")]}"


def braced_in_co_await(code, start):
    """Offset of the first braced list in the co_await expression at `start`, or None.

    The expression ends at a ';' or at a bracket that closes one opened before it. A '{' after '(',
    ',', '{' or a name (json{...}, Options{...}) is a braced list; any other '{' opens a lambda's
    or a statement's body, which is skipped.
    """
    depth, i = 0, start
    while i < len(code):
        c = code[i]
        if c == ";" and depth == 0:
            return None
        if c == "{":
            before = code[:i].rstrip()[-1:]
            if before in ("(", ",", "{") or before.isalnum() or before == "_":
                return i
            i = matching(code, i)
            if i is None:
                return None
        elif c in OPENING:
            depth += 1
        elif c in CLOSING:
            depth -= 1
            if depth < 0:
                return None
        i += 1
    return None


def matching(code, i):
    depth = 0
    for j in range(i, len(code)):
        depth += code[j] in OPENING
        depth -= code[j] in CLOSING
        if depth == 0:
            return j
    return None


def check_co_await(block, errors):
    code = LITERAL.sub(lambda m: '""' + "\n" * m.group(0).count("\n"), "\n".join(block.lines))
    for match in re.finditer(r"\bco_await\b", code):
        braced = braced_in_co_await(code, match.end())
        if braced is not None:
            line = block.first + code.count("\n", 0, braced)
            errors.append(f"{block.path}:{line}: braced list inside a co_await expression: "
                          "g++ 11-12 cannot compile it (or destroy it twice); build it in a "
                          "statement of its own (json by_id = {{\"_id\", id}}; "
                          "co_await c.find_one(by_id);)")


def load_context(directory, name, root):
    path = os.path.join(directory, name + ".cpp")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    kind = KIND.match(lines[0]) if lines else None
    marks = [n for n, l in enumerate(lines) if l.strip() == PLACEHOLDER]
    rel = os.path.relpath(path, root)
    if not kind or len(marks) != 1:
        raise DocError(f"{rel}:1: a context starts with '// doctest-kind: statements|declarations' "
                       f"and has one line '{PLACEHOLDER}'")
    for n, l in enumerate(lines):
        pragma = PRAGMA.match(l)
        if not pragma:
            continue
        ignored = re.fullmatch(r'\s*ignored\s+"([^"]+)"\s*', pragma.group("rest"))
        if not ignored or ignored.group(1) not in RELAXABLE:
            raise DocError(f"{rel}:{n + 1}: a context may only ignore "
                           f"{', '.join(sorted(RELAXABLE))}")
    return Context(name, rel, kind.group(1), lines[:marks[0]], lines[marks[0] + 1:], marks[0] + 2)


# With #line, g++ takes the code for a header's, and -Wsubobject-linkage (on by default, for
# headers only: a lambda kept in a coroutine's frame, in a function with external linkage) fires.
PROLOGUE = ["#if defined(__GNUC__) && !defined(__clang__)",
            '#pragma GCC diagnostic ignored "-Wsubobject-linkage"', "#endif"]


def line_directive(number, path):
    return f'#line {number} "{path}"'


def render(block, context):
    """The translation unit of one block: #line keeps diagnostics on the Markdown file's lines."""
    origin = f"{block.path}:{block.line}"
    head = [f"// Generated by tests/doctest/extract.py from {origin}; do not edit."] + PROLOGUE
    if context is None:
        return "\n".join(head + [line_directive(block.first, block.path)] + block.lines) + "\n"
    # A fragment's #include lines go to the top of the file, on their own lines.
    code, includes = [], []
    for n, l in enumerate(block.lines):
        if INCLUDE.match(l):
            includes += [line_directive(block.first + n, block.path), l]
            code.append("")
        else:
            code.append(l)
    out = head + includes + [line_directive(1, context.path)] + context.before
    out += [line_directive(block.first, block.path)] + code
    out += [line_directive(context.after_line, context.path)] + context.after
    return "\n".join(out) + "\n"


def output_name(block):
    stem = re.sub(r"[^A-Za-z0-9]+", "_", block.path).strip("_")
    return f"{stem}_{block.index:02d}.cpp"


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def collect(files, root):
    blocks, errors = [], []
    for md in files:
        rel = os.path.relpath(md, root)
        try:
            with open(md, encoding="utf-8") as f:
                blocks += parse_markdown(f.read(), rel)
        except DocError as e:
            errors.append(str(e))
    return blocks, errors


def resolve_contexts(blocks, directory, root, errors):
    """The contexts the blocks name, loaded once each; unknown or malformed ones are errors."""
    contexts = {}
    for b in blocks:
        if b.tag != "cpp" or b.skip or b.context is None:
            continue
        if b.context not in contexts:
            try:
                contexts[b.context] = load_context(directory, b.context, root)
            except DocError as e:
                errors.append(str(e))
                contexts[b.context] = False  # reported once, above
        if contexts[b.context] is False:
            errors.append(f"{b.path}:{b.line}: doctest context {b.context!r} is not valid")
        elif contexts[b.context] is None:
            known = sorted(f[:-4] for f in os.listdir(directory) if f.endswith(".cpp"))
            errors.append(f"{b.path}:{b.line}: unknown doctest context {b.context!r} "
                          f"(known: {', '.join(known)})")
    return contexts


def summary(blocks, files, root):
    lines = []
    for md in files:
        rel = os.path.relpath(md, root)
        mine = [b for b in blocks if b.path == rel and b.tag == "cpp"]
        compiled = sum(1 for b in mine if not b.skip)
        skipped = len(mine) - compiled
        lines.append(f"doctest: {rel}: {compiled} cpp block(s) compiled, {skipped} skipped")
    for b in blocks:
        if b.skip:
            lines.append(f"doctest: SKIP {b.path}:{b.line}: {b.skip}")
    return lines


def check_sh(blocks):
    failures = []
    for b in blocks:
        if b.tag.lower() not in SH_TAGS:
            continue
        script = "\n" * (b.first - 1) + "\n".join(b.lines) + "\n"  # bash reports the .md's lines
        run = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(f"{b.path}:{b.line}: sh block does not parse:\n"
                            + run.stderr.replace("bash: line ", f"{b.path}:"))
    return failures


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--root", required=True, help="paths are printed relative to this folder")
    p.add_argument("--contexts", help="the folder of contexts (NAME.cpp)")
    p.add_argument("--out", help="write the translation units here (stale ones are removed)")
    p.add_argument("--check", action="store_true", help="parse and check, write nothing")
    p.add_argument("--check-sh", action="store_true", help="run bash -n on every sh block")
    p.add_argument("files", nargs="+")
    args = p.parse_args(argv)

    blocks, errors = collect(args.files, args.root)
    if args.check_sh:
        errors += check_sh(blocks)
        count = sum(1 for b in blocks if b.tag.lower() in SH_TAGS)
        print(f"doctest: {count} sh block(s) checked with bash -n")
    else:
        if not args.contexts or not (args.out or args.check):
            p.error("--contexts and one of --out, --check are needed")
        contexts = resolve_contexts(blocks, args.contexts, args.root, errors)
        if not errors and args.out:
            write_units(blocks, contexts, args.out)
        if not errors:
            print("\n".join(summary(blocks, args.files, args.root)))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    return 0


def write_units(blocks, contexts, out):
    os.makedirs(out, exist_ok=True)
    names = []
    for b in blocks:
        if b.tag == "cpp" and not b.skip:
            name = output_name(b)
            write_if_changed(os.path.join(out, name), render(b, contexts.get(b.context)))
            names.append(name)
    for stale in set(f for f in os.listdir(out) if f.endswith(".cpp")) - set(names):
        os.remove(os.path.join(out, stale))
    write_if_changed(os.path.join(out, "sources.txt"), "".join(n + "\n" for n in names))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

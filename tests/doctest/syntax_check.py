#!/usr/bin/env python3
"""syntax_check.py COMPILER compile_commands.json DIR [FILE...]

Compiles, with -fsyntax-only and COMPILER in place of the build's compiler, every translation unit
of compile_commands.json that lies in DIR or is one of FILEs, with the flags the build gives it.
Exits 1 naming each unit that fails. Standard library only.
"""

import json
import os
import shlex
import subprocess
import sys


def syntax_only(arguments, compiler):
    """The build's command for one unit, run through `compiler` with -fsyntax-only."""
    out, skip = [compiler], False
    for arg in arguments[1:]:
        if skip:
            skip = False
        elif arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
        elif arg not in ("-c", "-MD", "-MMD"):
            out.append(arg)
    return out + ["-fsyntax-only"]


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    compiler, database, directory, files = argv[0], argv[1], os.path.realpath(argv[2]), argv[3:]
    wanted = {os.path.realpath(f) for f in files}
    with open(database, encoding="utf-8") as f:
        entries = json.load(f)
    failures, count = [], 0
    for entry in entries:
        source = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        if os.path.dirname(source) != directory and source not in wanted:
            continue
        args = entry.get("arguments") or shlex.split(entry["command"])
        count += 1
        run = subprocess.run(syntax_only(args, compiler), cwd=entry["directory"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(f"FAILED {entry['file']}\n{run.stdout}{run.stderr}")
    if count == 0:
        print(f"no translation unit of {directory} in {database}", file=sys.stderr)
        return 1
    print(f"{compiler}: {count - len(failures)} of {count} translation units compile")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

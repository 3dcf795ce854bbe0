"""`make docs`: the README's settings table, generated from `target-gong-di --about`.

The table between the README's `settings:start` and `settings:end` markers is the
`## Settings` table of `--about --format=markdown`, so the docs say what the code accepts.
`--check` changes nothing and exits 1 when the README is out of date (a test runs it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def settings_table() -> str:
    """The settings table that `--about --format=markdown` prints."""
    about = subprocess.run(
        [sys.executable, "-m", "target_gong_di", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = about.split("## Settings", 1)[1].strip().splitlines()
    return "\n".join(line for line in lines if line.startswith("|"))


def main() -> int:
    """Rewrite the README's table, or with --check only compare it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is stale")
    args = parser.parse_args()
    text = README.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    updated = f"{head}{START}\n{settings_table()}\n{END}{tail}"
    if args.check:
        if updated != text:
            print("README.md's settings table is out of date: run `make docs`")
            return 1
        return 0
    README.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The target's command line run as a child process, with a config and an input file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def cli(tmp_path: Path, config: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [sys.executable, "-m", "target_gong_di", "--config", str(path), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,  # files the config leaves at their defaults (the ledger) land here
    )


def singer_file(tmp_path: Path, messages: list[dict]) -> str:
    path = tmp_path / "input.singer"
    path.write_text("".join(json.dumps(message) + "\n" for message in messages))
    return str(path)

"""What one run of the target process left behind (the ``run_target`` fixture returns one)."""

from __future__ import annotations

import json
import resource
import typing as t
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    """What one run of the target process left behind."""

    returncode: int
    stdout: str
    stderr: str
    dead_letter_path: Path
    dry_run_path: Path

    @property
    def states(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def dead_letters(self) -> list[dict]:
        if not self.dead_letter_path.exists():
            return []
        return [json.loads(line) for line in self.dead_letter_path.read_text().splitlines()]

    @property
    def dry_run_bodies(self) -> list[dict]:
        return [json.loads(line) for line in self.dry_run_path.read_text().splitlines()]


def limit_file_size(limit: int) -> t.Callable[[], None]:
    """Run in the child before it starts: no file it writes may grow past ``limit`` bytes.

    Python ignores SIGXFSZ, so the write that crosses the limit is cut short and the next
    one fails with EFBIG instead of killing the process.
    """
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

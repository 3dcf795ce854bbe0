"""A tap process piped into the target process, as ``meltano run`` connects them.

The tap writes a file of Singer messages to its stdout, which is the target's stdin; if the
target stops reading before the end, the tap's next write fails with a BrokenPipeError
and it exits 1 with a traceback, as a real tap does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass

from page_views import CONFIG
from singer_messages import SECRET

if t.TYPE_CHECKING:
    from pathlib import Path

    from target_gong_di.sandbox import Sandbox

TAP = "import shutil, sys; shutil.copyfileobj(open(sys.argv[1]), sys.stdout)"
"""The tap: the file to stdout, in the 64 kB writes of ``copyfileobj``."""


@dataclass
class PipedRun:
    """How the tap and the target ended, and what the target wrote."""

    tap_code: int
    tap_stderr: str
    code: int
    stdout: str
    stderr: str
    summary_path: Path

    @property
    def states(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def summary(self) -> dict:
        return json.loads(self.summary_path.read_text())


def piped_run(
    tmp_path: Path,
    server: Sandbox,
    config: dict,
    messages: list[dict],
    *,
    env: dict[str, str] | None = None,
) -> PipedRun:
    """Run the tap into the target against ``server``, page views mapped as usual.

    The files the run keeps (ledger, dead letters, run summary) are in ``tmp_path``.
    """
    summary_path = tmp_path / "summary.json"
    full = {
        **CONFIG,
        "api_url": server.url,
        "access_key": "key",
        "access_key_secret": SECRET,
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
        "dead_letter_path": str(tmp_path / "dead.jsonl"),
        "run_summary_path": str(summary_path),
        "max_requests_per_second": 500,
        **config,
    }
    (tmp_path / "config.json").write_text(json.dumps(full))
    (tmp_path / "tap.jsonl").write_text("".join(json.dumps(m) + "\n" for m in messages))
    tap = subprocess.Popen(
        [sys.executable, "-c", TAP, str(tmp_path / "tap.jsonl")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert tap.stdout is not None
    assert tap.stderr is not None
    target = subprocess.run(
        [sys.executable, "-m", "target_gong_di", "--config", str(tmp_path / "config.json")],
        stdin=tap.stdout, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, **(env or {})}, cwd=tmp_path,
    )  # fmt: skip
    tap.stdout.close()
    tap_code = tap.wait(timeout=60)
    return PipedRun(
        tap_code, tap.stderr.read(), target.returncode, target.stdout, target.stderr, summary_path
    )

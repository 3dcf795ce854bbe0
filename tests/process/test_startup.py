"""What starting the target costs: only what a run needs is loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "target_gong_di"


def test_starting_the_target_loads_no_psycopg() -> None:
    """psycopg costs about 0.2 s of every start: only a postgresql:// ledger loads it."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import target_gong_di.target, sys; print('psycopg' in sys.modules)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "False", shown.stderr

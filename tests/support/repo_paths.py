"""Where the repository's files are, for tests that read them (README, meltano.yml, demo data)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository: tests/support/ is two levels below it."""
DATA = ROOT / "tests" / "data_files"

"""The package is ready for PyPI: its sdist and wheel build and pass `twine check`."""

from __future__ import annotations

import subprocess
import sys

from repo_paths import ROOT


def test_sdist_and_wheel_build_and_pass_twine_check(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    assert {path.suffix for path in tmp_path.iterdir()} == {".gz", ".whl"}
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, tmp_path.iterdir())],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr

"""A new user's Meltano project in a temporary folder: plugins added the README's way.

Shared by the tests that run real Meltano; one project per test module, since installing
plugins is the slow part.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from repo_paths import ROOT

MELTANO = str(Path(sys.executable).with_name("meltano"))
PROJECT_YML = """\
default_environment: dev
send_anonymous_usage_stats: false
project_id: target-gong-di-tests
environments:
- name: dev
"""


class MeltanoProject:
    """Runs meltano commands in ``root``; ``env`` is added to each command's environment."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "meltano.yml").write_text(PROJECT_YML)

    def meltano(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TARGET_GONG_DI_")},
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            **(env or {}),
        }
        completed = subprocess.run(
            [MELTANO, *args],
            cwd=self.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check:
            assert completed.returncode == 0, completed.stdout + completed.stderr
        return completed

    def add_target_from_ref(self) -> None:
        """`meltano add` from the shipped definition, installed from this checkout."""
        self.meltano(
            "add", "--plugin-type", "loader", "target-gong-di",
            "--from-ref", str(ROOT / "target-gong-di.meltano.yml"), "--no-install",
        )  # fmt: skip
        yml = self.root / "meltano.yml"
        yml.write_text(yml.read_text().replace("pip_url: target-gong-di", f"pip_url: {ROOT}"))

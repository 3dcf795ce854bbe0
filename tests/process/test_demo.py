"""The shipped sample covers every content type, and `make demo` delivers it with Meltano."""

from __future__ import annotations

import subprocess
import sys

import pytest
from demo_project import LOADER
from repo_paths import ROOT


def test_sample_covers_every_content_type_and_identity_kind(run_target):
    config = {**LOADER["config"], "dry_run": True}
    run = run_target(config, (ROOT / "demo" / "sample.singer").read_text())
    assert run.returncode == 0, run.stderr
    bodies = run.dry_run_bodies
    details = {key for body in bodies for key in body["content"] if key.endswith("Details")}
    assert details == {"numericContentDetails", "stepContentDetails", "searchObjectDetails"}
    assert any("trackingId" in body for body in bodies)
    assert any("personBusinessContext" in body.get("person", {}) for body in bodies)
    assert any(set(body.get("person", {})) >= {"personId", "company"} for body in bodies)
    assert run.dead_letters == []


@pytest.mark.meltano
def test_make_demo_runs_a_real_meltano_pipeline_twice_without_double_delivery():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    first, second = completed.stdout.split("Second run:")
    assert first.count("0 dead-lettered") == 6
    assert "The sandbox accepted 12 digital interactions (12 in the first run)" in second
    assert " 0 delivered" in second or "no records" in second
    assert "1 delivered" not in second

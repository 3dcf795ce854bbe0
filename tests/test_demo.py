"""The shipped sample covers every content type and `make demo` delivers all of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_delivers_the_whole_sample_through_the_sandbox():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "The sandbox accepted 12 digital interactions" in completed.stdout
    assert "0 dead-lettered" in completed.stdout
    assert "1 dead-lettered" not in completed.stdout


def test_sample_covers_every_content_type_and_identity_kind(run_target):
    config = {**json.loads((ROOT / "demo" / "config.json").read_text()), "dry_run": True}
    run = run_target(config, (ROOT / "demo" / "sample.singer").read_text())
    assert run.returncode == 0, run.stderr
    bodies = run.dry_run_bodies
    details = {key for body in bodies for key in body["content"] if key.endswith("Details")}
    assert details == {"numericContentDetails", "stepContentDetails", "searchObjectDetails"}
    assert any("trackingId" in body for body in bodies)
    assert any("personBusinessContext" in body.get("person", {}) for body in bodies)
    assert any(set(body.get("person", {})) >= {"personId", "company"} for body in bodies)
    assert run.dead_letters == []

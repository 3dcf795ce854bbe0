"""The shipped sample covers every content type, and `make demo` delivers it with Meltano."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((ROOT / "meltano.yml").read_text())
LOADER = PROJECT["plugins"]["loaders"][0]


def sample_records() -> dict[str, list[dict]]:
    records: dict[str, list[dict]] = {}
    for line in (ROOT / "demo" / "sample.singer").read_text().splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])
    return records


def test_sample_singer_file_holds_the_same_records_as_the_tap_data():
    for stream, records in sample_records().items():
        lines = (ROOT / "demo" / "data" / f"{stream}.jsonl").read_text().splitlines()
        assert [json.loads(line) for line in lines] == records


def test_every_sample_stream_has_a_tap_and_a_mapping():
    taps = {
        tap["config"]["stream_name"]
        for tap in PROJECT["plugins"]["extractors"]
        if "inherit_from" in tap
    }
    assert taps == set(sample_records()) == set(LOADER["config"]["mappings"])


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

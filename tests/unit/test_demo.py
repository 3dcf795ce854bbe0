"""The shipped sample holds the tap data, and every sample stream has a tap and a mapping."""

from __future__ import annotations

import json

from demo_project import LOADER, PROJECT
from repo_paths import ROOT


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

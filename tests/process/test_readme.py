"""The README's mapping and dead-letter examples, run through the real target process."""

from __future__ import annotations

import json

import pytest
from page_views import CONFIG, views
from readme_blocks import CREDENTIALS, blocks
from repo_paths import ROOT

from target_gong_di.settings import config_errors


@pytest.mark.parametrize("text", blocks("json", "mapping"))
def test_mapping_example_builds_valid_bodies_for_the_sample(text, run_target):
    mappings = json.loads(text)
    assert config_errors({**CREDENTIALS, "mappings": mappings}) == []
    sample = [
        line
        for line in (ROOT / "demo" / "sample.singer").read_text().splitlines()
        if json.loads(line).get("stream") in mappings or json.loads(line)["type"] == "STATE"
    ]
    run = run_target({"mappings": mappings, "dry_run": True}, "\n".join(sample) + "\n")
    assert run.returncode == 0, run.stderr
    assert run.dead_letters == []
    assert len(run.dry_run_bodies) >= 2


@pytest.mark.parametrize("text", blocks("json", "dead-letter"))
def test_dead_letter_example_has_the_fields_the_target_writes(text, make_sandbox, run_target):
    server = make_sandbox(reject_rate=1.0)
    run = run_target(CONFIG, views(1), sandbox=server)
    assert set(json.loads(text)) == set(run.dead_letters[0])

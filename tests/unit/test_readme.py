"""Every JSON and YAML example in the README does what the README says it does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from test_target import CONFIG, views

from target_gong_di.settings import NUMBER_BOUNDS, config_errors
from target_gong_di.validation.body_check import body_errors

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(json|yaml) ?(\S*)\n(.*?)```", README, re.S)
CREDENTIALS = {"access_key": "key", "access_key_secret": "secret"}


def blocks(language: str, kind: str) -> list[str]:
    return [text for lang, tag, text in BLOCKS if lang == language and tag == kind]


def test_every_json_and_yaml_block_is_tagged_and_tested():
    tags = {(lang, tag) for lang, tag, _ in BLOCKS}
    assert tags <= {
        ("json", "mapping"),
        ("json", "body"),
        ("json", "dead-letter"),
        ("yaml", "meltano-config"),
        ("yaml", "meltano-project"),
    }
    assert len(BLOCKS) >= 8


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


@pytest.mark.parametrize("text", blocks("json", "body"))
def test_body_example_is_a_valid_body(text):
    assert body_errors(json.loads(text)) == []


@pytest.mark.parametrize("text", blocks("json", "dead-letter"))
def test_dead_letter_example_has_the_fields_the_target_writes(text, make_sandbox, run_target):
    server = make_sandbox(reject_rate=1.0)
    run = run_target(CONFIG, views(1), sandbox=server)
    assert set(json.loads(text)) == set(run.dead_letters[0])


@pytest.mark.parametrize("text", blocks("yaml", "meltano-config"))
def test_meltano_config_example_is_a_valid_config(text):
    assert config_errors({**yaml.safe_load(text), **CREDENTIALS}) == []


@pytest.mark.parametrize("text", blocks("yaml", "meltano-project"))
def test_meltano_project_example_schedules_every_pipeline_into_the_loader(text):
    project = yaml.safe_load(text)
    [loader] = project["plugins"]["loaders"]
    config = {**loader["config"], **CREDENTIALS, "mappings": CONFIG["mappings"]}
    assert config_errors(config) == []
    jobs = {job["name"]: job["tasks"] for job in project["jobs"]}
    assert all(tasks[0].endswith(f" {loader['name']}") for tasks in jobs.values())
    assert {schedule["job"] for schedule in project["schedules"]} == set(jobs)


def test_readme_adds_the_loader_from_the_shipped_definition():
    readme = (ROOT / "README.md").read_text()
    assert "meltano add --plugin-type loader target-gong-di \\\n  --from-ref" in readme
    assert (ROOT / "target-gong-di.meltano.yml").exists()


def test_the_bounds_table_gives_each_numeric_setting_its_bounds_from_the_schema():
    rows = re.findall(r"^\| (\w+) \| ([\d.]+) \| ([\d.]+) \|$", README, re.M)
    assert {name: (float(low), float(high)) for name, low, high in rows} == NUMBER_BOUNDS

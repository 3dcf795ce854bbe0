"""Every JSON and YAML example in the README does what the README says it does."""

from __future__ import annotations

import ast
import json
import re

import pytest
import yaml
from page_views import CONFIG
from readme_blocks import BLOCKS, CREDENTIALS, README, blocks
from repo_paths import ROOT

from target_gong_di.settings import NUMBER_BOUNDS, config_errors
from target_gong_di.validation.body_check import body_errors


def test_every_json_and_yaml_block_is_tagged_and_tested():
    tags = {(lang, tag) for lang, tag, _ in BLOCKS}
    assert tags <= {
        ("json", "mapping"),
        ("json", "body"),
        ("json", "dead-letter"),
        ("json", "run-summary"),
        ("yaml", "meltano-config"),
        ("yaml", "meltano-project"),
    }
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("text", blocks("json", "body"))
def test_body_example_is_a_valid_body(text):
    assert body_errors(json.loads(text)) == []


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


def test_the_orchestrator_examples_of_reading_the_run_summary_are_python_that_parses():
    examples = re.findall(r"```python\n(.*?)```", README, re.S)
    readers = [text for text in examples if "run-summary.json" in text]
    assert len(readers) == 2  # Airflow and Dagster
    for text in readers:
        ast.parse(text)

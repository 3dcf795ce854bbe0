"""Every JSON and YAML example in the README does what the README says it does."""

from __future__ import annotations

import ast
import json
import re

import pytest
import yaml
from page_views import CONFIG
from readme_blocks import BLOCKS, CREDENTIALS, README, SHELL_BLOCKS, blocks, shell_commands
from repo_paths import DATA, ROOT

from target_gong_di.settings import NUMBER_BOUNDS, config_errors
from target_gong_di.validation.body_check import body_errors

PIPELINEWISE_SESSION_SQLS = [  # DEFAULT_SESSION_SQLS in pipelinewise-tap-mysql 1.6.0
    'SET @@session.time_zone="+0:00"',
    "SET @@session.wait_timeout=28800",
    "SET @@session.net_read_timeout=3600",
    "SET @@session.innodb_lock_wait_timeout=3600",
]


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


def test_readme_adds_the_loader_from_the_shipped_definition_before_setting_its_pip_url():
    [add, set_pip_url, install] = shell_commands("loader")
    assert add.startswith("meltano add --plugin-type loader target-gong-di --no-install")
    assert add.endswith("/target-gong-di.meltano.yml")
    assert "pip_url: git+https://github.com/" in set_pip_url
    assert install == "meltano install"
    assert (ROOT / "target-gong-di.meltano.yml").exists()


def test_every_shell_block_of_the_ten_minutes_is_tagged_with_its_step():
    section = README.split("## From your database to Gong in ten minutes")[1].split("\n## ")[0]
    tags = [tag for tag, text in SHELL_BLOCKS if text in section.replace("\n> ", "\n")]
    assert tags[:9] == [
        "setup", "loader", "mysql", "postgres", "sample", "dry-run", "sandbox", "run", ""
    ]  # fmt: skip


@pytest.mark.parametrize(
    "kind", ["setup", "loader", "mysql", "sample", "dry-run", "sandbox", "run"]
)
def test_the_ten_minutes_call_no_plugin_executable_meltano_did_not_put_on_the_path(kind):
    for command in shell_commands(kind):
        assert not command.startswith(("target-gong-di", "gong-di-sandbox", "tap-")), command


def test_the_mysql_session_sqls_keep_the_tap_defaults_and_add_utf8mb4():
    [line] = [command for command in shell_commands("mysql") if " session_sqls " in command]
    sqls = json.loads(line.split(" session_sqls ", 1)[1].strip("'"))
    assert sqls == [*PIPELINEWISE_SESSION_SQLS, "SET NAMES utf8mb4"]


def test_every_mysql_stream_gets_replication_metadata_before_the_sample():
    metadata = [c.split()[5:] for c in shell_commands("mysql") if " _metadata " in c]
    streams = {stream for stream, *_ in metadata}
    assert {(stream, "replication-method", "INCREMENTAL") for stream in streams} <= {
        tuple(entry) for entry in metadata
    }
    assert {stream for stream, setting, _ in metadata if setting == "replication-key"} == streams


def test_the_bounds_table_gives_each_numeric_setting_its_bounds_from_the_schema():
    rows = re.findall(r"^\| (\w+) \| ([\d.]+) \| ([\d.]+) \|$", README, re.M)
    assert {name: (float(low), float(high)) for name, low, high in rows} == NUMBER_BOUNDS


def test_the_orchestrator_examples_of_reading_the_run_summary_are_python_that_parses():
    examples = re.findall(r"```python\n(.*?)```", README, re.S)
    readers = [text for text in examples if "run-summary.json" in text]
    assert len(readers) == 2  # Airflow and Dagster
    for text in readers:
        ast.parse(text)


@pytest.mark.parametrize(
    ("plugin", "definition"),
    [
        ("tap-mysql", DATA / "tap-mysql.meltano.yml"),
        ("tap-postgres", DATA / "tap-postgres.meltano.yml"),
        ("target-gong-di", ROOT / "target-gong-di.meltano.yml"),
    ],
)
def test_every_setting_the_readme_sets_is_declared_by_the_plugin_definition(plugin, definition):
    # Meltano keeps an undeclared setting as text: session_sqls would reach the tap as a string.
    declared = {setting["name"] for setting in yaml.safe_load(definition.read_text())["settings"]}
    commands = [c for kind, _ in SHELL_BLOCKS for c in shell_commands(kind) if kind]
    prefix = f"meltano config set {plugin} "
    named = {c.removeprefix(prefix).split()[0] for c in commands if c.startswith(prefix)}
    assert named, plugin
    assert named - {"_metadata"} <= declared

"""The command line: checking a config and mapping without sending, and --about."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from cli_runs import cli, singer_file
from page_views import CONFIG, VIEW_PROPERTIES, views
from repo_paths import ROOT
from singer_messages import schema


def test_validate_config_accepts_a_good_config_without_reading_input(tmp_path):
    result = cli(tmp_path, {**CONFIG, "access_token": "t"}, "--validate-config")
    assert result.returncode == 0, result.stderr
    assert "Config is valid; streams mapped: page_views" in result.stderr


def test_validate_config_names_every_problem_on_its_own_line(tmp_path):
    config = {"api_url": "http://gong.example", "mappings": {"s": {"eventType": "'x' +"}}}
    result = cli(tmp_path, config, "--validate-config")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "| ERROR" in line]
    assert any("api_url: 'http://gong.example' uses plain http://" in line for line in errors)
    assert any("auth: no credentials" in line for line in errors)
    assert any("stream 's', field 'eventType': expression" in line for line in errors)


def test_validate_config_with_input_checks_every_record_and_sends_nothing(tmp_path, sandbox):
    config = {**CONFIG, "api_url": sandbox.url, "access_token": "t"}
    path = singer_file(
        tmp_path,
        [
            *views(2),
            {
                "type": "RECORD",
                "stream": "page_views",
                "record": {
                    "id": 9,
                    "email": None,
                    "page": "P",
                    "viewed_at": "2024-05-01T00:00:00Z",
                },
            },
        ],
    )
    result = cli(tmp_path, config, "--validate-config", "--input", path)
    assert result.returncode != 0
    assert "1 record would be dead-lettered" in result.stderr
    assert (
        "of stream 'page_views' at stage validation, field person, trackingId: one of them "
        "is required (e.g. key {'id': 9}, input line 4: "
    ) in result.stderr
    assert sum(sandbox.store.answers.values()) == 0


def test_validate_config_with_good_input_passes(tmp_path):
    path = singer_file(tmp_path, views(3))
    result = cli(tmp_path, {**CONFIG, "access_token": "t"}, "--validate-config", "--input", path)
    assert result.returncode == 0, result.stderr
    assert "every record in the input builds a valid body" in result.stderr


def about_settings() -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "target_gong_di", "--about", "--format=json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)["settings"]["properties"]


def test_about_lists_every_setting_with_secrets_marked():
    settings = about_settings()
    assert settings["access_key_secret"]["secret"] is True
    assert settings["access_token"]["secret"] is True
    assert "load_method" not in settings
    assert all(prop.get("description") for prop in settings.values())


def test_meltano_yml_declares_every_setting_with_its_kind_and_default():
    settings = about_settings()
    loader = yaml.safe_load((ROOT / "meltano.yml").read_text())["plugins"]["loaders"][0]
    declared = {setting["name"]: setting for setting in loader["settings"]}
    assert set(declared) == set(settings)
    assert declared["access_key_secret"]["kind"] == declared["access_token"]["kind"] == "password"
    for name, prop in settings.items():
        assert declared[name].get("value") == prop.get("default"), name
        assert declared[name]["description"], name


def test_plugin_definition_declares_what_the_demo_project_declares():
    definition = yaml.safe_load((ROOT / "target-gong-di.meltano.yml").read_text())
    loader = yaml.safe_load((ROOT / "meltano.yml").read_text())["plugins"]["loaders"][0]
    for key in ("name", "namespace", "executable", "capabilities", "settings"):
        assert loader[key] == definition[key], key


def test_readme_settings_table_plugin_definition_and_demo_project_are_current():
    """`make docs` writes all three from --about: the table, both loaders' settings."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_config_with_input_names_every_unmapped_stream_at_once(tmp_path):
    messages = [schema(name, VIEW_PROPERTIES, ["id"]) for name in ("public-page_views", "clicks")]
    path = singer_file(tmp_path, messages)
    result = cli(tmp_path, {**CONFIG, "dry_run": True}, "--validate-config", "--input", path)
    assert result.returncode == 1
    assert "stream 'public-page_views' has no entry in mappings" in result.stderr
    assert "did you mean 'page_views'?" in result.stderr
    assert "stream 'clicks' has no entry in mappings" in result.stderr


def test_validate_config_with_a_catalog_checks_every_stream_in_it(tmp_path):
    catalog = {
        "streams": [
            {
                "tap_stream_id": name,
                "schema": {"properties": VIEW_PROPERTIES},
                "key_properties": ["id"],
            }
            for name in ("page_views", "public-clicks")
        ]
    }
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog, indent=2))
    config = {**CONFIG, "dry_run": True}
    result = cli(tmp_path, config, "--validate-config", "--input", str(path))
    assert result.returncode == 1
    assert "stream 'public-clicks' has no entry in mappings" in result.stderr
    assert "stream 'page_views'" not in result.stderr

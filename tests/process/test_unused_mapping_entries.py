"""--validate-config --input reports each mapping entry that no stream in the input uses."""

from __future__ import annotations

from cli_runs import cli, singer_file
from page_views import CONFIG, VIEW_MAPPING, VIEWS, views


def test_an_entry_no_input_stream_uses_is_warned_about_by_name(tmp_path):
    config = {"mappings": {**CONFIG["mappings"], "nps_answer": VIEW_MAPPING}}
    path = singer_file(tmp_path, views(2))
    result = cli(tmp_path, {**config, "access_token": "t"}, "--validate-config", "--input", path)
    assert result.returncode == 0, result.stderr
    [warning] = [line for line in result.stderr.splitlines() if "no stream in the input" in line]
    assert "| WARNING" in warning
    assert warning.endswith(
        f"mappings: no stream in the input uses the entry 'nps_answer' (streams in the input: "
        f"{VIEWS}); is it misspelled, or is its stream missing from this input?"
    )


def test_when_every_entry_is_used_none_is_reported(tmp_path):
    path = singer_file(tmp_path, views(1))
    result = cli(tmp_path, {**CONFIG, "access_token": "t"}, "--validate-config", "--input", path)
    assert result.returncode == 0, result.stderr
    assert "no stream in the input" not in result.stderr


def test_an_entry_under_a_stream_maps_alias_is_used_by_the_aliased_stream(tmp_path):
    config = {
        "mappings": {**CONFIG["mappings"], "visits": VIEW_MAPPING},
        "stream_maps": {VIEWS: {"__alias__": "visits"}},
        "access_token": "t",
    }
    path = singer_file(tmp_path, views(1))
    result = cli(tmp_path, config, "--validate-config", "--input", path)
    assert "uses the entry 'visits'" not in result.stderr

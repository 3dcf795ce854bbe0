"""The SDK's lines a user can do nothing about are not in the target's stderr."""

from __future__ import annotations

import pytest
from cli_runs import cli, singer_file
from page_views import CONFIG, VIEW_PROPERTIES, VIEWS, view
from singer_messages import schema

from target_gong_di.sdk_hooks import QUIET_SDK_MESSAGES

INCREMENTAL = [
    schema(VIEWS, VIEW_PROPERTIES, ["id"]),
    {"type": "ACTIVATE_VERSION", "stream": VIEWS, "version": 1},
    view(1),
]
"""What an SDK tap sends for an INCREMENTAL stream: an ACTIVATE_VERSION before the records."""
SHOWN_AS = [message.replace("%s", VIEWS).rstrip(".") for message in QUIET_SDK_MESSAGES]


@pytest.mark.parametrize(
    "args", [["--input"], ["--validate-config", "--input"]], ids=["run", "validate-config"]
)
def test_activate_version_and_env_var_lines_are_not_shown(tmp_path, args):
    path = singer_file(tmp_path, INCREMENTAL)
    result = cli(tmp_path, {**CONFIG, "dry_run": True}, *args, path)
    assert result.returncode == 0, result.stderr
    assert "Run summary for stream 'page_views'" in result.stderr
    for line in SHOWN_AS:
        assert line not in result.stderr

"""Canary for the private singer-sdk methods the target overrides (target_gong_di/sdk_hooks.py).

Each test runs the SDK's own message handling in-process and fails, naming the installed
singer-sdk version, if an upgrade stops calling an override the way the target relies on.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import logging
import signal
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest
from page_views import CONFIG, VIEW_PROPERTIES, VIEWS, view
from singer_messages import record, schema, state
from singer_sdk import Target

from target_gong_di.exceptions import Interrupted
from target_gong_di.sdk_hooks import (
    QUIET_SDK_MESSAGES,
    RECORD_STEPS,
    SDC_METADATA,
    QuietSdkLines,
    datelike_type,
)
from target_gong_di.target import TargetGongDI

SDK = f"singer-sdk {version('singer-sdk')} changed a private hook target_gong_di/sdk_hooks.py uses"


def dry_run_target(tmp_path: Path) -> TargetGongDI:
    return TargetGongDI(
        config={
            **CONFIG,
            "dry_run": True,
            "dry_run_path": str(tmp_path / "dry.jsonl"),
            "dead_letter_path": str(tmp_path / "dead.jsonl"),
        }
    )


def listen(target: TargetGongDI, *messages: dict) -> None:
    lines = io.StringIO("".join(json.dumps(message) + "\n" for message in messages))
    try:
        target.listen(lines)
    except Exception as error:
        pytest.fail(f"{SDK}: {type(error).__name__}: {error}")


def dead_letters(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]


def test_a_record_missing_a_key_property_reaches_the_sink_instead_of_stopping_the_run(tmp_path):
    target = dry_run_target(tmp_path)
    keyless = record(
        VIEWS, {"email": "a@acme.com", "viewed_at": "2024-05-01T10:00:00Z", "page": "P"}
    )
    listen(target, schema(VIEWS, VIEW_PROPERTIES, ["id"]), keyless)
    assert [letter["stage"] for letter in dead_letters(tmp_path)] == ["schema"], SDK


def test_a_date_reaches_the_sink_as_the_tap_wrote_it(tmp_path):
    target = dry_run_target(tmp_path)
    listen(target, schema(VIEWS, VIEW_PROPERTIES, ["id"]), view(1, viewed_at="not a date"))
    assert dead_letters(tmp_path)[0]["record"]["viewed_at"] == "not a date", SDK


def test_state_goes_to_the_checkpoints_not_to_the_sdks_latest_state(tmp_path):
    target = dry_run_target(tmp_path)
    listen(target, schema(VIEWS, VIEW_PROPERTIES, ["id"]), view(1), state({"at": 1}))
    assert target.lifecycle.open_run().checkpoints.safe_state == {"at": 1}, SDK
    assert target._latest_state is None, SDK


def test_listen_runs_inside_delivering(tmp_path):
    entered = []

    class Watched(TargetGongDI):
        def delivering(self):
            entered.append(True)
            return super().delivering()

    target = Watched(config={**CONFIG, "dry_run": True, "dry_run_path": str(tmp_path / "d")})
    listen(target, schema(VIEWS, VIEW_PROPERTIES, ["id"]))
    assert entered == [True], SDK


def test_sigterm_reaches_stop_requested(tmp_path):
    target = dry_run_target(tmp_path)
    handler = signal.getsignal(signal.SIGTERM)
    assert handler == target._handle_termination, SDK
    with pytest.raises(Interrupted):
        handler(signal.SIGTERM, None)


def test_date_properties_are_recognised_as_the_sdk_recognises_them():
    kinds = [
        datelike_type({"type": "string", "format": "date-time"}),
        datelike_type({"type": ["null", "string"], "format": "date"}),
        datelike_type({"anyOf": [{"type": "null"}, {"type": "string", "format": "time"}]}),
        datelike_type({"type": "string"}),
    ]
    assert kinds == ["date-time", "date", "time", None], SDK


class Recorded(logging.Handler):
    """Every record that reaches the target's logger's handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def logged_by_a_run(tmp_path: Path, *, filtered: bool) -> list[logging.LogRecord]:
    """What a target logs while built and fed an ACTIVATE_VERSION, with or without the filter."""
    logger = logging.getLogger(TargetGongDI.name)
    quiet = [existing for existing in logger.filters if isinstance(existing, QuietSdkLines)]
    recorded = Recorded()
    logger.addHandler(recorded)
    level = logger.level
    logger.setLevel(logging.INFO)
    if not filtered:
        for existing in quiet:
            logger.removeFilter(existing)
    try:
        target = dry_run_target(tmp_path)
        activate = {"type": "ACTIVATE_VERSION", "stream": VIEWS, "version": 1}
        listen(target, schema(VIEWS, VIEW_PROPERTIES, ["id"]), activate, view(1))
    finally:
        logger.removeHandler(recorded)
        logger.setLevel(level)
        for existing in quiet:
            logger.addFilter(existing)
    return recorded.records


def test_the_sdk_logs_the_lines_the_target_hides_with_the_format_strings_it_matches(tmp_path):
    messages = {record.msg for record in logged_by_a_run(tmp_path, filtered=False)}
    assert messages >= QUIET_SDK_MESSAGES, SDK


def test_the_target_logger_drops_those_lines_and_keeps_the_others(tmp_path):
    messages = [record.getMessage() for record in logged_by_a_run(tmp_path, filtered=True)]
    assert not {record for record in messages if "ACTIVATE_VERSION" in record}
    assert "Skipping parse of env var settings..." not in messages
    assert any(message.startswith("Run summary for stream") for message in messages)


def _calls(function: object) -> list[str]:
    """The names of the methods and functions ``function`` calls, in the order written."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    return [
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in calls
    ]


def test_the_sdks_steps_for_a_record_are_the_ones_the_raw_path_accounts_for():
    assert _calls(Target._process_record_message) == [step for step, _ in RECORD_STEPS], SDK


def test_a_record_of_a_stream_without_stream_maps_takes_the_raw_path(tmp_path):
    target = dry_run_target(tmp_path)
    listen(target, schema(VIEWS, VIEW_PROPERTIES, ["id"]), view(1))
    assert target._raw_routes[VIEWS].raw, SDK


def test_the_raw_path_leaves_singer_metadata_out_of_the_record_as_the_sdk_does(tmp_path):
    target = dry_run_target(tmp_path)
    keyless = record(VIEWS, {"page": "P", "_sdc_sequence": 1, "_sdc_extracted_at": "x"})
    listen(target, schema(VIEWS, VIEW_PROPERTIES, ["id"]), keyless)
    assert dead_letters(tmp_path)[0]["record"] == {"page": "P"}, SDK


def test_the_sdk_takes_exactly_the_singer_metadata_the_raw_path_looks_for(tmp_path):
    """A record with none of ``SDC_METADATA`` skips the SDK's removal: it would remove nothing."""
    target = dry_run_target(tmp_path)
    sink = target.get_sink(
        VIEWS, schema=schema(VIEWS, VIEW_PROPERTIES)["schema"], key_properties=["id"]
    )
    kept = {"page": "P", "_sdc_primary_key": 1, "_sdc_other": "x"}
    metadata_record = {**dict.fromkeys(SDC_METADATA, "m"), **kept}
    sink._remove_sdc_metadata_from_record(metadata_record)
    assert metadata_record == kept, SDK


def test_a_stream_with_a_stream_map_takes_the_sdks_path(tmp_path):
    target = TargetGongDI(
        config={
            **CONFIG,
            "stream_maps": {VIEWS: {"page": "page.upper()"}},
            "dry_run": True,
            "dry_run_path": str(tmp_path / "dry.jsonl"),
        }
    )
    listen(target, schema(VIEWS, VIEW_PROPERTIES, ["id"]), view(1))
    assert not target._raw_routes[VIEWS].raw, SDK
    body = json.loads((tmp_path / "dry.jsonl").read_text())
    assert body["content"]["contentTitle"] == "PAGE 1", SDK

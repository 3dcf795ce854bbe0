"""A line of the tap's output that cannot be used stops the run in one line, safely.

The line names the input line (and the stream where known) and what is wrong, with no
traceback unless the log level is DEBUG; what came before the line is delivered, and the
last STATE forwarded covers exactly that.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from page_views import CONFIG, views
from singer_messages import SECRET, refusal, state

RECORD_START = b'{"type": "RECORD", "stream": "page_views", "record": {"id": 1, "page": '

BAD_LINES = {
    "malformed JSON": (b'{"type": "RECORD", nope', "is not valid JSON"),
    "invalid UTF-8": (RECORD_START + b'"\xff\xfe"}}', "is not valid UTF-8"),
    "a NUL": (RECORD_START + b'"P"}}\x00', "contains a NUL character"),
    "nested 5,000 levels": (
        RECORD_START + b"[" * 5000 + b"]" * 5000 + b"}}",
        "is nested too deeply to be read",
    ),
    "a 5,000-digit integer": (
        b'{"type": "RECORD", "stream": "page_views", "record": {"id": ' + b"9" * 5000 + b"}}",
        "has an integer longer than the 4300 digits that can be read",
    ),
    "a record that is not an object": (
        b'{"type": "RECORD", "stream": "page_views", "record": [1, 2]}',
        "stream 'page_views': RECORD's 'record' is an array, not an object",
    ),
    "a missing BATCH file": (
        b'{"type": "BATCH", "stream": "page_views", "encoding": {"format": "jsonl", '
        b'"compression": "none"}, "manifest": ["file:///nonexistent/batch-1.jsonl"]}',
        "stream 'page_views': BATCH file file:///nonexistent/batch-1.jsonl cannot be read: "
        "No such file or directory",
    ),
}


def lines(*messages: dict) -> bytes:
    return b"".join(json.dumps(message).encode() + b"\n" for message in messages)


def with_bad_fourth_line(bad_line: bytes) -> bytes:
    """SCHEMA, a record, its STATE, then ``bad_line`` (line 4), then a record never sent."""
    before = lines(*views(1), state({"at": 0}))
    return before + bad_line + b"\n" + lines(views(2)[-1])


@pytest.mark.parametrize(("bad_line", "what"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_bad_line_stops_the_run_in_one_line_naming_it(run_target, sandbox, bad_line, what):
    run = run_target(CONFIG, with_bad_fourth_line(bad_line), sandbox=sandbox)
    assert run.returncode == 1
    assert refusal(run.stderr).startswith(f"input line 4: {what}"), run.stderr
    assert "Traceback" not in run.stderr
    assert SECRET not in run.stderr


@pytest.mark.parametrize(("bad_line", "what"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_what_came_before_a_bad_line_is_delivered_and_its_state_forwarded(
    run_target, sandbox, bad_line, what
):
    run = run_target(CONFIG, with_bad_fourth_line(bad_line), sandbox=sandbox)
    assert run.states == [{"at": 0}], run.stderr
    assert [body["content"]["contentTitle"] for body in sandbox.store.events.values()] == ["Page 0"]


def test_a_bad_line_shows_its_traceback_at_debug(run_target, sandbox):
    bad_line, what = BAD_LINES["malformed JSON"]
    run = run_target(
        CONFIG,
        with_bad_fourth_line(bad_line),
        sandbox=sandbox,
        env={**os.environ, "LOGLEVEL": "DEBUG"},
    )
    assert run.returncode == 1
    assert f"input line 4: {what}" in run.stderr
    assert "Traceback" in run.stderr
    assert SECRET not in run.stderr


def test_a_missing_config_file_ends_the_run_in_one_line_naming_it(tmp_path):
    missing = tmp_path / "no-such-config.json"
    completed = subprocess.run(
        [sys.executable, "-m", "target_gong_di", "--config", str(missing)],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert refusal(completed.stderr) == f"--config: File at '{missing}' was not found."
    assert "Traceback" not in completed.stderr
    assert completed.stdout == ""


@pytest.mark.parametrize(
    "mode", [["--input"], ["--validate-config", "--input"]], ids=["run", "validate-config"]
)
def test_a_line_of_an_input_file_that_is_not_utf8_is_named_as_on_stdin(
    run_target, sandbox, tmp_path, mode
):
    bad_line, what = BAD_LINES["invalid UTF-8"]
    path = tmp_path / "tap-output.jsonl"
    path.write_bytes(with_bad_fourth_line(bad_line))
    run = run_target(CONFIG, "", sandbox=sandbox, args=[*mode, str(path)])
    assert run.returncode == 1
    assert refusal(run.stderr).startswith(f"input line 4: {what}"), run.stderr
    assert "Traceback" not in run.stderr


def test_a_bad_line_in_a_sample_for_suggest_mappings_is_named(run_target, tmp_path):
    bad_line, what = BAD_LINES["a record that is not an object"]
    path = tmp_path / "sample.jsonl"
    path.write_bytes(with_bad_fourth_line(bad_line))
    run = run_target(CONFIG, "", args=["--suggest-mappings", str(path)])
    assert run.returncode == 1
    assert refusal(run.stderr) == f"input line 4: {what}"
    assert "Traceback" not in run.stderr


def test_a_batch_file_that_is_not_json_lines_is_named(run_target, sandbox, tmp_path):
    path = tmp_path / "batch-1.jsonl"
    path.write_text('{"id": 1, "page": "P"}\nnot json\n')
    batch = {
        "type": "BATCH",
        "stream": "page_views",
        "encoding": {"format": "jsonl", "compression": "none"},
        "manifest": [path.as_uri()],
    }
    run = run_target(CONFIG, with_bad_fourth_line(json.dumps(batch).encode()), sandbox=sandbox)
    assert run.returncode == 1
    assert refusal(run.stderr).startswith(
        f"input line 4: stream 'page_views': BATCH file {path.as_uri()} cannot be read: "
        "Expecting value"
    ), run.stderr
    assert run.states == [{"at": 0}]

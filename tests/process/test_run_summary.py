"""run_summary_path: after every run, however it ended, one JSON file an orchestrator reads.

Each test runs the real target process against the sandbox on 127.0.0.1 and reads the file
it left: after a complete run, a signal, a budget stop (see also test_daily_limit.py), a
config error, and a write that fails, which must change neither the exit code nor the error.
"""

from __future__ import annotations

import json
import os
import signal

from page_views import CONFIG, interleaved, view, views
from processes import TargetProcess, wait_until
from readme_blocks import blocks
from singer_messages import SECRET, refusal

FIELDS = {
    "run_id",
    "started_at",
    "finished_at",
    "exit_code",
    "stop_reason",
    "requests",
    "streams",
    "budget",
    "quota_spent_until",
}


def with_summary(tmp_path, **config) -> dict:
    return {**CONFIG, "run_summary_path": str(tmp_path / "summary.json"), **config}


def summary_of(tmp_path) -> dict:
    return json.loads((tmp_path / "summary.json").read_text())


def test_a_complete_run_summarises_what_it_did_with_no_stop_reason(run_target, sandbox, tmp_path):
    messages = [*views(3), view(9, email=None)]
    run = run_target(with_summary(tmp_path), messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    summary = summary_of(tmp_path)
    assert set(summary) >= FIELDS
    assert (summary["exit_code"], summary["stop_reason"], summary["requests"]) == (0, None, 3)
    assert summary["streams"]["page_views"] == {
        "delivered": 3,
        "duplicates": 0,
        "unchanged": 0,
        "changed_after_delivery": 0,
        "dead_lettered": 1,
        "too_old": 0,
        "not_sent": 0,
        "retries": 0,
        "throttled": 0,
    }
    assert summary["budget"]["limit"] is None
    assert summary["budget"]["spent_today"] == 3
    assert summary["quota_spent_until"] is None


def test_the_summary_names_the_run_as_its_dead_letters_do(run_target, sandbox, tmp_path):
    run = run_target(with_summary(tmp_path), [*views(1), view(9, email=None)], sandbox=sandbox)
    [letter] = run.dead_letters
    assert summary_of(tmp_path)["run_id"] == letter["runId"]


def test_each_run_replaces_the_summary_and_leaves_no_temporary_file(run_target, sandbox, tmp_path):
    run_target(with_summary(tmp_path), views(2), sandbox=sandbox)
    first = summary_of(tmp_path)["run_id"]
    run_target(with_summary(tmp_path), views(4), sandbox=sandbox)
    second = summary_of(tmp_path)
    assert second["run_id"] != first
    assert second["streams"]["page_views"]["unchanged"] == 2
    assert [path.name for path in tmp_path.iterdir() if "summary" in path.name] == ["summary.json"]


def test_a_signal_is_the_stop_reason_of_its_summary(make_sandbox, tmp_path):
    server = make_sandbox(latency_ms=100)
    config = with_summary(tmp_path, max_requests_per_second=10)
    target = TargetProcess(tmp_path, server, config, interleaved(40))
    wait_until(lambda: len(server.store.events) >= 3)
    os.kill(target.process.pid, signal.SIGTERM)
    code, stderr = target.finish()
    summary = summary_of(tmp_path)
    assert summary["exit_code"] == code == 1, stderr
    assert summary["stop_reason"] == "interrupted by signal 15"
    assert summary["requests"] >= 3
    assert summary["streams"]["page_views"]["not_sent"] > 0


def test_a_budget_stop_is_the_stop_reason_of_its_summary(run_target, sandbox, tmp_path):
    config = with_summary(tmp_path, daily_request_budget=2)
    run = run_target(config, interleaved(5), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    summary = summary_of(tmp_path)
    assert summary["stop_reason"] == "daily_request_budget reached"
    assert summary["budget"] == {
        "limit": 2,
        "spent_today": 2,
        "resets_at": summary["budget"]["resets_at"],
    }
    assert summary["streams"]["page_views"]["not_sent"] == 3


def test_a_config_error_writes_what_can_be_known_without_secrets(run_target, sandbox, tmp_path):
    config = with_summary(tmp_path, max_retries="lots", daily_request_budget=7)
    run = run_target(config, views(2), sandbox=sandbox)
    assert run.returncode == 1
    summary = summary_of(tmp_path)
    assert set(summary) >= FIELDS
    assert summary["exit_code"] == 1
    assert "max_retries" in summary["stop_reason"]
    assert (summary["requests"], summary["streams"]) == (0, {})
    assert summary["budget"]["limit"] == 7
    assert SECRET not in (tmp_path / "summary.json").read_text()


def test_an_error_that_quotes_a_secret_shows_none_in_the_summary(run_target, tmp_path):
    config = with_summary(tmp_path, api_url=f"https://{SECRET}.invalid/")
    run = run_target({**config, "access_key": "key", "access_key_secret": SECRET}, views(1))
    assert run.returncode == 1
    assert SECRET not in (tmp_path / "summary.json").read_text()


def test_a_summary_that_cannot_be_written_leaves_a_complete_run_green(
    run_target, sandbox, tmp_path
):
    config = {**CONFIG, "run_summary_path": str(tmp_path / "missing" / "summary.json")}
    run = run_target(config, views(2), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert "the run summary could not be written" in run.stderr
    assert len(sandbox.store.events) == 2


def test_a_summary_that_cannot_be_written_hides_no_error_and_keeps_exit_code_1(
    run_target, sandbox, tmp_path
):
    config = {**CONFIG, "run_summary_path": str(tmp_path / "missing" / "summary.json")}
    run = run_target({**config, "access_key": "wrong"}, views(2), sandbox=sandbox)
    assert run.returncode == 1
    assert "Gong refused the credentials with HTTP 401" in refusal(run.stderr)
    assert "the run summary could not be written" in run.stderr


def test_the_readme_example_has_the_fields_the_target_writes(run_target, sandbox, tmp_path):
    [text] = blocks("json", "run-summary")
    example = json.loads(text)
    run_target(with_summary(tmp_path), views(1), sandbox=sandbox)
    written = summary_of(tmp_path)
    assert set(example) == set(written)
    assert set(example["budget"]) == set(written["budget"])
    [counts] = example["streams"].values()
    assert set(counts) == set(written["streams"]["page_views"])

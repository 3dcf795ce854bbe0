"""Delivery at the limit without losing an event: faults, one process-wide rate, crashes."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from page_views import CONFIG, VIEWS, interleaved, view, views
from processes import TargetProcess, last_id, resumed_from, stored_ids, wait_until
from singer_messages import record, state


def test_faults_and_a_low_rate_limit_deliver_every_event_exactly_once(make_sandbox, tmp_path):
    server = make_sandbox(
        rate_limit=25, fail_rate=0.10, drop_rate=0.05, lost_reply_rate=0.03, seed=42
    )
    target = TargetProcess(
        tmp_path,
        server,
        {"max_requests_per_second": 30, "batch_size_rows": 25, "max_retries": 10},
        interleaved(150),
    )
    while (covered := target.read_state()) is not None:
        assert set(range(covered["bookmarks"][VIEWS]["id"] + 1)) <= stored_ids(server)
    code, stderr = target.finish()
    assert code == 0, stderr
    assert stored_ids(server) == set(range(150))
    assert len(server.store.events) == 150
    assert not (tmp_path / "dl.jsonl").exists()
    answers = server.store.answers
    assert answers["500"]
    assert answers["dropped"]
    assert answers["lost_reply"]
    assert answers["429"]


def test_one_rate_limit_holds_across_all_streams(make_sandbox, tmp_path, run_target):
    server = make_sandbox(rate_limit=10)
    other = {
        "type": "SCHEMA",
        "stream": "clicks",
        "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "key_properties": ["id"],
    }
    clicks = [record("clicks", {"id": n}) for n in range(15)]
    mapping = {
        "eventType": "'link clicked'",
        "timestamp": "1714550400",
        "content": {"contentTitle": "'c'"},
        "trackingId": "str(id)",
    }
    messages = [*interleaved(15), other, *clicks]
    config = {"mappings": {**CONFIG["mappings"], "clicks": mapping}, "max_requests_per_second": 8}
    run = run_target(config, messages, sandbox=server)
    assert run.returncode == 0, run.stderr
    assert len(server.store.events) == 30
    assert server.store.answers["429"] == 0


def test_sigkill_mid_run_then_resume_loses_nothing(make_sandbox, tmp_path):
    server = make_sandbox()
    config = {"max_requests_per_second": 20}
    first = TargetProcess(tmp_path, server, config, interleaved(80))
    while first.read_state() is not None and len(first.states) < 2:
        pass
    time.sleep(0.3)
    first.process.kill()
    first.process.wait(timeout=30)
    assert 0 < len(server.store.events) < 80
    resume_from = last_id(first.states)
    assert set(range(resume_from + 1)) <= stored_ids(server)
    second = TargetProcess(tmp_path, server, config, resumed_from(interleaved(80), resume_from))
    code, stderr = second.finish()
    assert code == 0, stderr
    assert stored_ids(server) == set(range(80))
    # Re-sent: what settled after the last STATE (at most ~a second at 20/s) and was in flight.
    assert server.store.answers["409"] <= 20 + 4


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_finishes_in_flight_forwards_safe_state_and_exits_non_zero(
    make_sandbox, tmp_path, signum
):
    server = make_sandbox(latency_ms=150)
    target = TargetProcess(tmp_path, server, {"max_requests_per_second": 10}, interleaved(40))
    wait_until(lambda: len(server.store.events) >= 5)
    os.kill(target.process.pid, signum)
    code, stderr = target.finish()
    assert code != 0
    assert f"Received signal {int(signum)}" in stderr
    assert "Run summary for stream 'page_views'" in stderr
    assert target.states, stderr
    covered = last_id(target.states)
    assert set(range(covered + 1)) <= stored_ids(server)
    assert len(server.store.events) < 40


def test_retry_after_beyond_the_limit_checkpoints_what_was_delivered(make_sandbox, tmp_path):
    server = make_sandbox(rate_limit=5, retry_after_seconds=3600)
    target = TargetProcess(
        tmp_path,
        server,
        {
            "max_requests_per_second": 50,
            "max_retry_after_seconds": 60,
            "max_concurrency": 1,
            "on_daily_limit": "fail",
        },
        interleaved(12),
    )
    code, stderr = target.finish()
    assert code != 0
    assert "resume after" in stderr
    assert target.states
    assert set(range(last_id(target.states) + 1)) <= stored_ids(server)


def test_too_many_rejected_records_fail_the_run_after_checkpointing(sandbox, run_target):
    messages = [*interleaved(3), view(9, email=None), view(10, email=None), state({"late": 1})]
    run = run_target({**CONFIG, "max_rejected_records": 1}, messages, sandbox=sandbox)
    assert run.returncode != 0
    assert "2 records were dead-lettered, more than max_rejected_records=1" in run.stderr
    assert run.states == [{"bookmarks": {VIEWS: {"id": 2}}}]
    assert len(run.dead_letters) == 2


def test_progress_line_reports_delivery_as_it_goes(make_sandbox, run_target):
    server = make_sandbox(latency_ms=50)
    run = run_target(
        {**CONFIG, "progress_interval_seconds": 0.2, "max_requests_per_second": 20},
        interleaved(20),
        sandbox=server,
    )
    assert run.returncode == 0, run.stderr
    assert "Progress: " in run.stderr
    assert "in flight" in run.stderr


def test_run_summary_is_one_sdk_metric_line_per_stream_with_every_outcome(sandbox, run_target):
    run = run_target(CONFIG, interleaved(2), sandbox=sandbox)
    [metric] = [
        json.loads(line.split("METRIC: ")[1])
        for line in run.stderr.splitlines()
        if "METRIC: " in line and '"delivered":' in line  # the SDK logs its own too
    ]
    assert metric["metric"] == "record_count"
    assert metric["value"] == 2
    assert metric["tags"]["stream"] == VIEWS
    assert metric["tags"]["delivered"] == 2
    assert metric["tags"]["dead_lettered"] == 0


def test_records_gong_refuses_count_toward_max_rejected_records(make_sandbox, run_target):
    server = make_sandbox(reject_rate=1.0)
    run = run_target({**CONFIG, "max_rejected_records": 1}, views(6), sandbox=server)
    assert run.returncode != 0
    assert "more than max_rejected_records=1" in run.stderr

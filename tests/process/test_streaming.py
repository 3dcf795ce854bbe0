"""Records stream: none waits for others or for more input, and concurrency follows latency."""

from __future__ import annotations

import json
import urllib.request

from page_views import CONFIG, interleaved, view, views
from processes import TargetProcess, last_id, stored_ids, wait_until


def stats(server) -> dict:
    with urllib.request.urlopen(f"{server.url}/sandbox/stats", timeout=10) as answer:
        return json.load(answer)


def test_records_from_a_quiet_tap_are_delivered_and_checkpointed_while_stdin_stays_open(
    make_sandbox, tmp_path
):
    server = make_sandbox()
    target = TargetProcess(
        tmp_path, server, {"max_requests_per_second": 50}, interleaved(25), close_stdin=False
    )
    while last_id(target.states) < 24:
        assert target.read_state(timeout=30) is not None, "no STATE while the tap was quiet"
    assert stored_ids(server) == set(range(25))
    target.write([view(25)])  # the tap wakes up again, then ends
    target.process.stdin.close()
    code, stderr = target.finish()
    assert code == 0, stderr
    assert stored_ids(server) == set(range(26))


def test_a_record_in_backoff_does_not_hold_back_the_records_after_it(make_sandbox, run_target):
    server = make_sandbox(failing_text='"Page 0"', failures_per_match=2)
    config = {**CONFIG, "max_requests_per_second": 100, "max_concurrency": 1}
    run = run_target(config, views(30), sandbox=server)
    assert run.returncode == 0, run.stderr
    titles = [body["content"]["contentTitle"] for body in server.store.events.values()]
    assert len(titles) == 30
    assert titles[-1] == "Page 0"  # retried twice while the other 29 went through
    assert server.store.answers["500"] == 2


def test_concurrency_grows_with_latency_to_keep_the_rate(make_sandbox, run_target):
    server = make_sandbox(latency_ms=300)
    run = run_target({**CONFIG, "max_requests_per_second": 20}, views(60), sandbox=server)
    assert run.returncode == 0, run.stderr
    # 20/s at 300 ms needs 6 in flight (Little's law); one at a time would manage 3/s.
    assert stats(server)["peak_in_flight"] >= 5


def test_concurrency_stays_small_when_answers_are_fast(make_sandbox, run_target):
    server = make_sandbox(latency_ms=5)
    run = run_target({**CONFIG, "max_requests_per_second": 20}, views(40), sandbox=server)
    assert run.returncode == 0, run.stderr
    assert stats(server)["peak_in_flight"] <= 3


def test_max_concurrency_caps_requests_in_flight(make_sandbox, run_target):
    server = make_sandbox(latency_ms=200)
    run = run_target(
        {**CONFIG, "max_requests_per_second": 50, "max_concurrency": 3}, views(30), sandbox=server
    )
    assert run.returncode == 0, run.stderr
    assert stats(server)["peak_in_flight"] <= 3


def test_a_state_arrives_while_delivery_is_still_going(make_sandbox, tmp_path):
    server = make_sandbox()
    target = TargetProcess(tmp_path, server, {"max_requests_per_second": 20}, interleaved(60))
    first = target.read_state(timeout=30)
    assert first is not None
    assert len(server.store.events) < 60  # checkpointed long before the end of the run
    code, stderr = target.finish()
    assert code == 0, stderr
    wait_until(lambda: stored_ids(server) == set(range(60)))


def test_a_stop_while_the_tap_is_quiet_ends_the_run_with_its_state(make_sandbox, tmp_path):
    server = make_sandbox(daily_quota=3)
    config = {"max_requests_per_second": 50, "max_concurrency": 1, "on_daily_limit": "fail"}
    target = TargetProcess(tmp_path, server, config, interleaved(6), close_stdin=False)
    code = target.process.wait(timeout=60)  # stdin stays open: the run must end by itself
    while target.read_state(timeout=5) is not None:
        pass
    assert code != 0
    assert last_id(target.states) == 2

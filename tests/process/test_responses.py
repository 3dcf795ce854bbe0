"""What the target does with each answer Gong can give, against a misbehaving sandbox."""

from __future__ import annotations

import pytest
from page_views import CONFIG, views


def test_http_400_dead_letters_with_request_id_and_errors(run_target, make_sandbox):
    server = make_sandbox(reject_rate=1.0)
    run = run_target(CONFIG, views(2), sandbox=server)
    assert run.returncode == 0, run.stderr
    letters = run.dead_letters
    assert [letter["stage"] for letter in letters] == ["api", "api"]
    assert all(letter["requestId"] for letter in letters)
    assert letters[0]["errors"] == ["Rejected by the sandbox's reject_rate (a server-side rule)"]
    assert letters[0]["body"]["content"]["contentTitle"] == "Page 0"
    assert letters[0]["record"]["id"] == 0


def test_http_409_is_a_duplicate_not_an_error(run_target, sandbox, tmp_path):
    run_target(CONFIG, views(2), sandbox=sandbox)
    another_ledger = {**CONFIG, "ledger_url": f"sqlite:///{tmp_path / 'another.db'}"}
    rerun = run_target(another_ledger, views(2), sandbox=sandbox)
    assert rerun.returncode == 0
    assert rerun.dead_letters == []
    assert "0 delivered, 2 duplicates, 0 unchanged" in rerun.stderr


def test_http_429_waits_retry_after_then_delivers(run_target, make_sandbox):
    server = make_sandbox(rate_limit=2, retry_after_seconds=1)
    run = run_target({**CONFIG, "max_concurrency": 4}, views(8), sandbox=server)
    assert run.returncode == 0, run.stderr
    assert len(server.store.events) == 8
    assert server.store.answers["429"] > 0
    assert "HTTP 429: all requests wait 1.0s (Retry-After)" in run.stderr


def test_retry_after_beyond_the_limit_stops_saying_when_to_resume(run_target, make_sandbox):
    server = make_sandbox(rate_limit=1, retry_after_seconds=3600)
    config = {**CONFIG, "max_retry_after_seconds": 60, "on_daily_limit": "fail"}
    run = run_target(config, views(5), sandbox=server)
    assert run.returncode != 0
    assert "likely the daily quota; resume after" in run.stderr
    assert run.states == []


@pytest.mark.parametrize(
    ("fault", "answer"), [("fail_rate", "500"), ("drop_rate", "dropped")], ids=["5xx", "dropped"]
)
def test_transient_failures_are_retried_until_delivered(run_target, make_sandbox, fault, answer):
    server = make_sandbox(**{fault: 0.3}, seed=7)
    run = run_target({**CONFIG, "max_retries": 8}, views(10), sandbox=server)
    assert run.returncode == 0, run.stderr
    assert len(server.store.events) == 10
    assert server.store.answers[answer] > 0


def test_409_after_a_lost_reply_is_settled_as_a_duplicate(run_target, make_sandbox):
    server = make_sandbox(lost_reply_rate=0.4, seed=11)
    run = run_target({**CONFIG, "max_retries": 8}, views(10), sandbox=server)
    assert run.returncode == 0, run.stderr
    assert len(server.store.events) == 10
    assert server.store.answers["409"] > 0
    summary = next(line for line in run.stderr.splitlines() if "Run summary" in line)
    delivered, duplicates = (
        int(part.split()[0]) for part in summary.split(": ")[1].split(", ")[:2]
    )
    assert delivered + duplicates == 10
    assert duplicates == server.store.answers["409"]
    assert run.dead_letters == []


@pytest.mark.parametrize(
    ("fault", "last"),
    [
        ({"latency_ms": 400}, "no whole answer within request_timeout_seconds=0.1"),
        ({"fail_rate": 1.0}, "HTTP 500"),
    ],
    ids=["timeouts", "5xx"],
)
def test_exhausted_retries_fail_the_run_without_state(run_target, make_sandbox, fault, last):
    server = make_sandbox(**fault)
    config = {**CONFIG, "request_timeout_seconds": 0.1, "max_retries": 1}
    run = run_target(
        config, [*views(2), {"type": "STATE", "value": {"done": True}}], sandbox=server
    )
    assert run.returncode != 0
    assert f"failed after 1 retries (last: {last})" in run.stderr
    assert run.states == []


def test_http_403_stops_at_once_naming_the_auth_method(run_target, make_sandbox):
    server = make_sandbox(scopeless_token="no-scope")
    config = {**CONFIG, "api_url": server.url, "access_token": "no-scope", "max_concurrency": 1}
    run = run_target(config, views(20))
    assert run.returncode != 0
    assert "HTTP 403 (OAuth access_token" in run.stderr
    assert server.store.answers["403"] == 1


def test_unexpected_status_stops_the_run(run_target, sandbox):
    run = run_target({**CONFIG, "api_url": sandbox.url + "/nowhere"}, views(1), sandbox=sandbox)
    assert run.returncode != 0
    assert "HTTP 404" in run.stderr

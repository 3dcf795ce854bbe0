"""A daily limit is a normal day: the run finishes green at the limit and the next day resumes.

Each test pipes a tap process into the real target process, as ``meltano run`` does,
against the sandbox on 127.0.0.1. The tap writes far more than a pipe holds, so a target
that stopped reading at the limit would break the tap's pipe. "The next day" is the ledger's
clock shifted by a day (``GONG_DI_TEST_CLOCK_SHIFT_SECONDS``) and, for Gong's own quota,
the sandbox starting a new day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from page_views import interleaved
from piped_runs import piped_run
from processes import last_id, resumed_from, stored_ids
from singer_messages import error_lines

from target_gong_di.ledger import TEST_CLOCK_SHIFT

RECORDS = 2000
"""~400 kB of tap output with a STATE after each record: far more than a pipe holds."""
LIMIT = 1200
"""The day's requests: more than half the records, so a second day delivers the rest."""
NEXT_DAY = {TEST_CLOCK_SHIFT: "86400"}
READ_AHEAD = {"batch_size_rows": 10}
"""Few records wait for delivery, so the run reaches its limit with most of the input unread."""
MESSAGES = interleaved(RECORDS)
BUDGET = {**READ_AHEAD, "daily_request_budget": LIMIT}


def requests_made(server) -> int:
    return sum(server.store.answers.values())


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| WARNING" in line]


@pytest.fixture
def budget_day(tmp_path, sandbox):
    """The first day: the budget runs out with most of the tap's output still to come."""
    return piped_run(tmp_path, sandbox, BUDGET, MESSAGES)


def test_a_run_past_the_daily_budget_exits_0_and_the_tap_sees_no_broken_pipe(budget_day):
    assert budget_day.code == 0, budget_day.stderr
    assert budget_day.tap_code == 0, budget_day.tap_stderr
    assert "BrokenPipe" not in budget_day.tap_stderr + budget_day.stderr
    assert error_lines(budget_day.stderr) == []


def test_a_run_past_the_daily_budget_sends_exactly_the_budget(budget_day, sandbox):
    assert requests_made(sandbox) == LIMIT
    assert stored_ids(sandbox) == set(range(LIMIT))


def test_the_state_after_a_budget_finish_covers_only_what_was_delivered(budget_day):
    assert last_id(budget_day.states) == LIMIT - 1


def test_a_budget_finish_logs_one_warning_with_what_was_delivered_and_spent(budget_day):
    [warning] = [line for line in warnings(budget_day.stderr) if "daily limit" in line]
    assert f"Delivered {LIMIT}, {RECORDS - LIMIT} records read and not sent" in warning
    assert f"daily_request_budget={LIMIT}" in warning
    assert f"{LIMIT} requests spent today (UTC)" in warning
    assert "resets at" in warning


def test_the_summary_of_a_budget_finish_says_why_it_stopped(budget_day):
    summary = budget_day.summary
    assert summary["exit_code"] == 0
    assert summary["stop_reason"] == "daily_request_budget reached"
    assert summary["requests"] == LIMIT
    assert summary["budget"]["limit"] == LIMIT
    assert summary["budget"]["spent_today"] == LIMIT
    views = summary["streams"]["page_views"]
    assert (views["delivered"], views["not_sent"]) == (LIMIT, RECORDS - LIMIT)


def test_the_next_days_run_resumes_from_the_state_and_delivers_the_rest(
    budget_day, tmp_path, sandbox
):
    rest = resumed_from(MESSAGES, last_id(budget_day.states))
    next_day = piped_run(tmp_path, sandbox, BUDGET, rest, env=NEXT_DAY)
    assert next_day.code == 0, next_day.stderr
    assert next_day.summary["stop_reason"] is None
    assert stored_ids(sandbox) == set(range(RECORDS))
    assert requests_made(sandbox) == RECORDS
    assert last_id(next_day.states) == RECORDS - 1


def test_the_same_day_a_run_at_a_spent_budget_sends_nothing_and_exits_0(
    budget_day, tmp_path, sandbox
):
    rest = resumed_from(MESSAGES, last_id(budget_day.states))
    again = piped_run(tmp_path, sandbox, BUDGET, rest)
    assert (again.code, again.tap_code) == (0, 0), again.stderr
    assert requests_made(sandbox) == LIMIT
    assert again.states == []


@pytest.fixture
def quota_day(tmp_path, make_sandbox):
    """The first day: Gong answers its daily-quota 429 with most of the output to come."""
    server = make_sandbox(daily_quota=LIMIT)
    return server, piped_run(tmp_path, server, {**READ_AHEAD, "max_concurrency": 4}, MESSAGES)


def test_a_run_at_gongs_daily_quota_exits_0_with_its_state_covering_only_what_gong_has(
    quota_day,
):
    server, run = quota_day
    assert (run.code, run.tap_code) == (0, 0), run.stderr + run.tap_stderr
    covered = last_id(run.states)
    assert set(range(covered + 1)) <= stored_ids(server)
    assert len(server.store.events) == LIMIT
    assert run.summary["stop_reason"] == "Gong's daily quota reached"
    assert run.summary["quota_spent_until"] is not None


def test_the_next_day_after_gongs_quota_resumes_and_delivers_the_rest(quota_day, tmp_path):
    server, run = quota_day
    server.store.new_day()
    rest = resumed_from(MESSAGES, last_id(run.states))
    next_day = piped_run(tmp_path, server, READ_AHEAD, rest, env=NEXT_DAY)
    assert next_day.code == 0, next_day.stderr
    assert next_day.summary["stop_reason"] is None
    assert stored_ids(server) == set(range(RECORDS))
    assert server.store.answers["409"] == 0


def test_the_same_day_after_gongs_quota_a_run_sends_nothing_and_exits_0(quota_day, tmp_path):
    server, run = quota_day
    made = requests_made(server)
    again = piped_run(tmp_path, server, READ_AHEAD, resumed_from(MESSAGES, last_id(run.states)))
    assert (again.code, again.tap_code) == (0, 0), again.stderr
    assert requests_made(server) == made
    assert again.summary["stop_reason"] == "Gong's daily quota reached"


def test_on_daily_limit_fail_checkpoints_and_exits_1_with_one_error(tmp_path, sandbox):
    run = piped_run(tmp_path, sandbox, {**BUDGET, "on_daily_limit": "fail"}, MESSAGES)
    assert run.code == 1
    assert last_id(run.states) == LIMIT - 1
    [error] = error_lines(run.stderr)
    assert f"daily_request_budget={LIMIT}" in error
    assert run.summary["exit_code"] == 1
    assert run.summary["stop_reason"] == "daily_request_budget reached"


def test_a_streak_of_short_429s_is_not_the_daily_limit_and_fails(tmp_path, make_sandbox):
    server = make_sandbox(throttle_after=3, retry_after_seconds=1)
    run = piped_run(tmp_path, server, {**READ_AHEAD, "max_retry_after_seconds": 2}, MESSAGES)
    assert run.code == 1
    assert "only HTTP 429" in run.summary["stop_reason"]


def test_the_summary_times_are_utc_and_in_order(budget_day):
    summary = budget_day.summary
    started = dt.datetime.fromisoformat(summary["started_at"])
    finished = dt.datetime.fromisoformat(summary["finished_at"])
    resets = dt.datetime.fromisoformat(summary["budget"]["resets_at"])
    assert started.utcoffset() == finished.utcoffset() == dt.timedelta(0)
    assert started <= finished < resets
    assert resets.time() == dt.time(0, 0)

"""A record too large for Gong and a 429 that never lifts: the run moves on, or stops.

Either used to hold a pipeline for good: a 413 stopped every rerun at the same record with
no STATE past it, and 429s with a short (or negative) Retry-After were retried for ever.
Each test runs the real target process against the sandbox on 127.0.0.1 and checks what was
delivered, what STATE covers and what a rerun sends.
"""

from __future__ import annotations

import pytest
from page_views import CONFIG, VIEWS, interleaved, view
from processes import resumed_from, stored_ids
from singer_messages import SECRET

from target_gong_di.delivery.answers import TOO_LARGE
from target_gong_di.encoding import to_json

LARGE = 2  # the record whose body is too large
LIMIT = 2000  # bytes: what Gong (the sandbox) or max_body_bytes allows


def with_a_large_record(count: int) -> list[dict]:
    """``interleaved(count)``, record ``LARGE`` with a page title of 5,000 characters."""
    return [
        view(LARGE, page="x" * 5000)
        if message["type"] == "RECORD" and message["record"]["id"] == LARGE
        else message
        for message in interleaved(count)
    ]


def covered(states: list[dict]) -> int:
    """The last record id the STATEs cover."""
    return states[-1]["bookmarks"][VIEWS]["id"]


def requests_made(server) -> int:
    return sum(server.store.answers.values())


def test_a_body_gong_refuses_as_too_large_is_dead_lettered_at_stage_api(run_target, make_sandbox):
    server = make_sandbox(max_body_bytes=LIMIT)
    run = run_target(CONFIG, with_a_large_record(5), sandbox=server)
    [letter] = run.dead_letters
    assert (letter["stage"], letter["record"]["id"]) == ("api", LARGE)
    assert letter["errors"] == [TOO_LARGE]
    assert server.store.answers["413"] == 1  # refused, not retried


def test_after_a_413_the_run_goes_on_and_state_covers_every_record(run_target, make_sandbox):
    server = make_sandbox(max_body_bytes=LIMIT)
    run = run_target(CONFIG, with_a_large_record(5), sandbox=server)
    assert run.returncode == 0, run.stderr
    assert stored_ids(server) == {0, 1, 3, 4}
    assert covered(run.states) == 4


def test_a_rerun_after_a_413_sends_only_the_refused_record(run_target, make_sandbox):
    server = make_sandbox(max_body_bytes=LIMIT)
    run_target(CONFIG, with_a_large_record(5), sandbox=server)
    before = requests_made(server)
    rerun = run_target(CONFIG, with_a_large_record(5), sandbox=server)  # same ledger
    assert rerun.returncode == 0, rerun.stderr
    assert requests_made(server) - before == 1
    assert server.store.answers["413"] == 2


def test_a_body_over_max_body_bytes_is_dead_lettered_before_sending(run_target, make_sandbox):
    server = make_sandbox()
    run = run_target({**CONFIG, "max_body_bytes": LIMIT}, with_a_large_record(5), sandbox=server)
    assert run.returncode == 0, run.stderr
    [letter] = run.dead_letters
    size = len(to_json(letter["body"]))
    assert letter["stage"] == "validation"
    assert letter["errors"] == [f"(body): is {size:,} bytes encoded, over max_body_bytes={LIMIT}"]
    assert requests_made(server) == 4
    assert stored_ids(server) == {0, 1, 3, 4}
    assert covered(run.states) == 4


ENDLESS = {**CONFIG, "max_retry_after_seconds": 2, "max_concurrency": 1}
"""A short max_retry_after_seconds, and one request at a time so that the count is exact."""


@pytest.mark.parametrize("retry_after", [1, -1])
def test_only_429s_for_longer_than_max_retry_after_stop_the_run_checkpointed(
    run_target, make_sandbox, retry_after
):
    server = make_sandbox(throttle_after=2, retry_after_seconds=retry_after)
    run = run_target(ENDLESS, interleaved(5), sandbox=server)
    assert run.returncode == 1
    assert stored_ids(server) == {0, 1}
    assert covered(run.states) == 1
    [stop] = [line for line in run.stderr.splitlines() if "Gong answered only HTTP 429" in line]
    assert "more than max_retry_after_seconds=2" in stop
    assert "Traceback" not in run.stderr


def test_a_rerun_from_the_state_of_a_429_stop_sends_the_records_after_it(run_target, make_sandbox):
    throttled = make_sandbox(throttle_after=2, retry_after_seconds=1)
    stopped = run_target(ENDLESS, interleaved(5), sandbox=throttled)
    lifted = make_sandbox()  # Gong's limit has lifted
    remaining = resumed_from(interleaved(5), covered(stopped.states))
    rerun = run_target(ENDLESS, remaining, sandbox=lifted)
    assert rerun.returncode == 0, rerun.stderr
    assert stored_ids(lifted) == {2, 3, 4}
    assert requests_made(lifted) == 3


def test_the_summary_counts_every_429_of_a_run_stopped_by_them(run_target, make_sandbox):
    server = make_sandbox(throttle_after=2, retry_after_seconds=1)
    run = run_target(ENDLESS, interleaved(5), sandbox=server)
    throttled = server.store.answers["429"]
    assert throttled >= 3
    assert f"0 retries, {throttled} HTTP 429s in " in run.stderr


def test_a_negative_retry_after_waits_the_default_second_not_nothing(run_target, make_sandbox):
    server = make_sandbox(throttle_after=0, retry_after_seconds=-1)
    run = run_target(ENDLESS, interleaved(5), sandbox=server)
    assert run.returncode == 1
    assert "HTTP 429: all requests wait 1.0s (Retry-After)" in run.stderr
    # Each waits a second, so a 2 s streak is over by the fourth; at no wait, hundreds.
    assert server.store.answers["429"] <= 4
    assert run.states == []


@pytest.mark.parametrize(
    "fault", [{"max_body_bytes": LIMIT}, {"throttle_after": 2}], ids=["413", "429"]
)
def test_no_secret_reaches_the_log_or_the_dead_letters(run_target, make_sandbox, fault):
    server = make_sandbox(**fault)
    run = run_target(ENDLESS, with_a_large_record(5), sandbox=server)
    letters = run.dead_letter_path.read_text() if run.dead_letter_path.exists() else ""
    assert SECRET not in run.stderr + run.stdout + letters
    assert "Basic " not in run.stderr + letters

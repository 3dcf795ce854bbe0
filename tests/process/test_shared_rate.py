"""Several target processes on one PostgreSQL ledger share one Gong company's rate.

Real processes, a real PostgreSQL server and the sandbox's own sliding-second limit: the
sandbox counts what all of them send together, as Gong does.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time

import psycopg
import pytest
from postgres_server import PostgresServer
from processes import TargetProcess, delivered_by, pipeline, start_pipelines, wait_until

from target_gong_di.delivery.pacing import RATE_MARGIN, SLOWDOWN
from target_gong_di.delivery.shared_pacing import SharedRateLimiter

LIMIT = 20
"""Every process's max_requests_per_second, and the sandbox's limit where a test tests pausing."""
ROOM = 1.5 * LIMIT
"""The sandbox's limit where a test counts on no 429 at all.

The shared pace spaces starts by (1 + RATE_MARGIN) / LIMIT; a loaded machine that holds one
request back by more than that margin (25 ms at 20/s) lets the sandbox's sliding second see one
too many. Half a limit of room keeps that jitter out while three unshared processes (3 x LIMIT)
would still be refused by the hundred.
"""
PASSWORD = "pg-pass-never-printed"


def finish_all(processes: list[TargetProcess]) -> None:
    for process in processes:
        code, stderr = process.finish()
        assert code == 0, stderr


def test_processes_on_one_ledger_together_stay_under_the_limit(
    make_sandbox, tmp_path, shared_ledger_url
):
    server = make_sandbox(rate_limit=ROOM)
    processes = start_pipelines(
        tmp_path, server, shared_ledger_url, [40, 40, 40], max_requests_per_second=LIMIT
    )
    finish_all(processes)
    assert len(server.store.events) == 120
    assert server.store.answers["429"] == 0


def test_each_busy_process_gets_about_its_share(make_sandbox, tmp_path, shared_ledger_url):
    server = make_sandbox()
    first, second = start_pipelines(
        tmp_path, server, shared_ledger_url, [60, 200], max_requests_per_second=LIMIT
    )
    wait_until(lambda: delivered_by(server, 0) > 0 and delivered_by(server, 1) > 0)
    start = [delivered_by(server, 0), delivered_by(server, 1)]
    wait_until(lambda: delivered_by(server, 0) == 60)
    gained = [delivered_by(server, 0) - start[0], delivered_by(server, 1) - start[1]]
    # While the first delivered the rest of its events the second kept delivering too, and
    # had not finished: neither waits for the other (how even the split is, is a rate).
    assert gained[0] > 0
    assert gained[1] > 0
    assert start[1] + gained[1] < 200
    second.process.kill()
    finish_all([first])


def test_one_process_429_pauses_every_process_for_its_retry_after(
    make_sandbox, tmp_path, shared_ledger_url
):
    server = make_sandbox(rate_limit=LIMIT / 2, retry_after_seconds=2)
    processes = start_pipelines(
        tmp_path, server, shared_ledger_url, [30, 30], max_requests_per_second=LIMIT
    )
    finish_all(processes)
    answers = [answer for _, answer in server.store.answered_at]
    first_429 = answers.index("429")
    pause = list(itertools.takewhile(lambda answer: answer == "429", answers[first_429:]))
    # Paced alone, the other process would earn its own 429 before pausing too: the answer
    # after the first 429 is the first of the requests sent once the pause was over.
    assert pause == ["429"]
    assert len(server.store.events) == 60


def test_a_process_killed_with_sigkill_holds_nothing_back(
    make_sandbox, tmp_path, shared_ledger_url
):
    server = make_sandbox(rate_limit=ROOM)
    doomed, survivor = start_pipelines(
        tmp_path, server, shared_ledger_url, [400, 100], max_requests_per_second=LIMIT
    )
    wait_until(lambda: delivered_by(server, 0) >= 10 and delivered_by(server, 1) >= 10)
    doomed.process.send_signal(signal.SIGKILL)
    doomed.process.wait(timeout=30)
    killed_at = time.monotonic()
    with psycopg.connect(shared_ledger_url, autocommit=True) as connection:
        connection.execute("SET lock_timeout = 1000")
        with connection.transaction():  # fails if the killed process left the row locked
            connection.execute("SELECT * FROM gong_di_pacing FOR UPDATE").fetchall()
    finish_all([survivor])
    # Nothing held back: the survivor went on delivering after the kill, to its last event
    # (the rate it kept is make bench's to measure, not a test's).
    assert any(at > killed_at for at in server.store.accepted_at)
    assert delivered_by(server, 1) == 100
    assert server.store.answers["429"] == 0
    # No slot is left handed out for later: the last one the row gave (one spacing before the
    # next free slot) has begun. A killed process that had taken slots ahead would show here.
    spacing = (1 + RATE_MARGIN) / LIMIT
    with psycopg.connect(shared_ledger_url) as connection:
        [[last_slot_has_begun]] = connection.execute(
            "SELECT next_slot - %s <= extract(epoch FROM clock_timestamp()) FROM gong_di_pacing",
            [spacing],
        ).fetchall()
    assert last_slot_has_begun


def test_a_ledger_that_goes_down_stops_the_run_with_its_state(make_sandbox, tmp_path):
    server = make_sandbox()
    database = PostgresServer().start()
    try:
        url = database.url.replace("@", f":{PASSWORD}@", 1)  # trust auth ignores it
        mappings, messages = pipeline(0, 200)
        config = {**mappings, "ledger_url": url, "max_requests_per_second": 10}
        target = TargetProcess(tmp_path, server, config, messages)
        wait_until(lambda: len(server.store.events) >= 5)
    finally:
        database.stop()
    code, stderr = target.finish()
    assert code == 1
    assert f"ledger_url {url.replace(PASSWORD, '***')}" in stderr
    assert PASSWORD not in stderr
    assert target.states
    assert len(server.store.events) < 200


def test_a_ledger_slower_than_the_statement_timeout_stops_the_run(
    make_sandbox, tmp_path, shared_ledger_url
):
    server = make_sandbox()
    mappings, messages = pipeline(0, 200)
    config = {
        **mappings,
        "ledger_url": shared_ledger_url,
        "max_requests_per_second": 10,
        "max_concurrency": 1,  # one request at a time: at most one had its slot before the lock
    }
    target = TargetProcess(tmp_path, server, config, messages)
    wait_until(lambda: len(server.store.events) >= 5)
    with psycopg.connect(shared_ledger_url) as connection:
        connection.execute("SELECT * FROM gong_di_pacing FOR UPDATE").fetchall()
        answered_before_the_lock = len(server.store.answered_at)
        code, stderr = target.finish()  # ends while the row is still locked
    assert code == 1
    assert "statement timeout" in stderr
    assert target.states
    # No request got a slot while the row was locked: only the one in flight was answered.
    assert len(server.store.answered_at) - answered_before_the_lock <= 1


def test_a_429_slows_the_pace_of_every_process_once_per_pause(shared_ledger_url):
    stopped = threading.Event()
    api_url = "https://us-1.api.gong.io"
    limiters = [SharedRateLimiter(shared_ledger_url, api_url, LIMIT, stopped) for _ in range(2)]
    try:
        for _ in range(3):  # the first 429 of a pause, and two that were in flight
            limiters[0].throttled(0.2)
        assert limiters[1].acquire()
        assert limiters[1].rate == pytest.approx(LIMIT / SLOWDOWN, rel=0.01)
    finally:
        for limiter in limiters:
            limiter.close()


def test_four_pipelines_deliver_everything_and_a_fifth_after_the_budget_sends_nothing(
    make_sandbox, tmp_path, shared_ledger_url
):
    server = make_sandbox(rate_limit=ROOM)
    budget = {"max_requests_per_second": LIMIT, "daily_request_budget": 100}
    finish_all(start_pipelines(tmp_path, server, shared_ledger_url, [25, 25, 25, 25], **budget))
    assert len(server.store.events) == 100
    assert server.store.answers["429"] == 0
    mappings, messages = pipeline(4, 10)
    config = {**mappings, "ledger_url": shared_ledger_url, **budget, "on_daily_limit": "fail"}
    fifth = TargetProcess(tmp_path, server, config, messages)
    code, stderr = fifth.finish()
    assert code != 0
    assert "daily_request_budget=100" in stderr
    assert sum(server.store.answers.values()) == 100


def test_processes_on_one_ledger_never_spend_more_than_the_budget_together(
    make_sandbox, tmp_path, shared_ledger_url
):
    server = make_sandbox()
    budget = {"max_requests_per_second": 100, "daily_request_budget": 30}
    processes = start_pipelines(tmp_path, server, shared_ledger_url, [40, 40], **budget)
    codes = [process.finish()[0] for process in processes]
    assert sum(server.store.answers.values()) == 30
    assert codes == [0, 0]  # on_daily_limit: finish, the default, ends a spent day well


def test_an_event_one_process_delivered_is_not_sent_by_another(
    make_sandbox, tmp_path, shared_ledger_url
):
    server = make_sandbox()
    mappings, messages = pipeline(0, 20)
    config = {**mappings, "ledger_url": shared_ledger_url, "max_requests_per_second": 100}
    finish_all([TargetProcess(tmp_path, server, config, messages)])
    again = TargetProcess(tmp_path, server, config, messages)
    code, stderr = again.finish()
    assert code == 0, stderr
    assert sum(server.store.answers.values()) == 20
    assert "20 unchanged" in stderr

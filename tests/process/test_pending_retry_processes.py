"""Retries of pending records by real processes: killed midway, and two at once on one ledger."""

from __future__ import annotations

import psycopg
from page_views import BROKEN, CONFIG, tap_output
from processes import TargetProcess, wait_until


def claims_freed(ledger_url: str) -> bool:
    """Whether no run holds a claim any more: a killed run's server session has ended."""
    if not ledger_url.startswith("postgresql"):
        return True  # a SQLite claim dies with its process
    with psycopg.connect(ledger_url, autocommit=True) as connection:
        rows = connection.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        return rows.fetchone() == (0,)


def test_a_run_killed_during_a_retry_loses_no_record_and_stores_none_twice(
    tmp_path, run_target, make_sandbox, ledger_url
):
    gong = make_sandbox(latency_ms=20)
    run_target({**BROKEN, "ledger_url": ledger_url}, tap_output(range(40)), sandbox=gong)
    settings = {"ledger_url": ledger_url, "max_requests_per_second": 20}
    retrying = TargetProcess(tmp_path, gong, settings, tap_output(range(0)), close_stdin=False)
    wait_until(lambda: len(gong.store.events) >= 5)
    retrying.process.kill()
    retrying.process.wait(timeout=30)
    assert len(gong.store.events) < 40
    wait_until(lambda: claims_freed(ledger_url))
    fixed = {**CONFIG, "ledger_url": ledger_url}
    rerun = run_target(fixed, tap_output(range(0)), sandbox=gong)
    assert rerun.returncode == 0, rerun.stderr
    assert len(gong.store.events) == 40
    assert gong.store.answers["200"] == 40
    answers = dict(gong.store.answers)
    run_target(fixed, tap_output(range(0)), sandbox=gong)
    assert gong.store.answers == answers


def test_two_processes_on_one_postgresql_ledger_retry_a_pending_record_once_between_them(
    tmp_path, run_target, sandbox, shared_ledger_url
):
    run_target({**BROKEN, "ledger_url": shared_ledger_url}, tap_output(range(30)), sandbox=sandbox)
    settings = {"ledger_url": shared_ledger_url, "max_requests_per_second": 10}
    both = [TargetProcess(tmp_path, sandbox, settings, tap_output(range(0))) for _ in range(2)]
    for process in both:
        code, stderr = process.finish()
        assert code == 0, stderr
    assert len(sandbox.store.events) == 30
    assert sandbox.store.answers == {"200": 30}

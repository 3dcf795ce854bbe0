"""skip_events_before: events older than the horizon cost no request and are still counted.

Each test runs the real target process against the sandbox on 127.0.0.1. The contract
(issue 19): a record whose body's timestamp is earlier is settled as too_old: not sent,
not dead-lettered, not in the ledger, counted per stream in the summary and metrics, and
a STATE after it goes out.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from page_views import CONFIG, VIEWS, view, views
from processes import stored_ids
from singer_messages import state

OLD = "2024-05-01T10:00:00+02:00"
"""When the page views of ``page_views.view`` happened: before either horizon below."""


def ago(days: int) -> str:
    """An ISO date-time ``days`` before now, as a tap would write it."""
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat()


def old_then_recent(old: int, recent: int, recent_at: str) -> list[dict]:
    """``old`` page views from 2024, then ``recent`` at ``recent_at``, each followed by a STATE."""
    messages = views(0)
    for number in range(old + recent):
        when = OLD if number < old else recent_at
        messages += [view(number, viewed_at=when), state({"bookmarks": {VIEWS: {"id": number}}})]
    return messages


HORIZONS = [
    pytest.param("2025-01-01", "2026-06-01T09:00:00Z", id="a date"),
    pytest.param("P30D", ago(1), id="P30D"),
]
"""Each horizon with a moment after it, when the recent page views happened."""


def requests(server) -> int:
    """Every POST the sandbox answered, whatever the answer."""
    return sum(server.store.answers.values())


def metric_tags(stderr: str) -> dict:
    [tags] = [
        json.loads(line.split("METRIC: ")[1])["tags"]
        for line in stderr.splitlines()
        if "METRIC: " in line and '"too_old":' in line
    ]
    return tags


@pytest.mark.parametrize(("horizon", "recent_at"), HORIZONS)
def test_older_records_cost_no_request(run_target, sandbox, horizon, recent_at):
    config = {**CONFIG, "skip_events_before": horizon}
    run = run_target(config, old_then_recent(4, 3, recent_at), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert requests(sandbox) == 3
    assert stored_ids(sandbox) == {4, 5, 6}


@pytest.mark.parametrize(("horizon", "recent_at"), HORIZONS)
def test_older_records_are_not_dead_lettered(run_target, sandbox, horizon, recent_at):
    config = {**CONFIG, "skip_events_before": horizon}
    run = run_target(config, old_then_recent(4, 3, recent_at), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert not run.dead_letter_path.exists()


@pytest.mark.parametrize(("horizon", "recent_at"), HORIZONS)
def test_older_records_are_counted_in_the_summary_and_metrics(
    run_target, sandbox, horizon, recent_at
):
    config = {**CONFIG, "skip_events_before": horizon}
    run = run_target(config, old_then_recent(4, 3, recent_at), sandbox=sandbox)
    assert "3 delivered" in run.stderr
    assert "4 too_old skipped (before skip_events_before)" in run.stderr
    assert metric_tags(run.stderr)["too_old"] == 4


@pytest.mark.parametrize(("horizon", "recent_at"), HORIZONS)
def test_the_state_after_older_records_goes_out(run_target, sandbox, horizon, recent_at):
    config = {**CONFIG, "skip_events_before": horizon}
    run = run_target(config, old_then_recent(4, 0, recent_at), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert run.states[-1] == {"bookmarks": {VIEWS: {"id": 3}}}


def test_the_horizon_a_duration_means_is_logged_once_counted_back_from_the_start(
    run_target, sandbox
):
    before = dt.datetime.now(dt.timezone.utc)
    run = run_target({**CONFIG, "skip_events_before": "P30D"}, views(1), sandbox=sandbox)
    after = dt.datetime.now(dt.timezone.utc)
    [line] = [line for line in run.stderr.splitlines() if "(skip_events_before=P30D)" in line]
    horizon = dt.datetime.fromisoformat(line.split("Events before ")[1].split()[0])
    assert before - dt.timedelta(days=30) <= horizon <= after - dt.timedelta(days=30)


def test_older_records_are_not_in_the_ledger_so_a_run_without_the_horizon_sends_them(
    run_target, sandbox
):
    messages = old_then_recent(4, 3, "2026-06-01T09:00:00Z")
    run_target({**CONFIG, "skip_events_before": "2025-01-01"}, messages, sandbox=sandbox)
    later = run_target(CONFIG, messages, sandbox=sandbox)
    assert later.returncode == 0, later.stderr
    assert requests(sandbox) == 3 + 4
    assert stored_ids(sandbox) == set(range(7))


def test_a_dry_run_writes_no_body_of_an_older_record(run_target):
    config = {**CONFIG, "dry_run": True, "skip_events_before": "2025-01-01"}
    run = run_target(config, old_then_recent(4, 3, "2026-06-01T09:00:00Z"))
    assert run.returncode == 0, run.stderr
    assert [body["content"]["contentTitle"] for body in run.dry_run_bodies] == [
        "Page 4",
        "Page 5",
        "Page 6",
    ]
    assert "4 too_old would be skipped" in run.stderr


def test_a_bad_horizon_is_refused_before_any_request_naming_the_setting(run_target, sandbox):
    run = run_target({**CONFIG, "skip_events_before": "P1M"}, views(2), sandbox=sandbox)
    assert run.returncode == 1
    assert "skip_events_before: 'P1M' counts years or months" in run.stderr
    assert requests(sandbox) == 0

"""Planning a backfill: what a dry run's new events cost in requests and days, and what the
progress line says remains of an input whose size is known, with its ETA.

Each test runs the real target process (and, for the ETA, the sandbox on 127.0.0.1).
"""

from __future__ import annotations

from cli_runs import cli, singer_file
from page_views import CONFIG, views

DRY = {**CONFIG, "dry_run": True}


def test_a_dry_run_says_the_requests_its_new_events_need_and_the_days_at_the_budget(
    run_target,
):
    run = run_target({**DRY, "daily_request_budget": 4}, views(10))
    assert run.returncode == 0, run.stderr
    assert "Backlog: 10 new events would need 10 requests" in run.stderr
    assert "about 3 days at daily_request_budget=4 a day" in run.stderr


def test_without_a_budget_a_dry_run_counts_days_of_gongs_default_quota(run_target):
    run = run_target(DRY, views(3))
    assert "about 1 day at Gong's default quota of 10000" in run.stderr


def test_events_already_in_the_ledger_need_no_request_in_the_plan(run_target, sandbox):
    run_target(CONFIG, views(4), sandbox=sandbox)
    dry = run_target({**DRY, "api_url": sandbox.url}, views(10))
    assert "Backlog: 6 new events would need 6 requests" in dry.stderr


def test_events_before_skip_events_before_need_no_request_in_the_plan(run_target):
    dry = run_target({**DRY, "skip_events_before": "2025-01-01"}, views(10))
    assert "Backlog: no new events, so no requests are needed" in dry.stderr


def test_validate_config_with_input_says_the_requests_and_days_its_input_needs(tmp_path):
    path = singer_file(tmp_path, views(7))
    config = {**CONFIG, "access_token": "t", "daily_request_budget": 5}
    result = cli(tmp_path, config, "--validate-config", "--input", path)
    assert result.returncode == 0, result.stderr
    assert "Backlog: 7 new events would need 7 requests" in result.stderr
    assert "about 2 days at daily_request_budget=5 a day" in result.stderr

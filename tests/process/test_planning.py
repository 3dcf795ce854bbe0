"""Planning a backfill: what a dry run's new events cost in requests and days, and what the
progress line says remains of an input whose size is known, with its ETA.

Each test runs the real target process (and, for the ETA, the sandbox on 127.0.0.1).
"""

from __future__ import annotations

import json
import re

from cli_runs import cli, singer_file
from page_views import CONFIG, VIEWS, interleaved, view, views
from processes import TargetProcess, wait_until

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


PROGRESS = {**CONFIG, "progress_interval_seconds": 0.2, "max_requests_per_second": 100}
ESTIMATE = re.compile(r"about (?P<remaining>\d+) remaining, ETA \S+ at [\d.]+/s")
IN_BATCH = re.compile(r"(?P<remaining>\d+) remaining in this BATCH, ETA \S+ at [\d.]+/s")
COUNTED = re.compile(r", (?P<remaining>\d+) remaining, ETA \S+ at [\d.]+/s")


def progress_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "Progress: " in line]


def remaining_counts(stderr: str, pattern: re.Pattern[str]) -> list[int]:
    """The records each progress line says remain, where it says so in ``pattern``'s words."""
    return [
        int(match["remaining"])
        for line in progress_lines(stderr)
        if (match := pattern.search(line))
    ]


def test_a_file_input_shows_about_how_many_records_remain_and_an_eta(run_target, sandbox, tmp_path):
    path = tmp_path / "input.singer"
    path.write_text("".join(json.dumps(message) + "\n" for message in interleaved(300)))
    # A read-ahead of 10 keeps the reader early in the file while requests go out.
    run = run_target({**PROGRESS, "batch_size_rows": 10}, path, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    estimates = remaining_counts(run.stderr, ESTIMATE)
    assert estimates
    assert all(0 <= remaining <= 300 for remaining in estimates)


def test_after_the_last_record_is_read_the_progress_line_counts_what_remains(run_target, sandbox):
    run = run_target({**PROGRESS, "max_requests_per_second": 40}, interleaved(80), sandbox=sandbox)
    assert run.returncode == 0, run.stderr  # all 80 fit the read-ahead: the pipe ends at once
    assert remaining_counts(run.stderr, COUNTED)
    assert all("about" not in line for line in progress_lines(run.stderr))


def test_a_pipe_still_open_shows_no_remaining_records_and_no_eta(tmp_path, sandbox):
    target = TargetProcess(
        tmp_path, sandbox, {"progress_interval_seconds": 0.2}, interleaved(3), close_stdin=False
    )
    wait_until(lambda: len(progress_lines(target.stderr_so_far())) >= 3)
    while_open = progress_lines(target.stderr_so_far())
    target.process.stdin.close()
    code, _ = target.finish()
    assert code == 0
    assert all("remaining" not in line and "ETA" not in line for line in while_open)


def test_a_batch_manifest_of_local_files_shows_what_remains_of_it_and_an_eta(
    run_target, sandbox, tmp_path
):
    manifest = []
    for number in range(3):
        path = tmp_path / f"batch-{number}.jsonl"
        rows = (view(100 * number + n)["record"] for n in range(100))
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        manifest.append(path.as_uri())
    batch = {
        "type": "BATCH",
        "stream": VIEWS,
        "encoding": {"format": "jsonl", "compression": "none"},
        "manifest": manifest,
    }
    run = run_target({**PROGRESS, "batch_size_rows": 10}, [*views(0), batch], sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert len(sandbox.store.events) == 300
    left = remaining_counts(run.stderr, IN_BATCH)
    assert left
    assert all(0 <= remaining <= 300 for remaining in left)

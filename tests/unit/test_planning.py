"""Planning arithmetic: a backlog in days of the daily limit, what remains, and its ETA."""

from __future__ import annotations

import pytest

from target_gong_di.run.planning import (
    BatchManifest,
    InputPosition,
    InputProgress,
    RateWindow,
    Remaining,
    backlog_line,
    days_needed,
    duration_text,
    local_size,
    records_remaining,
    remaining_text,
)


@pytest.mark.parametrize(
    ("requests", "per_day", "days"),
    [(0, 10_000, 0), (1, 10_000, 1), (10_000, 10_000, 1), (10_001, 10_000, 2), (25_000, 6000, 5)],
)
def test_days_needed_are_whole_days_rounded_up(requests, per_day, days):
    assert days_needed(requests, per_day) == days


def test_the_backlog_is_counted_in_days_of_the_daily_request_budget():
    assert backlog_line(25_000, 6000) == (
        "Backlog: 25000 new events would need 25000 requests (one each, before any retry): "
        "about 5 days at daily_request_budget=6000 a day"
    )


def test_without_a_budget_the_backlog_is_counted_in_days_of_gongs_default_quota():
    assert backlog_line(30_001, None).endswith(
        "about 4 days at Gong's default quota of 10000 (daily_request_budget is unset) a day"
    )


def test_one_new_event_is_one_request_within_a_day():
    assert backlog_line(1, None).startswith(
        "Backlog: 1 new event would need 1 request (one each, before any retry): about 1 day "
    )


def test_no_new_events_need_no_requests():
    assert backlog_line(0, 100) == "Backlog: no new events, so no requests are needed"


def progress(received: int, settled: int, position=None, *, ended=False) -> InputProgress:
    return InputProgress(received, settled, position, ended)


def test_nothing_remains_known_without_a_size_or_an_end():
    assert records_remaining(progress(100, 90)) is None


def test_after_the_last_record_is_read_the_unsettled_ones_remain_exactly():
    assert records_remaining(progress(100, 90, ended=True)) == Remaining(10, estimated=False)


def test_a_file_read_to_its_end_leaves_the_unsettled_ones_exactly():
    at_end = InputPosition(offset=5000, size=5000)
    assert records_remaining(progress(100, 60, at_end)) == Remaining(40, estimated=False)


def test_unread_records_are_estimated_from_the_bytes_left_at_the_records_per_byte_so_far():
    quarter_read = InputPosition(offset=1000, size=4000)
    assert records_remaining(progress(100, 80, quarter_read)) == Remaining(320, estimated=True)


def test_nothing_read_yet_gives_no_estimate():
    assert records_remaining(progress(0, 0, InputPosition(offset=0, size=4000))) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45.4, "45s"), (750, "12m 30s"), (3 * 3600 + 300, "3h 05m"), (187_200, "2d 4h")],
)
def test_an_eta_reads_at_a_glance(seconds, text):
    assert duration_text(seconds) == text


def test_the_eta_is_what_remains_at_the_current_rate():
    assert remaining_text(Remaining(320, estimated=True), 2.0) == (
        ", about 320 remaining, ETA 2m 40s at 2.0/s"
    )


def test_a_counted_remainder_is_not_called_about():
    assert remaining_text(Remaining(10, estimated=False), 5.0) == ", 10 remaining, ETA 2s at 5.0/s"


def test_no_eta_while_nothing_settles():
    assert remaining_text(Remaining(10, estimated=False), 0.0) == ", 10 remaining"
    assert remaining_text(Remaining(10, estimated=False), None) == ", 10 remaining"


def test_nothing_is_said_when_nothing_is_known():
    assert remaining_text(None, 3.0) == ""


def test_the_rate_is_measured_over_the_recent_window_only():
    window = RateWindow(window=60)
    assert window.add(0, 0) is None
    assert window.add(10, 1000) == 100  # the ledger settled a burst at the start
    for second in range(20, 200, 10):
        rate = window.add(second, 1000 + 3 * (second - 10))
    assert rate == 3


def test_a_batch_estimates_its_unloaded_files_at_the_records_per_byte_loaded():
    manifest = BatchManifest([1000, 1000, 2000], received=5)
    manifest.loaded(100)
    assert manifest.unreceived(received=5 + 40) == Remaining(60 + 300, estimated=True)


def test_a_batch_whose_last_file_is_loaded_counts_what_is_left_exactly():
    manifest = BatchManifest([1000, None], received=0)
    manifest.loaded(100)
    manifest.loaded(50)
    assert manifest.unreceived(received=120) == Remaining(30, estimated=False)


def test_a_batch_with_a_file_of_unknown_size_left_gives_no_estimate():
    manifest = BatchManifest([1000, None], received=0)
    manifest.loaded(100)
    assert manifest.unreceived(received=10) is None


def test_a_batch_with_nothing_loaded_yet_gives_no_estimate():
    assert BatchManifest([1000, 1000], received=0).unreceived(received=0) is None


def test_what_remains_of_a_batch_is_said_to_be_of_the_batch():
    batch = Remaining(360, estimated=True)
    remaining = records_remaining(InputProgress(45, 40, None, ended=False, batch=batch))
    assert remaining_text(remaining, None) == ", about 365 remaining in this BATCH"


def test_a_local_batch_files_size_is_known_by_url_or_path(tmp_path):
    path = tmp_path / "batch-1.jsonl"
    path.write_text("12345")
    assert local_size(path.as_uri()) == 5
    assert local_size(str(path)) == 5


def test_a_batch_file_in_object_storage_or_missing_has_no_known_size(tmp_path):
    assert local_size("s3://bucket/batch-1.jsonl") is None
    assert local_size((tmp_path / "missing.jsonl").as_uri()) is None

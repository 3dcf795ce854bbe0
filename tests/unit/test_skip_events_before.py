"""``skip_events_before``: what each way of writing the horizon means, and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from target_gong_di.setting_checks import skip_horizon
from target_gong_di.settings import ConfigError, Settings, config_errors

UTC = dt.timezone.utc
START = dt.datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
"""The run's start that durations count back from."""
BASIC = {"access_key": "key", "access_key_secret": "secret", "mappings": {"a": "passthrough"}}


def test_a_date_is_its_midnight_in_utc():
    assert skip_horizon("2026-01-01", START) == dt.datetime(2026, 1, 1, tzinfo=UTC)


def test_a_date_time_without_an_offset_is_utc():
    assert skip_horizon("2026-01-01T09:30:00", START) == dt.datetime(2026, 1, 1, 9, 30, tzinfo=UTC)


def test_a_date_time_with_z_is_utc():
    assert skip_horizon("2026-01-01T09:30Z", START) == dt.datetime(2026, 1, 1, 9, 30, tzinfo=UTC)


def test_a_date_time_keeps_its_offset():
    horizon = skip_horizon("2026-01-01T09:30:00+02:00", START)
    assert horizon == dt.datetime(2026, 1, 1, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("duration", "back"),
    [
        ("P30D", dt.timedelta(days=30)),
        ("P2W", dt.timedelta(weeks=2)),
        ("PT12H", dt.timedelta(hours=12)),
        ("PT90M", dt.timedelta(minutes=90)),
        ("PT45S", dt.timedelta(seconds=45)),
        ("P1DT12H", dt.timedelta(days=1, hours=12)),
        ("P1W2DT3H4M5S", dt.timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("p30d", dt.timedelta(days=30)),
    ],
)
def test_a_duration_counts_back_from_the_runs_start(duration, back):
    assert skip_horizon(duration, START) == START - back


@pytest.mark.parametrize("calendar", ["P1M", "P1Y", "P1Y6M"])
def test_years_and_months_are_refused_as_having_no_fixed_length(calendar):
    with pytest.raises(ValueError, match="no fixed length"):
        skip_horizon(calendar, START)


@pytest.mark.parametrize(
    "bad", ["P", "PT", "P1DT", "P1H", "P1.5D", "PX", "yesterday", "2026-13-01", "10:00", ""]
)
def test_a_value_that_is_no_date_date_time_or_duration_is_refused(bad):
    with pytest.raises(ValueError, match="is not an ISO 8601"):
        skip_horizon(bad, START)


def test_a_duration_reaching_before_the_year_1_is_refused():
    with pytest.raises(ValueError, match="before the year 1"):
        skip_horizon("P99999999D", START)


@pytest.mark.parametrize("bad", ["P1M", "soon", 30])
def test_a_bad_value_is_a_config_error_naming_the_setting_with_an_example(bad):
    [error] = config_errors({**BASIC, "skip_events_before": bad})
    assert error.startswith("skip_events_before: ")
    assert "P30D" in error
    with pytest.raises(ConfigError):
        Settings.from_config({**BASIC, "skip_events_before": bad})


def test_a_good_value_is_kept_as_given_for_the_run_to_count_back_from_its_start():
    assert Settings.from_config({**BASIC, "skip_events_before": "P30D"}).skip_events_before == (
        "P30D"
    )


def test_unset_skips_nothing():
    assert Settings.from_config(BASIC).skip_events_before is None

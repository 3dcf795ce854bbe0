"""The ledger's "now": the day requests are counted against, and when a quota stop ends.

A real process reads the system clock; a test that runs the target "tomorrow" (the daily
budget spent, then whole again) shifts it with ``TEST_CLOCK_SHIFT``, for tests only.
In-process tests pass their own clock to ``open_ledger`` instead.
"""

from __future__ import annotations

import functools
import os
from datetime import date, datetime, time, timedelta, timezone

from target_gong_di.exceptions import LedgerError

TEST_CLOCK_SHIFT = "GONG_DI_TEST_CLOCK_SHIFT_SECONDS"
"""For tests only: seconds added to the ledger's "now" in a real process (86400: the next
day), so a test can run the target "tomorrow" against the budget and remembered quota."""


@functools.cache
def _test_clock_shift() -> timedelta:
    value = os.environ.get(TEST_CLOCK_SHIFT, "")
    try:
        return timedelta(seconds=float(value or 0))
    except ValueError:
        raise LedgerError(f"{TEST_CLOCK_SHIFT}={value!r} is not a number of seconds") from None


def utc_now() -> datetime:
    """The current time, aware, in UTC (shifted by ``TEST_CLOCK_SHIFT`` in a test)."""
    return datetime.now(timezone.utc) + _test_clock_shift()


def next_midnight(day: date) -> datetime:
    """When the UTC ``day`` ends: the daily budget's reset."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc)

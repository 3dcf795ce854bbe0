"""What is left to send and how long it takes: the backlog in days, the input in minutes.

Gong allows a company about ``GONG_DAILY_QUOTA`` requests a day and takes one event per
request, so a first backfill is planned in days: a dry run says how many requests its new
events need and how many days of ``daily_request_budget`` (or of Gong's default quota)
that is. While a run goes on, the progress line says how many records remain and when they
should be done, but only from what is known: the input's size, or its end.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass

GONG_DAILY_QUOTA = 10_000
"""Gong's default daily quota of API calls for a company."""
RATE_WINDOW_SECONDS = 60.0
"""The current rate is measured over about this long, so a fast start (events the ledger
settles without a request) does not promise an ETA the requests cannot keep."""


def days_needed(requests: int, per_day: int) -> int:
    """Whole days of ``per_day`` requests that ``requests`` take (0 for none)."""
    return math.ceil(requests / per_day)


def backlog_line(requests: int, budget: int | None) -> str:
    """A dry run's plan: the requests its new events need, in days of the daily limit."""
    if requests == 0:
        return "Backlog: no new events, so no requests are needed"
    per_day = budget or GONG_DAILY_QUOTA
    limit = (
        f"daily_request_budget={budget}"
        if budget
        else f"Gong's default quota of {GONG_DAILY_QUOTA} (daily_request_budget is unset)"
    )
    days = days_needed(requests, per_day)
    event = "event" if requests == 1 else "events"
    request = "request" if requests == 1 else "requests"
    return (
        f"Backlog: {requests} new {event} would need {requests} {request} (one each, before "
        f"any retry): about {days} {'day' if days == 1 else 'days'} at {limit} a day"
    )


@dataclass(frozen=True)
class InputPosition:
    """How far the reader is into an input of known size, in bytes."""

    offset: int
    size: int


@dataclass(frozen=True)
class InputProgress:
    """What the run knows of its input at one moment."""

    received: int
    """Records read so far."""
    settled: int
    """Records settled so far (sent, skipped, dead-lettered)."""
    position: InputPosition | None
    """Where the reader is, when the input's size is known (a regular file)."""
    ended: bool
    """The input's last line has been read: every record there is is ``received``."""


@dataclass(frozen=True)
class Remaining:
    """Records still to settle, counted (``estimated`` False) or estimated from bytes."""

    records: int
    estimated: bool


def records_remaining(progress: InputProgress) -> Remaining | None:
    """Records still to settle: those read and unsettled, plus an estimate of those unread.

    Unread records are estimated from the bytes left, at the records per byte read so
    far. None when nothing says how much input is left: no end seen and no size known, or
    nothing read yet to scale by.
    """
    unsettled = progress.received - progress.settled
    position = progress.position
    if progress.ended or (position is not None and position.offset >= position.size):
        return Remaining(unsettled, estimated=False)
    if position is None or position.offset <= 0 or progress.received == 0:
        return None
    unread = progress.received * (position.size - position.offset) / position.offset
    return Remaining(unsettled + round(unread), estimated=True)


def duration_text(seconds: float) -> str:
    """``45s``, ``12m 30s``, ``3h 05m``, ``2d 4h``: an ETA read at a glance."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86_400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86_400}d {whole % 86_400 // 3600}h"


class RateWindow:
    """Records settled per second over about the last ``window`` seconds."""

    def __init__(self, window: float = RATE_WINDOW_SECONDS) -> None:
        self._window = window
        self._samples: collections.deque[tuple[float, int]] = collections.deque()

    def add(self, now: float, settled: int) -> float | None:
        """Note ``settled`` at monotonic ``now``; the rate since the oldest sample kept.

        None until two samples lie apart in time.
        """
        self._samples.append((now, settled))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()
        first_time, first_settled = self._samples[0]
        if now <= first_time:
            return None
        return (settled - first_settled) / (now - first_time)


def remaining_text(remaining: Remaining | None, rate: float | None) -> str:
    """The progress line's tail: how many remain and, at a rate above 0, when they are done.

    Empty when nothing is known, and no ETA while nothing settles: it would be a guess.
    """
    if remaining is None:
        return ""
    about = "about " if remaining.estimated else ""
    text = f", {about}{remaining.records} remaining"
    if remaining.records > 0 and rate:
        text += f", ETA {duration_text(remaining.records / rate)} at {rate:.1f}/s"
    return text

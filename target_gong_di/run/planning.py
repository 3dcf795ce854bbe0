"""What is left to send and how long it takes: the backlog in days, the input in minutes.

Gong allows a company about ``GONG_DAILY_QUOTA`` requests a day and takes one event per
request, so a first backfill is planned in days: a dry run says how many requests its new
events need and how many days of ``daily_request_budget`` (or of Gong's default quota)
that is. While a run goes on, the progress line says how many records remain and when they
should be done, but only from what is known: the input's size, or its end.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import math
import os
import threading
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.request import url2pathname

from target_gong_di.mapping import to_utc_iso
from target_gong_di.setting_checks import skip_horizon

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.run.checkpoints import Checkpoints

GONG_DAILY_QUOTA = 10_000
"""Gong's default daily quota of API calls for a company."""
RATE_WINDOW_SECONDS = 60.0
"""The current rate is measured over about this long, so a fast start (events the ledger
settles without a request) does not promise an ETA the requests cannot keep."""


def skip_before(
    given: str | None, started_at: dt.datetime, logger: logging.Logger
) -> dt.datetime | None:
    """``skip_events_before`` as a moment (checked with the config), said once per run."""
    if given is None:
        return None
    horizon = skip_horizon(given, started_at)
    logger.info(
        "Events before %s (skip_events_before=%s) are counted as too_old and not sent",
        to_utc_iso(horizon),
        given,
    )
    return horizon


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
    """How far the reader is into an input of known size: read so far, and the whole.

    The size is in bytes; the reader counts what it has read in characters, which are the
    same in ASCII and fewer otherwise, so an estimate from them errs towards more left.
    """

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
    batch: Remaining | None = None
    """Records of the BATCH being read that are not received yet, where its files' sizes
    say; the line then says what remains of that BATCH (more input may follow it)."""


@dataclass(frozen=True)
class Remaining:
    """Records still to settle, counted (``estimated`` False) or estimated from bytes."""

    records: int
    estimated: bool
    of: str = ""
    """What they remain of, when not the whole input: ``BATCH``."""


def records_remaining(progress: InputProgress) -> Remaining | None:
    """Records still to settle: those read and unsettled, plus an estimate of those unread.

    Unread records are estimated from the bytes left, at the records per byte read so
    far. None when nothing says how much input is left: no end seen and no size known, or
    nothing read yet to scale by.
    """
    unsettled = progress.received - progress.settled
    position = progress.position
    if progress.batch is not None:
        return Remaining(unsettled + progress.batch.records, progress.batch.estimated, "BATCH")
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
    of = f" in this {remaining.of}" if remaining.of else ""
    text = f", {about}{remaining.records} remaining{of}"
    if remaining.records > 0 and rate:
        text += f", ETA {duration_text(remaining.records / rate)} at {rate:.1f}/s"
    return text


def local_size(url: str) -> int | None:
    """The size in bytes of a BATCH file given by a ``file://`` URL or a path; else None."""
    parts = urlsplit(url)
    if parts.scheme not in {"", "file"}:
        return None  # object storage: its size is not known without asking it
    try:
        return os.path.getsize(url2pathname(parts.path) if parts.scheme else url)
    except OSError:
        return None


class BatchManifest:
    """The BATCH message being read: its files' sizes and the records of those loaded.

    The SDK loads a BATCH file whole before its records are handed over, so the records
    of loaded files are counted; those of the files after them are estimated from their
    sizes at the records per byte loaded so far, when every size is known.
    """

    def __init__(self, sizes: t.Sequence[int | None], received: int) -> None:
        """``sizes`` of the manifest's files in order; ``received``: records read before."""
        self._files = len(sizes)
        self._sizes = None if None in sizes else [t.cast("int", size) for size in sizes]
        self._received_before = received
        self._loaded_files = 0
        self._loaded_records = 0
        self._lock = threading.Lock()

    def loaded(self, records: int) -> None:
        """The next file of the manifest is loaded, with ``records`` records."""
        with self._lock:
            self._loaded_files += 1
            self._loaded_records += records

    def unreceived(self, received: int) -> Remaining | None:
        """Records of this BATCH not received yet (``received`` is the run's count)."""
        with self._lock:
            loaded, files = self._loaded_records, self._loaded_files
        waiting = max(0, loaded - (received - self._received_before))
        if files >= self._files:
            return Remaining(waiting, estimated=False)
        read_bytes = sum(self._sizes[:files]) if self._sizes else 0
        if self._sizes is None or not read_bytes:
            return None
        later = loaded * sum(self._sizes[files:]) / read_bytes
        return Remaining(waiting + round(later), estimated=True)


class InputWatch:
    """What one run knows of the input left: its size or end, and the BATCH being read."""

    def __init__(
        self,
        position: t.Callable[[], InputPosition | None],
        checkpoints: t.Callable[[], Checkpoints],
    ) -> None:
        self._position = position
        self._checkpoints = checkpoints
        self._batch: BatchManifest | None = None
        self.ended = False
        """The input's last line has been read."""

    def progress(self) -> InputProgress:
        """The input's progress now, for the progress line (on its thread)."""
        checkpoints = self._checkpoints()
        received = checkpoints.received
        batch = self._batch
        return InputProgress(
            received=received,
            settled=checkpoints.settled_count,
            position=None if self.ended else self._position(),
            ended=self.ended,
            batch=batch.unreceived(received) if batch else None,
        )

    @contextlib.contextmanager
    def reading_batch(self, files: t.Sequence[str]) -> t.Iterator[None]:
        """While a BATCH message's ``files`` are read, what remains of them is known."""
        received = self._checkpoints().received
        self._batch = BatchManifest([local_size(file) for file in files], received)
        try:
            yield
        finally:
            self._batch = None

    def batch_file_loaded(self, records: int) -> None:
        """The next file of the BATCH being read is loaded, holding ``records`` records."""
        if self._batch is not None:
            self._batch.loaded(records)

"""What the run did, told as it goes (a progress line) and at the end (a summary per stream).

Counts are updated from the delivery threads as outcomes arrive, hence the locks. The
summary goes to the log and, as one SDK ``record_count`` metric per stream (delivered
records, every outcome's count as a tag), to the metrics log that Meltano and log shippers
already read.
"""

from __future__ import annotations

import os
import re
import threading
import time
import typing as t
from dataclasses import dataclass, field, fields

from singer_sdk import metrics

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.delivery import Outcome

OUTCOMES = (
    "delivered",
    "duplicates",
    "unchanged",
    "changed_after_delivery",
    "dead_lettered",
    "retries",
    "throttled",
    "dry_run_written",
)


def records(count: int) -> str:
    """``1 record``, ``2 records``: counts read as sentences in the run's messages."""
    return f"{count} record" if count == 1 else f"{count} records"


@dataclass
class StreamCounts:
    """What became of a stream's records in this run."""

    delivered: int = 0
    duplicates: int = 0
    unchanged: int = 0
    """Skipped: the ledger says Gong already has this body."""
    changed_after_delivery: int = 0
    """Skipped: Gong has this eventId with another body, and keeps the first report."""
    dead_lettered: int = 0
    retries: int = 0
    throttled: int = 0
    dry_run_written: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, outcome: Outcome) -> None:
        """Add one delivery outcome (a 400 is counted when it is dead-lettered).

        429s are not in it: each is counted as it arrives (``add("throttled")``), so a run
        stopped before its events settle still reports them.
        """
        with self._lock:
            self.delivered += outcome.status == "delivered"
            self.duplicates += outcome.status == "duplicate"
            self.unchanged += outcome.status == "unchanged"
            self.changed_after_delivery += outcome.status == "changed_after_delivery"
            self.retries += outcome.retries

    def add(self, name: str, number: int = 1) -> None:
        """Add ``number`` to the count called ``name`` (one of ``OUTCOMES``)."""
        with self._lock:
            setattr(self, name, getattr(self, name) + number)

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name in OUTCOMES}


_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?")
"""Quoted values and numbers in an error: they differ per record, the reason does not."""
SHOWN_LINES = 10


@dataclass
class RejectionGroup:
    """Records rejected at one stage, for one field and reason: a count and one example."""

    example: str
    count: int = 0
    lines: list[int] = field(default_factory=list)


def rejection_group_key(stage: str, error: str) -> tuple[str, str, str]:
    """(stage, field, reason): what rejections are grouped by in the summary."""
    field_name, _, reason = error.partition(": ")
    if not reason:
        field_name, reason = "(record)", error
    return stage, field_name, _VALUES.sub("…", reason)


class RunReport:
    """Counts per stream, a progress line every few seconds, and the closing summary."""

    def __init__(
        self, logger: logging.Logger, metrics_logger: logging.Logger, interval: float
    ) -> None:
        self._logger = logger
        self._metrics_logger = metrics_logger
        self._interval = interval
        self._streams: dict[str, StreamCounts] = {}
        self._started = time.monotonic()
        self._rejections: dict[tuple[str, str, str], RejectionGroup] = {}
        self._rejections_lock = threading.Lock()
        self._value_warnings: dict[tuple[str, str, str], RejectionGroup] = {}
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None

    def counts_for(self, stream_name: str) -> StreamCounts:
        """The tally of a stream, shared by every sink it gets."""
        return self._streams.setdefault(stream_name, StreamCounts())

    def total(self, name: str) -> int:
        """One count summed over all streams."""
        return sum(getattr(counts, name) for counts in list(self._streams.values()))

    def rejected(
        self,
        stream: str,
        stage: str,
        errors: list[str],
        key: t.Mapping[str, t.Any],
        line: int | None,
    ) -> None:
        """Count a dead-lettered record in its group; the summary tells each group once.

        One warning per record buried the cause under hundreds of identical lines; a group
        says how many, why, and which record to look at (stream, key values, input line).
        """
        group_key = rejection_group_key(stage, errors[0] if errors else "")
        where = f"stream '{stream}', key {dict(key)}" + (f", input line {line}" if line else "")
        with self._rejections_lock:
            group = self._rejections.setdefault(
                group_key, RejectionGroup(f"{where}: {'; '.join(errors)[:300]}")
            )
            group.count += 1
            if line and len(group.lines) < SHOWN_LINES:
                group.lines.append(line)

    def value_warning(self, stream: str, field_name: str, problem: str, example: str) -> None:
        """Count a sent body's value that Gong will not associate; the summary tells it once.

        Per stream, field and problem: how many events, and the first value as an example.
        """
        with self._rejections_lock:
            group = self._value_warnings.setdefault(
                (stream, field_name, problem), RejectionGroup(example)
            )
            group.count += 1

    def _log_value_warnings(self) -> None:
        for (stream, field_name, problem), group in sorted(self._value_warnings.items()):
            self._logger.warning(
                "Stream '%s', %s: %s %s (e.g. %s); a warning only, the events are not rejected",
                stream,
                f"{group.count:,} event" if group.count == 1 else f"{group.count:,} events",
                field_name,
                problem,
                group.example,
            )

    def _log_rejections(self) -> None:
        for (stage, field_name, reason), group in sorted(
            self._rejections.items(), key=lambda item: -item[1].count
        ):
            lines = f"; input lines {', '.join(map(str, group.lines))}" if group.count > 1 else ""
            more = ", …" if lines and group.count > len(group.lines) else ""
            self._logger.warning(
                "Rejected %s at stage %s, field %s: %s (e.g. %s%s%s)",
                records(group.count),
                stage,
                field_name,
                reason,
                group.example,
                lines,
                more,
            )

    def start_progress(self, in_flight: t.Callable[[], int]) -> None:
        """Log a progress line every ``interval`` seconds until ``finish``."""

        def report() -> None:
            while not self._finished.wait(self._interval):
                delivered = self.total("delivered")
                elapsed = time.monotonic() - self._started
                self._logger.info(
                    "Progress: %d delivered (%.1f/s), %d in flight, %d duplicates, "
                    "%d retries, %d HTTP 429s, %d rejected",
                    delivered,
                    delivered / elapsed,
                    in_flight(),
                    self.total("duplicates"),
                    self.total("retries"),
                    self.total("throttled"),
                    self.total("dead_lettered"),
                )

        self._thread = threading.Thread(target=report, name="gong-di-progress", daemon=True)
        self._thread.start()

    def finish(self, dead_letter_path: str, dry_run_path: str | None) -> None:
        """Stop the progress line; log the summary per stream and as SDK metrics."""
        self._finished.set()
        elapsed = time.monotonic() - self._started
        for stream_name, stream_counts in sorted(self._streams.items()):
            counts = stream_counts.as_dict()
            skipped = "would be skipped" if dry_run_path else "skipped"
            self._logger.info(
                "Run summary for stream '%s': %d delivered, %d duplicates, %d unchanged and "
                "%d changed_after_delivery %s (already in the ledger), %d dead-lettered, "
                "%d retries, %d HTTP 429s%s in %.1fs",
                stream_name,
                counts["delivered"],
                counts["duplicates"],
                counts["unchanged"],
                counts["changed_after_delivery"],
                skipped,
                counts["dead_lettered"],
                counts["retries"],
                counts["throttled"],
                f", {counts['dry_run_written']} written to {dry_run_path} (dry run)"
                if dry_run_path
                else "",
                elapsed,
            )
            # One line per stream: the records delivered, every outcome as a tag.
            point = metrics.Point(
                "counter",
                metrics.Metric.RECORD_COUNT,
                counts["delivered"],
                {"stream": stream_name, **counts},
            )
            metrics.log(self._metrics_logger, point)
        self._log_value_warnings()
        self._log_rejections()
        changed = self.total("changed_after_delivery")
        if changed:
            self._logger.warning(
                "%s changed after Gong confirmed their eventId and were not sent: Gong keeps "
                "the first report of an eventId. To send changes, make them new events (e.g. "
                "an eventId that includes updated_at); see the README's ledger section",
                records(changed),
            )
        rejected = self.total("dead_lettered")
        if rejected and dead_letter_path != os.devnull:  # --validate-config keeps none
            self._logger.warning(
                "%s could not be delivered; see %s", records(rejected), dead_letter_path
            )

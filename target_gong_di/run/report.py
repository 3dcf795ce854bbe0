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

from target_gong_di.run.planning import RateWindow, records_remaining, remaining_text

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.delivery import Outcome
    from target_gong_di.ledger import Standing
    from target_gong_di.run.planning import InputProgress

OUTCOMES = (
    "delivered",
    "duplicates",
    "unchanged",
    "changed_after_delivery",
    "dead_lettered",
    "too_old",
    "retries",
    "throttled",
    "dry_run_written",
    "retry_settled",
    "still_pending",
)
SETTLED_COUNTS = (
    "delivered",
    "duplicates",
    "unchanged",
    "changed_after_delivery",
    "dead_lettered",
    "too_old",
    "dry_run_written",
)
"""The outcomes that settle a record read; what is left of the records read was not sent."""


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
    too_old: int = 0
    """Skipped: the body's timestamp is before ``skip_events_before``."""
    retries: int = 0
    throttled: int = 0
    dry_run_written: int = 0
    received: int = 0
    """Records read, settled or not (the run summary's ``not_sent`` is what is left)."""
    retry_settled: int = 0
    """Records earlier runs could not deliver that a retry in this run settled."""
    still_pending: int = 0
    """Records earlier runs could not deliver that failed again when retried."""
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
        """Add ``number`` to the count called ``name`` (one of ``OUTCOMES``, or ``received``)."""
        with self._lock:
            setattr(self, name, getattr(self, name) + number)

    def not_sent(self) -> int:
        """Records read that no outcome settled: the run summary's ``not_sent``."""
        counts = self.as_dict()
        return max(0, self.received - sum(counts[name] for name in SETTLED_COUNTS))

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name in OUTCOMES}


_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|-?\d+(?:,\d{3})*(?:\.\d+)?")
"""Quoted values and numbers in an error: they differ per record, the reason does not."""
_REQUIRED = re.compile(r"'([^']*)' is a required property")
"""jsonschema's words for a missing property, which name it only inside its reason."""
_WHOLE = {"(body)": "the body", "(record)": "the record"}
"""How an error about the whole body or record (no field path) names it."""
SHOWN_LINES = 10


@dataclass
class RejectionGroup:
    """Records of one stream rejected at one stage, for one field and reason.

    A count, one example and the first input lines; ``heading`` says what they share.
    """

    heading: str
    example: str
    count: int = 0
    lines: list[int] = field(default_factory=list)


def rejection_group_key(stream: str, stage: str, error: str) -> tuple[str, str, str, str]:
    """(stream, stage, field, reason): what rejections are grouped by in the summary.

    The field is the one the error names, a missing property included (``(body): 'timestamp'
    is a required property`` is field ``timestamp``, reason ``is missing``; ``content:
    'contentTitle' …`` is ``content.contentTitle``); the reason leaves out the values.
    """
    field_name, _, reason = error.partition(": ")
    if not reason:
        field_name, reason = "(record)", error
    missing = _REQUIRED.fullmatch(reason)
    if missing:
        name = missing[1]
        field_name = name if field_name in _WHOLE else f"{field_name}.{name}"
        return stream, stage, field_name, "is missing"
    return stream, stage, field_name, _VALUES.sub("…", reason)


def rejection_heading(stream: str, stage: str, field_name: str, reason: str) -> str:
    """What a group's records share, in words, after ``Rejected N records``.

    ``of stream 'views' at stage validation, timestamp is missing``; ``…, field viewed_at: …
    is not a …``; ``…, the body is … bytes encoded, over max_body_bytes=…``.
    """
    label = _WHOLE.get(field_name)
    if reason.startswith("is "):
        about = f"{label or field_name} {reason}"
    else:
        about = f"{label}: {reason}" if label else f"field {field_name}: {reason}"
    return f"of stream '{stream}' at stage {stage}, {about}"


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
        self._rejections: dict[tuple[str, str, str, str], RejectionGroup] = {}
        self._rejections_lock = threading.Lock()
        self._value_warnings: dict[tuple[str, str, str], RejectionGroup] = {}
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None

    def counts_for(self, stream_name: str) -> StreamCounts:
        """The tally of a stream, shared by every sink it gets."""
        return self._streams.setdefault(stream_name, StreamCounts())

    @property
    def streams(self) -> dict[str, StreamCounts]:
        """Each stream's tally so far."""
        return dict(self._streams)

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
        says how many, of which stream, why, and which record to look at (key values, input
        line).
        """
        group_key = rejection_group_key(stream, stage, errors[0] if errors else "")
        where = f"key {dict(key)}" + (f", input line {line}" if line else "")
        with self._rejections_lock:
            group = self._rejections.get(group_key)
            if group is None:
                example = f"{where}: {'; '.join(errors)[:300]}"
                group = RejectionGroup(rejection_heading(*group_key), example)
                self._rejections[group_key] = group
            group.count += 1
            if line and len(group.lines) < SHOWN_LINES:
                group.lines.append(line)

    def value_warning(self, stream: str, field_name: str, problem: str, example: str) -> None:
        """Count a sent body's value that Gong will not associate; the summary tells it once.

        Per stream, field and problem: how many events, and the first value as an example.
        """
        with self._rejections_lock:
            group = self._value_warnings.setdefault(
                (stream, field_name, problem), RejectionGroup(f"{field_name} {problem}", example)
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
        """One WARNING per group, stream by stream, the largest group of each first."""
        for _, group in sorted(
            self._rejections.items(), key=lambda item: (item[0][0], -item[1].count)
        ):
            lines = f"; input lines {', '.join(map(str, group.lines))}" if group.count > 1 else ""
            more = ", …" if lines and group.count > len(group.lines) else ""
            self._logger.warning(
                "Rejected %s %s (e.g. %s%s%s)",
                records(group.count),
                group.heading,
                group.example,
                lines,
                more,
            )

    def start_progress(
        self,
        in_flight: t.Callable[[], int],
        input_progress: t.Callable[[], InputProgress | None] = lambda: None,
    ) -> None:
        """Log a progress line every ``interval`` seconds until ``finish``.

        Where ``input_progress`` knows the input's size or end, the line also says how many
        records remain and, at the rate they settled lately, when they should be done.
        """
        rates = RateWindow()
        rates.add(time.monotonic(), 0)

        def remaining() -> str:
            progress = input_progress()
            if progress is None:
                return ""
            rate = rates.add(time.monotonic(), progress.settled)
            return remaining_text(records_remaining(progress), rate)

        def report() -> None:
            while not self._finished.wait(self._interval):
                delivered = self.total("delivered")
                elapsed = time.monotonic() - self._started
                self._logger.info(
                    "Progress: %d delivered (%.1f/s), %d in flight, %d duplicates, "
                    "%d retries, %d HTTP 429s, %d rejected%s",
                    delivered,
                    delivered / elapsed,
                    in_flight(),
                    self.total("duplicates"),
                    self.total("retries"),
                    self.total("throttled"),
                    self.total("dead_lettered"),
                    remaining(),
                )

        self._thread = threading.Thread(target=report, name="gong-di-progress", daemon=True)
        self._thread.start()

    def finish(
        self,
        dead_letter_path: str,
        dry_run_path: str | None,
        pending: t.Mapping[str, int] | None = None,
    ) -> None:
        """Stop the progress line; log the summary per stream and as SDK metrics.

        ``pending`` is the records of each stream still pending in the ledger (None when
        the ledger could not say).
        """
        self._finished.set()
        elapsed = time.monotonic() - self._started
        for stream_name, stream_counts in sorted(self._streams.items()):
            counts = stream_counts.as_dict()
            skipped = "would be skipped" if dry_run_path else "skipped"
            self._logger.info(
                "Run summary for stream '%s': %d delivered, %d duplicates, %d unchanged and "
                "%d changed_after_delivery %s (already in the ledger), %d dead-lettered, "
                "%d too_old %s (before skip_events_before), %d retries, %d HTTP 429s%s%s in "
                "%.1fs",
                stream_name,
                counts["delivered"],
                counts["duplicates"],
                counts["unchanged"],
                counts["changed_after_delivery"],
                skipped,
                counts["dead_lettered"],
                counts["too_old"],
                skipped,
                counts["retries"],
                counts["throttled"],
                f", {counts['dry_run_written']} written to {dry_run_path} (dry run)"
                if dry_run_path
                else "",
                _pending_part(counts, (pending or {}).get(stream_name, 0)),
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
        waiting = sum((pending or {}).values())
        if waiting and dead_letter_path != os.devnull:
            self._logger.warning(
                "%s pending in the ledger (rejected, by this run or earlier ones): every run "
                "retries them, rebuilt with its config, until they are delivered. List them "
                "with --ledger-pending, count them with --ledger-counts, drop a stream's with "
                "--ledger-forget STREAM",
                records(waiting),
            )

    def log_daily_limit(self, cause: Exception, unsettled: int, standing: Standing | None) -> None:
        """The one warning of a run that finished at the daily limit: what it did and did not."""
        spent = "" if standing is None else f"; {standing.spent_today} requests spent today (UTC)"
        if standing is not None and standing.limit is not None:
            spent += f" of daily_request_budget={standing.limit}"
        self._logger.warning(
            "Finished at the daily limit (on_daily_limit: finish): %s. Delivered %d, %s read "
            "and not sent%s; the last STATE forwarded covers only what was settled, and the "
            "next run resumes from it",
            cause,
            self.total("delivered"),
            records(unsettled),
            spent,
        )

    def log_sample(self, read: int, sent: int, limit: int) -> None:
        """The sample run's last line: what was sent of what was read, and what to do next."""
        total = self.total
        known = total("unchanged") + total("changed_after_delivery")
        self._logger.info(
            "Sample: sent %d of %s read (limit %d; %d already in the ledger, %d answered 409, "
            "%d dead-lettered, %d not sent); no STATE forwarded, rerun normally to send "
            "the rest",
            sent,
            records(read),
            limit,
            known,
            total("duplicates"),
            total("dead_lettered"),
            read - sum(map(total, SETTLED_COUNTS)),
        )


def _pending_part(counts: t.Mapping[str, int], pending: int) -> str:
    """What the summary says of a stream's pending records, when it has any to say."""
    if not (pending or counts["retry_settled"] or counts["still_pending"]):
        return ""
    return (
        f", {counts['retry_settled']} pending from earlier runs settled by a retry "
        f"({counts['still_pending']} rejected again), {pending} still pending"
    )

"""Rejected records stay pending in the ledger, and every later run sends them again.

A record the run dead-letters is kept in the ledger as pending (``keep``); the dead-letter
file gets a line only when the record is new there, or rejected for another reason or
with other content, so a FULL_TABLE tap re-reading the same bad rows adds nothing. When a
stream's SCHEMA arrives in a real run, the run claims that stream's pending records and
hands each to its ``StreamEvents`` (``retry``): rebuilt with the config of the day, checked,
looked up in the ledger, and sent under the same rate limit, budget and retries as the
tap's records. They are not the tap's records, so no STATE waits for them: each leaves the
pending set once settled (``RetriedRecord``), and one the run did not settle stays pending
for the next. A dry run only says how many would now pass.
"""

from __future__ import annotations

import collections
import threading
import typing as t

from target_gong_di.ledger import API_STAGE, PendingRecord, Rejection, body_hash, new_claimer
from target_gong_di.run.report import records

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.delivery import Event, Outcome
    from target_gong_di.ledger import DeliveryLedger
    from target_gong_di.run.stream_events import StreamEvents

Mode = t.Literal["retry", "keep", "replay", "preview"]
"""What a run does with pending records (see ``PendingRetries``)."""


def pending_mode(*, dry_run: bool, replaying: bool, sample: bool) -> Mode:
    """A dry run previews, a replay and a sample keep new rejections; other runs retry."""
    if dry_run:
        return "preview"
    if replaying:
        return "replay"
    return "keep" if sample else "retry"


SETTLED = frozenset({"delivered", "duplicate", "unchanged", "changed_after_delivery"})
"""Outcomes by which Gong has the event: the record is pending no more."""


class PendingRetries:
    """One run's side of the pending records: keeps rejections, retries each stream's once."""

    def __init__(
        self,
        ledger: DeliveryLedger,
        logger: logging.Logger,
        *,
        run_id: str,
        limit: int,
        mode: Mode,
    ) -> None:
        """Keep rejections past ``limit`` per stream, as ``mode`` says.

        ``retry`` for an ordinary run; ``keep`` (``--send-sample``) keeps rejections but
        retries nothing; ``replay`` (``--replay``) too, and writes a dead-letter line for
        every record that still fails, to the file it was given; ``preview`` (a dry run)
        writes nothing and says how many pending records would now pass.
        """
        self._ledger = ledger
        self._logger = logger
        self._claimer = new_claimer(run_id)
        self._limit = limit
        self._mode = mode
        self._lock = threading.Lock()
        self._streams: set[str] = set()
        self._dropped: collections.Counter[str] = collections.Counter()

    def needs_line(self, rejection: Rejection) -> bool:
        """Whether a rejection is news, worth a dead-letter line (always, for a replay)."""
        if self._mode in {"preview", "replay"}:
            return True
        return self._ledger.rejection_is_news(rejection)

    def keep(self, rejection: Rejection) -> None:
        """Keep a rejected record pending (after its dead-letter line, if it has one)."""
        if self._mode == "preview":
            return
        kept = self._ledger.keep_rejected(rejection, self._limit)
        if kept.dropped:
            with self._lock:
                self._dropped[rejection.stream] += kept.dropped

    def retry(self, events: StreamEvents) -> None:
        """The stream's SCHEMA arrived: send its pending records again (once per run)."""
        with self._lock:
            if events.stream_name in self._streams or self._mode in {"keep", "replay"}:
                return
            self._streams.add(events.stream_name)
        if self._mode == "preview":
            self._preview(events)
            return
        for pending in self._ledger.claim_pending(events.stream_name, self._claimer):
            events.retry(pending, RetriedRecord(events, pending, self._ledger))

    def _preview(self, events: StreamEvents) -> None:
        pending = self._ledger.pending_of(events.stream_name)
        if not pending:
            return
        passing = sum(events.would_pass(each) for each in pending)
        self._logger.info(
            "Dry run: %d of %s pending in the ledger for stream '%s' would now pass and "
            "be sent by a run that is not a dry run",
            passing,
            records(len(pending)),
            events.stream_name,
        )

    def finish(self) -> dict[str, int]:
        """Give up this run's claims, warn of drops; the records pending per stream."""
        for stream, dropped in sorted(self._dropped.items()):
            self._logger.warning(
                "Stream '%s' had more than max_pending_per_stream=%d records pending: the "
                "oldest %s were dropped from the ledger (they are in the dead-letter file)",
                stream,
                self._limit,
                records(dropped),
            )
        if self._mode != "preview":
            self._ledger.release_pending(self._claimer)
        return self._ledger.pending_counts()


def refused_unchanged(pending: PendingRecord, body: t.Mapping[str, t.Any]) -> bool:
    """Whether ``body`` is the body Gong refused (400): sending it again would cost a 400."""
    return pending.stage == API_STAGE and pending.refused_hash == body_hash(body)


class RetriedRecord:
    """The owner of one retried record's event: settles it in the pending set, not STATE."""

    def __init__(
        self, events: StreamEvents, pending: PendingRecord, ledger: DeliveryLedger
    ) -> None:
        self._events = events
        self.pending = pending
        self._ledger = ledger

    def settle(self, event: Event, outcome: Outcome) -> None:
        """Count how the event ended; settled, it leaves the pending set, refused it stays."""
        self._events.count_and_confirm(event, outcome)
        if outcome.status in SETTLED:
            self._ledger.pending_settled(self.pending)
            self._events.counts.add("retry_settled")
            return
        self.failed(
            event.record,
            API_STAGE,
            list(outcome.errors),
            body=event.body,
            request_id=outcome.request_id,
        )

    def settle_known(self, events: list[Event], outcome: Outcome) -> None:
        """The ledger has the event: ``settle`` it."""
        for event in events:
            self.settle(event, outcome)

    def failed(
        self, record: dict[str, t.Any], stage: str, errors: list[str], **extra: t.Any
    ) -> None:
        """Rejected again: one attempt more; a dead-letter line only for a new reason."""
        rejection = self._events.rejection(record, stage, errors, extra.get("body"))
        if not self.pending.same_reason(stage, errors):
            self._events.dead_letter(record, stage, errors, None, **extra)
        self._ledger.rejected_again(self.pending, rejection)
        self._events.counts.add("still_pending")

    def throttled(self) -> None:
        """Count a 429 answered to the retried event, as the stream's own."""
        self._events.throttled()

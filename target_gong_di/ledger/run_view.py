"""The ledger as one run's delivery uses it: one ``api_url``, one daily budget.

Gong's daily quota is the scarce resource, so a request must carry news: an event Gong has
already confirmed (200 or 409) is settled from the ledger without a request, as
``unchanged`` when its body is the same or ``changed_after_delivery`` when it is not (Gong
keeps the first report of an eventId). Lookups go in chunks, so a re-sync of a whole table
costs one query per few hundred records. Gong's answers enter the ledger only after they
arrive, and ``flush`` makes them durable before any STATE that covers them goes out.
"""

from __future__ import annotations

import datetime as dt
import threading
import typing as t
from dataclasses import dataclass

from target_gong_di.exceptions import QuotaExhausted
from target_gong_di.ledger.store import Confirmation, body_hash

if t.TYPE_CHECKING:
    from target_gong_di.ledger.pending import Kept, PendingRecord, Rejection
    from target_gong_di.ledger.store import Ledger

LOOKUP_CHUNK = 500
"""Event ids looked up in one query: ~1.5 µs per id on SQLite at this size."""

SkipStatus = t.Literal["unchanged", "changed_after_delivery"]


@dataclass(frozen=True)
class Standing:
    """The day's limits for one ``api_url``, as a run ends."""

    limit: int | None
    """``daily_request_budget``; None when unset."""
    spent_today: int
    """Requests counted today (UTC), by every run and process."""
    resets_at: dt.datetime
    """The next UTC midnight, when the day's count starts again."""
    quota_spent_until: dt.datetime | None
    """Until when Gong's quota is remembered as spent, if that is still ahead."""


class DeliveryLedger:
    """Known events, confirmations and requests spent, for one ``api_url``."""

    def __init__(self, ledger: Ledger, api_url: str, budget: int | None) -> None:
        self._ledger = ledger
        self._api_url = api_url
        self._budget = budget
        self._lock = threading.Lock()
        self._requests = 0

    def known(
        self,
        bodies: t.Sequence[t.Mapping[str, t.Any]],
        hashes: t.Sequence[t.Callable[[], str]] | None = None,
    ) -> list[SkipStatus | None]:
        """For each body: how it stands against what Gong has confirmed, None when new.

        ``hashes`` give each body's ``body_hash`` where the caller keeps it (an ``Event``).
        """
        ids = [str(body["eventId"]) for body in bodies if body.get("eventId") is not None]
        if not ids:
            return [None] * len(bodies)
        confirmed = self._ledger.confirmed(self._api_url, ids)
        statuses: list[SkipStatus | None] = []
        for index, body in enumerate(bodies):
            known_hash = confirmed.get(str(body.get("eventId")))
            if known_hash is None:
                statuses.append(None)
            elif known_hash == (hashes[index]() if hashes else body_hash(body)):
                statuses.append("unchanged")
            else:
                statuses.append("changed_after_delivery")
        return statuses

    def confirm(
        self,
        stream: str,
        body: t.Mapping[str, t.Any],
        outcome: t.Literal["delivered", "duplicate"],
        request_id: str | None,
        known_hash: str | None = None,
    ) -> None:
        """Gong confirmed ``body``: remember it (durable at the next ``flush``).

        ``known_hash``: its ``body_hash``, where the caller has it already.
        """
        event_id = body.get("eventId")
        if event_id is None:
            return
        entry = Confirmation(
            stream, str(event_id), known_hash or body_hash(body), outcome, request_id
        )
        self._ledger.confirm(self._api_url, [entry])

    def events_per_stream(self) -> dict[str, int]:
        """How many events are confirmed under each stream name (``Ledger.events_per_stream``)."""
        return self._ledger.events_per_stream(self._api_url)

    def spend(self) -> None:
        """Count one request against today's budget; raises ``BudgetExhausted`` instead."""
        self._ledger.spend(self._api_url, self._budget)
        with self._lock:
            self._requests += 1

    @property
    def requests(self) -> int:
        """Requests this run counted (each one sent, retries and 429s included)."""
        with self._lock:
            return self._requests

    def remember_quota_spent(self, seconds: float) -> dt.datetime:
        """Gong said its daily quota is spent for ``seconds``: later runs stop at once.

        Returns until when, by the ledger's clock.
        """
        until = self._ledger.now() + dt.timedelta(seconds=seconds)
        self._ledger.remember_quota_spent(self._api_url, until)
        return until

    def check_quota(self) -> None:
        """Raise ``QuotaExhausted`` while Gong's remembered quota stop is still ahead."""
        until = self._ledger.quota_spent_until(self._api_url)
        if until is not None:
            raise QuotaExhausted(
                f"Gong's daily quota for {self._api_url} was spent (remembered in the ledger "
                f"from its 429 answer); resume after {until:%Y-%m-%d %H:%M:%S} UTC",
                until,
            )

    def standing(self) -> Standing:
        """Where the day's limits stand now, for the run summary."""
        return Standing(
            limit=self._budget,
            spent_today=self._ledger.spent_today(self._api_url),
            resets_at=self._ledger.day_ends(),
            quota_spent_until=self._ledger.quota_spent_until(self._api_url),
        )

    # Rejected records, pending until a later run delivers them.

    def rejection_is_news(self, rejection: Rejection) -> bool:
        """Whether a rejection is not pending yet for this reason and content."""
        return self._ledger.pending.is_news(self._api_url, rejection)

    def keep_rejected(self, rejection: Rejection, limit: int) -> Kept:
        """Keep a record this run could not deliver as pending (see ``PendingRejections``)."""
        return self._ledger.pending.keep(self._api_url, rejection, limit=limit)

    def claim_pending(self, stream: str, claimer: str) -> list[PendingRecord]:
        """Claim ``stream``'s pending records for this run, to send them again."""
        return self._ledger.pending.claim(self._api_url, stream, claimer)

    def pending_of(self, stream: str) -> list[PendingRecord]:
        """``stream``'s pending records, claiming none (a dry run looks only)."""
        return self._ledger.pending.listed(self._api_url, stream)

    def rejected_again(self, pending: PendingRecord, rejection: Rejection) -> None:
        """A claimed record failed again: it stays pending, one attempt more."""
        self._ledger.pending.rejected_again(self._api_url, pending, rejection)

    def pending_settled(self, pending: PendingRecord) -> None:
        """A claimed record is settled: it is pending no more."""
        self._ledger.pending.settled(self._api_url, pending)

    def release_pending(self, claimer: str) -> None:
        """The run is over: what it claimed and did not settle is free for the next one."""
        self._ledger.pending.release(claimer)

    def pending_counts(self) -> dict[str, int]:
        """Records pending per stream."""
        counts: dict[str, int] = {}
        for stream, _, count in self._ledger.pending.counts(self._api_url):
            counts[stream] = counts.get(stream, 0) + count
        return counts

    def flush(self) -> None:
        """Make every confirmation so far durable (before a STATE that covers it)."""
        self._ledger.flush()

    def close(self, *, flush: bool = True) -> None:
        """Flush (unless ``flush`` is False) and close the ledger."""
        self._ledger.close(flush=flush)

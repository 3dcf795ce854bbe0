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
import typing as t

from target_gong_di.exceptions import QuotaExhausted
from target_gong_di.ledger.store import Confirmation, body_hash

if t.TYPE_CHECKING:
    from target_gong_di.ledger.store import Ledger

LOOKUP_CHUNK = 500
"""Event ids looked up in one query: ~1.5 µs per id on SQLite at this size."""

SkipStatus = t.Literal["unchanged", "changed_after_delivery"]


class DeliveryLedger:
    """Known events, confirmations and requests spent, for one ``api_url``."""

    def __init__(self, ledger: Ledger, api_url: str, budget: int | None) -> None:
        self._ledger = ledger
        self._api_url = api_url
        self._budget = budget

    def known(self, bodies: t.Sequence[t.Mapping[str, t.Any]]) -> list[SkipStatus | None]:
        """For each body: how it stands against what Gong has confirmed, None when new."""
        ids = [str(body["eventId"]) for body in bodies if body.get("eventId") is not None]
        if not ids:
            return [None] * len(bodies)
        confirmed = self._ledger.confirmed(self._api_url, ids)
        statuses: list[SkipStatus | None] = []
        for body in bodies:
            known_hash = confirmed.get(str(body.get("eventId")))
            if known_hash is None:
                statuses.append(None)
            elif known_hash == body_hash(body):
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
    ) -> None:
        """Gong confirmed ``body``: remember it (durable at the next ``flush``)."""
        event_id = body.get("eventId")
        if event_id is None:
            return
        entry = Confirmation(stream, str(event_id), body_hash(body), outcome, request_id)
        self._ledger.confirm(self._api_url, [entry])

    def events_per_stream(self) -> dict[str, int]:
        """How many events are confirmed under each stream name (``Ledger.events_per_stream``)."""
        return self._ledger.events_per_stream(self._api_url)

    def spend(self) -> None:
        """Count one request against today's budget; raises ``BudgetExhausted`` instead."""
        self._ledger.spend(self._api_url, self._budget)

    def remember_quota_spent(self, seconds: float) -> None:
        """Gong said its daily quota is spent for ``seconds``: later runs stop at once."""
        until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
        self._ledger.remember_quota_spent(self._api_url, until)

    def check_quota(self) -> None:
        """Raise ``QuotaExhausted`` while Gong's remembered quota stop is still ahead."""
        until = self._ledger.quota_spent_until(self._api_url)
        if until is not None:
            raise QuotaExhausted(
                f"Gong's daily quota for {self._api_url} was spent (remembered in the ledger "
                f"from its 429 answer); resume after {until:%Y-%m-%d %H:%M:%S} UTC"
            )

    def flush(self) -> None:
        """Make every confirmation so far durable (before a STATE that covers it)."""
        self._ledger.flush()

    def close(self, *, flush: bool = True) -> None:
        """Flush (unless ``flush`` is False) and close the ledger."""
        self._ledger.close(flush=flush)

"""What travels through the pipeline: an event, how it ended, and who hears of it."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from target_gong_di.ledger import body_hash


@dataclass(frozen=True)
class Outcome:
    """How one event ended, with what it cost on the way."""

    status: t.Literal["delivered", "duplicate", "rejected", "unchanged", "changed_after_delivery"]
    request_id: str | None = None
    errors: tuple[str, ...] = ()
    retries: int = 0

    @property
    def stored_by_this_run(self) -> bool:
        """Gong keeps the event because of this run: delivered, or answered 409 to a retry.

        A 409 to a retry most likely answers this run's own earlier attempt, stored by Gong
        while its answer was lost (the connection dropped); ``--send-sample`` counts it.
        """
        return self.status == "delivered" or (self.status == "duplicate" and self.retries > 0)


class EventOwner(t.Protocol):
    """Whoever submitted an event hears how it ended (counts, checkpoints, dead letters)."""

    def settle(self, event: Event, outcome: Outcome) -> None:
        """Record the event's final outcome; may raise ``DeliveryStopped`` to stop the run."""

    def settle_known(self, events: list[Event], outcome: Outcome) -> None:
        """``settle`` of each of ``events``, which the ledger has (``outcome`` says how).

        A re-sync settles every event this way, a chunk of them at once.
        """

    def throttled(self) -> None:
        """Count one 429 answered to one of its events, as it arrives.

        Counted at settle, the 429s of a run stopped before its events settled went
        unreported: a run answered only 429 said "0 HTTP 429s".
        """


@dataclass(eq=False)
class Event:
    """One body on its way: its record's number in the run, and what it costs so far."""

    number: int
    record: dict
    body: dict
    payload: bytes
    owner: EventOwner
    line: int
    """Its input line, to point at the record if Gong refuses it."""
    retries: int = 0
    hash: str | None = None
    """The body's ``body_hash``, taken where the body was built, while it is still in the
    CPU's caches: the ledger looks it up (a re-sync) or confirms it (a 200) by it. None:
    taken when first asked (``ledger_hash``)."""

    def ledger_hash(self) -> str:
        """The body's ``body_hash``, taken once."""
        if self.hash is None:
            self.hash = body_hash(self.body)
        return self.hash

    @property
    def event_id(self) -> object:
        """The body's eventId, for messages."""
        return self.body.get("eventId")

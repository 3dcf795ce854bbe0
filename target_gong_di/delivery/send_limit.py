"""A cap on the events Gong does not have yet: what ``--send-sample N`` sends, and no more.

The pipeline sends concurrently, so "N sent" cannot be counted after the fact: a request
already started would be the N+1st. Each fresh event instead holds a place from when the
dispatcher takes it until it settles. A delivered event keeps its place (so does one
answered 409 to a retry: its lost first attempt was most likely stored); one Gong already
had (409) or refused (400, dead-lettered) gives it back, so the next fresh event may take
it. Events settled from the ledger never take a place, and a retry keeps the one it holds.
Every method is called under the pipeline's lock (``reached`` may be read without it: it
only ever turns true), so the class keeps no lock of its own.
"""

from __future__ import annotations


class SendLimit:
    """At most ``limit`` events delivered (None: no limit, an ordinary run)."""

    def __init__(self, limit: int | None) -> None:
        self._limit = limit
        self._delivered = 0
        self._held = 0

    def allows_another(self) -> bool:
        """Whether a fresh event may be sent now without possibly passing the limit."""
        return self._limit is None or self._delivered + self._held < self._limit

    def take(self) -> None:
        """A fresh event is about to be sent: it holds a place until it settles."""
        self._held += 1

    def settled(self, *, delivered: bool) -> None:
        """An event that held a place has settled; only a delivered one keeps it."""
        self._held -= 1
        self._delivered += delivered

    @property
    def delivered(self) -> int:
        """Events that kept their place: how many of ``limit`` are spent."""
        return self._delivered

    @property
    def reached(self) -> bool:
        """True once ``limit`` events were delivered: nothing more is sent."""
        return self._limit is not None and self._delivered >= self._limit

"""Which Singer STATE may be forwarded: the newest one whose every earlier record is settled.

Records are numbered as they are read; a STATE remembers how many records came before it.
A record is settled once it is delivered, answered 409, or written to the dead-letter file,
in whatever order the concurrent requests finish. The watermark is the longest run of
settled records from the start, and a STATE is safe once the watermark has reached it.

The SDK forwards STATE after a full drain, when everything is settled. This ledger is for
the moments a run ends early (a stop signal, the daily quota, too many rejects, an error):
it still forwards the newest safe STATE, so a restart resends at most what was unsettled.
"""

from __future__ import annotations

import collections
import threading
import typing as t


class Checkpoints:
    """A ledger of records read, records settled, and STATE messages between them."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._received = 0
        self._watermark = 0
        self._settled_ahead: set[int] = set()
        self._pending_states: collections.deque[tuple[int, dict[str, t.Any]]] = collections.deque()
        self._safe_state: dict[str, t.Any] | None = None

    def record_received(self) -> int:
        """Number the next record read; the number settles it later."""
        with self._lock:
            self._received += 1
            return self._received

    def state_received(self, state: dict[str, t.Any]) -> None:
        """Remember a STATE as covering every record read so far."""
        with self._lock:
            self._pending_states.append((self._received, state))
            self._advance()

    def settled(self, *numbers: int) -> None:
        """Mark these records delivered, duplicate or dead-lettered."""
        with self._lock:
            self._settled_ahead.update(numbers)
            while self._watermark + 1 in self._settled_ahead:
                self._watermark += 1
                self._settled_ahead.discard(self._watermark)
            self._advance()

    def _advance(self) -> None:
        while self._pending_states and self._pending_states[0][0] <= self._watermark:
            self._safe_state = self._pending_states.popleft()[1]

    @property
    def safe_state(self) -> dict[str, t.Any] | None:
        """The newest STATE every record before which is settled, if any."""
        with self._lock:
            return self._safe_state

    @property
    def unsettled(self) -> int:
        """Records read but not yet settled."""
        with self._lock:
            return self._received - self._watermark - len(self._settled_ahead)

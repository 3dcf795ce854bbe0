"""Which Singer STATE may be forwarded: the newest one whose every earlier record is settled.

Records are numbered as they are read; a STATE remembers how many records came before it.
A record is settled once it is delivered, answered 409, written to the dead-letter file, or
skipped (the ledger has it, or it is ``too_old``), in whatever order the concurrent requests
finish. The watermark is the longest run of
settled records from the start, and a STATE is safe once the watermark has reached it.

This watermark is the target's one STATE mechanism: the ``StateWriter`` writes each new
safe STATE within a moment of it becoming safe, while the run goes on and when it stops
early (a signal, the daily quota, too many rejects, an error), so a restart resends at most
what was unsettled. Each change of the safe STATE bumps a version under a Condition, so a
waiter can tell "newer than what I wrote" without a flag that two threads set and clear.
"""

from __future__ import annotations

import collections
import threading
import typing as t


class Checkpoints:
    """A ledger of records read, records settled, and STATE messages between them."""

    def __init__(self) -> None:
        # Guarded by ``_mutex``, taken directly (a Condition's own ``with`` is two Python
        # calls, paid per record); ``_changed`` tells waiters the safe STATE moved on.
        self._mutex = threading.RLock()
        self._changed = threading.Condition(self._mutex)
        self._version = 0
        self._received = 0
        self._watermark = 0
        self._settled_ahead: set[int] = set()
        self._pending_states: collections.deque[tuple[int, dict[str, t.Any]]] = collections.deque()
        self._safe_state: dict[str, t.Any] | None = None

    def record_received(self) -> int:
        """Number the next record read; the number settles it later."""
        with self._mutex:
            self._received += 1
            return self._received

    def state_received(self, state: dict[str, t.Any]) -> None:
        """Remember a STATE as covering every record read so far."""
        with self._mutex:
            if self._pending_states and self._pending_states[-1][0] == self._received:
                self._pending_states.pop()  # no record between them: the newer one says it all
            self._pending_states.append((self._received, state))
            self._advance()

    def settled(self, *numbers: int) -> None:
        """Mark these records delivered, duplicate, dead-lettered or skipped."""
        with self._mutex:
            self._settled_ahead.update(numbers)
            while self._watermark + 1 in self._settled_ahead:
                self._watermark += 1
                self._settled_ahead.discard(self._watermark)
            self._advance()

    def _advance(self) -> None:
        advanced = False
        while self._pending_states and self._pending_states[0][0] <= self._watermark:
            self._safe_state = self._pending_states.popleft()[1]
            advanced = True
        if advanced:
            self._version += 1
            self._changed.notify_all()

    def newest(self) -> tuple[int, dict[str, t.Any] | None]:
        """The safe STATE's version and the STATE itself, read together."""
        with self._mutex:
            return self._version, self._safe_state

    def wait_for_newer(self, version: int, give_up: t.Callable[[], bool]) -> None:
        """Block until the safe STATE is newer than ``version``, or ``give_up()`` is true.

        ``give_up`` is checked again whenever ``wake`` is called.
        """
        with self._mutex:
            self._changed.wait_for(lambda: self._version != version or give_up())

    def wake(self) -> None:
        """Make every ``wait_for_newer`` look at its ``give_up`` again."""
        with self._mutex:
            self._changed.notify_all()

    @property
    def safe_state(self) -> dict[str, t.Any] | None:
        """The newest STATE every record before which is settled, if any."""
        with self._mutex:
            return self._safe_state

    @property
    def received(self) -> int:
        """Records read so far."""
        with self._mutex:
            return self._received

    @property
    def settled_count(self) -> int:
        """Records settled so far, in whatever order."""
        with self._mutex:
            return self._watermark + len(self._settled_ahead)

    @property
    def unsettled(self) -> int:
        """Records read but not yet settled."""
        with self._mutex:
            return self._received - self._watermark - len(self._settled_ahead)

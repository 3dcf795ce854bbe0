"""A clock a test moves by hand, for code that reads ``time.monotonic()`` and waits on an Event.

``RateLimiter`` reads the time from its module's ``time`` and waits on the ``stopped`` Event it
is given. With ``VirtualClock`` in place of both, a test decides when time passes and sees
which thread started at which virtual instant: what it asserts is the order of events, never
how long anything took on this machine.
"""

from __future__ import annotations

import threading
import time
import typing as t


class VirtualClock:
    """``monotonic()`` for the code under test; ``advance`` is the only way time passes."""

    def __init__(self) -> None:
        self.now = 0.0
        self.changed = threading.Condition()
        self.sleepers: dict[int, float] = {}
        """Each thread waiting on a ``VirtualStop``, with the virtual instant it waits for."""

    def monotonic(self) -> float:
        with self.changed:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.changed:
            self.now += seconds
            self.changed.notify_all()

    def settled(self, running: int) -> bool:
        """Every sleeper waits for a later instant and ``running`` threads are not asleep."""
        with self.changed:
            return all(until > self.now for until in self.sleepers.values()) and (
                len(self.sleepers) == running
            )

    def settle(self, running: t.Callable[[], int], timeout: float = 10) -> None:
        """Wait (in real time, bounded) until the threads have acted on the current instant."""
        deadline = time.monotonic() + timeout
        while not self.settled(running()):
            assert time.monotonic() < deadline, "threads did not settle"
            time.sleep(0.001)


class VirtualStop(threading.Event):
    """A stop Event whose ``wait(timeout)`` lasts ``timeout`` seconds of the virtual clock."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock

    def wait(self, timeout: float | None = None) -> bool:
        clock = self.clock
        with clock.changed:
            until = float("inf") if timeout is None else clock.now + timeout
            clock.sleepers[threading.get_ident()] = until
            try:
                clock.changed.wait_for(lambda: self.is_set() or clock.now >= until)
            finally:
                del clock.sleepers[threading.get_ident()]
        return self.is_set()

    def set(self) -> None:
        super().set()
        with self.clock.changed:
            self.clock.changed.notify_all()

"""The run's one stop: why it stops, whether a stop was asked for, and whether it is over.

A run can be stopped from four places: the end of its input, bad input, a delivery thread
(the quota, retries exhausted, a refused credential) and a signal. They share one ``Stop``:
the pipeline, the rate limiter and the lifecycle each read it, so no one keeps a flag of
its own, and whichever asks first decides the cause.

Asking (``request``) and carrying out (``claim``) are apart on purpose. A delivery thread
asks and goes on; the main thread, or a stop thread when the main thread is blocked
reading a quiet tap, claims the stop and runs its steps (let requests in flight finish,
forward the newest safe STATE, close) exactly once, then marks it ``finished``.

A cause of a kind the run ``finishes_at`` (a daily limit, with ``on_daily_limit: finish``)
is a stop of sending only: nothing more is sent, but the run reads its input to the end
and ends well (``finishing``).
"""

from __future__ import annotations

import threading
import typing as t

if t.TYPE_CHECKING:
    from target_gong_di.exceptions import DeliveryStopped


class Stop:
    """Shared by every stage of one run; thread-safe."""

    def __init__(self, finishes_at: tuple[type[DeliveryStopped], ...] = ()) -> None:
        self._finishes_at = finishes_at
        self._lock = threading.Lock()
        self._cause: DeliveryStopped | None = None
        self._claimed = False
        self.requested = threading.Event()
        """Set once nothing new may start: a stop was asked for, or the run is ending."""
        self.finished = threading.Event()
        """Set once the stop (or the end of input) has checkpointed and closed everything."""

    @property
    def cause(self) -> DeliveryStopped | None:
        """Why the run stops early; None while it does not (or when it simply ended)."""
        return self._cause

    @property
    def finishing(self) -> bool:
        """Whether sending stopped for a cause the run ends well at, reading on to the end."""
        return self._cause is not None and isinstance(self._cause, self._finishes_at)

    @property
    def claimed(self) -> bool:
        """Whether someone is carrying out the stop (or the end of input) already."""
        return self._claimed

    def request(self, cause: DeliveryStopped | None = None) -> bool:
        """Start nothing new; ``cause`` is why (None: the run is ending as it should).

        The first cause is kept. True when this call gave the stop its cause, so that the
        caller, and only it, makes sure someone carries the stop out.
        """
        with self._lock:
            self.requested.set()
            if cause is None or self._cause is not None:
                return False
            self._cause = cause
            return True

    def claim(self) -> bool:
        """True for the one caller that carries out the stop; every later caller gets False."""
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

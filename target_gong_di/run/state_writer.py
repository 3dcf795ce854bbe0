"""Writes Singer STATE to stdout: the one thread that does, soon after each STATE is safe.

A STATE is safe once every record before it is delivered, a duplicate or dead-lettered
(``Checkpoints``). The forwarder wakes when that watermark moves, also while the tap is
quiet, and writes the newest safe STATE, at most once per ``interval`` so that a fast run
prints a few STATE lines a second, not thousands. Before each, the dead letters it counts
on are made durable; when they cannot be, ``before_write`` stops the run and raises, and no
STATE goes out. ``close`` writes the last safe STATE and stops the thread.
"""

from __future__ import annotations

import json
import sys
import threading
import typing as t

from target_gong_di.exceptions import DeliveryStopped

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.run.checkpoints import Checkpoints

STATE_INTERVAL_SECONDS = 0.5
"""Shortest time between two STATE lines: a resume after a crash re-sends at most this much
more than the newest settled record, and stdout carries at most two lines a second."""


class StateForwarder:
    """Forwards the newest safe STATE from its own thread."""

    def __init__(
        self,
        checkpoints: Checkpoints,
        before_write: t.Callable[[], None],
        logger: logging.Logger,
        interval: float = STATE_INTERVAL_SECONDS,
    ) -> None:
        self._checkpoints = checkpoints
        self._before_write = before_write
        self._logger = logger
        self._interval = interval
        self._closing = threading.Event()
        self._forwarded: dict[str, t.Any] | None = None
        self._thread = threading.Thread(target=self._run, name="gong-di-state", daemon=True)

    def start(self) -> None:
        """Begin forwarding."""
        self._thread.start()

    def close(self, timeout: float | None = None) -> None:
        """Forward the last safe STATE and stop the thread (waiting at most ``timeout``)."""
        self._closing.set()
        self._checkpoints.advanced.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._checkpoints.advanced.wait()
            if not self._closing.is_set():
                self._closing.wait(self._interval)  # coalesce what settles meanwhile
            self._checkpoints.advanced.clear()
            try:
                self._write(self._checkpoints.safe_state)
            except DeliveryStopped:
                pass  # e.g. the dead letters could not reach the disk: the stop reports it
            except OSError as error:  # stdout itself failed
                self._logger.error("STATE not forwarded: %s", error)  # noqa: TRY400
            if self._closing.is_set() and not self._checkpoints.advanced.is_set():
                return  # nothing settled since that write read the safe STATE

    def _write(self, state: dict[str, t.Any] | None) -> None:
        if state is None or state == self._forwarded:
            return
        self._before_write()
        line = json.dumps(state)
        self._logger.debug("Emitting completed target state %s", line)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        self._forwarded = state

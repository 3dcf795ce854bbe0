"""Writes Singer STATE to stdout: the one owner of "a STATE goes out when it is safe".

A STATE is safe once every record before it is settled: delivered, a duplicate or
dead-lettered (``Checkpoints``). Before each STATE goes out, the dead letters it counts on
are synced to disk and the ledger's confirmations are flushed; a dead letter that cannot
reach the disk stops the run and that STATE never goes out, while a ledger that cannot
take the confirmations lets the STATE out (Gong has those events; a later run settles
them with a 409 each) and then ends the run rather than stall behind it.

One thread writes, waking when the safe STATE's version changes (also while the tap is
quiet), at most once per ``interval`` so that a fast run prints a few STATE lines a
second, not thousands. ``close`` writes the last safe STATE and stops the thread.
"""

from __future__ import annotations

import json
import sys
import threading
import typing as t

from target_gong_di.exceptions import DeliveryStopped, LedgerError, OutputFileError

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.ledger import DeliveryLedger
    from target_gong_di.run.checkpoints import Checkpoints
    from target_gong_di.run.files import JsonLinesFile

STATE_INTERVAL_SECONDS = 0.5
"""Shortest time between two STATE lines: a resume after a crash re-sends at most this much
more than the newest settled record, and stdout carries at most two lines a second."""


class StateWriter:
    """Forwards the newest safe STATE from its own thread, once what it counts on is kept."""

    def __init__(
        self,
        checkpoints: Checkpoints,
        *,
        dead_letters: JsonLinesFile,
        ledger: DeliveryLedger,
        stop_run: t.Callable[[DeliveryStopped], None],
        logger: logging.Logger,
        interval: float = STATE_INTERVAL_SECONDS,
    ) -> None:
        self._checkpoints = checkpoints
        self._dead_letters = dead_letters
        self._ledger = ledger
        self._stop_run = stop_run
        self._logger = logger
        self._interval = interval
        self._closing = threading.Event()
        self._given_up = threading.Event()
        self._forwarded: dict[str, t.Any] | None = None
        self._thread = threading.Thread(target=self._run, name="gong-di-state", daemon=True)

    def start(self) -> None:
        """Begin forwarding."""
        self._thread.start()

    def close(self, timeout: float) -> bool:
        """Forward the last safe STATE and stop the thread; False if it took over ``timeout``.

        A writer given up on (still waiting on the ledger at ``timeout``) writes nothing more:
        the run has said that the tap resumes from the STATE before.
        """
        self._closing.set()
        self._checkpoints.wake()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            self._given_up.set()
            return False
        return True

    def _run(self) -> None:
        written = 0
        while True:
            self._checkpoints.wait_for_newer(written, give_up=self._closing.is_set)
            if not self._closing.is_set():
                self._closing.wait(self._interval)  # coalesce what settles meanwhile
            written, state = self._checkpoints.newest()
            try:
                self._write(state)
            except DeliveryStopped:
                pass  # e.g. the dead letters could not reach the disk: the stop reports it
            except OSError as error:  # stdout itself failed
                self._logger.error("STATE not forwarded: %s", error)  # noqa: TRY400
            if self._closing.is_set() and self._checkpoints.newest()[0] == written:
                return  # nothing settled since that write read the safe STATE

    def _write(self, state: dict[str, t.Any] | None) -> None:
        if state is None or state == self._forwarded:
            return
        self._keep_what_it_counts_on()
        if self._given_up.is_set():
            return
        line = json.dumps(state)
        self._logger.debug("Emitting completed target state %s", line)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        self._forwarded = state

    def _keep_what_it_counts_on(self) -> None:
        """Sync the dead letters and flush the confirmations the next STATE counts on."""
        try:
            self._dead_letters.sync()
        except OutputFileError as error:
            # Not this STATE, nor any later one: the run stops, its cause this error.
            self._stop_run(error)
            raise
        try:
            self._ledger.flush()  # to save requests later, not to be safe
        except LedgerError as error:
            if not self._given_up.is_set():
                self._logger.warning("%s; STATE forwarded all the same", error)
            # A ledger that cannot take the confirmations (locked, frozen, gone) cannot be
            # trusted with the next ones either: end the run rather than stall behind it,
            # each STATE a statement timeout later.
            self._stop_run(error)

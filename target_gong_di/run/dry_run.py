"""A dry run's output: the bodies a real run would send, and what the ledger would skip.

A dry run sends nothing and writes no ledger, but it reads the ledger like a real run, so
its summary says how many events would be skipped. Bodies wait in chunks for one ledger
lookup each (nothing is sent, so nothing is delayed that matters); ``close`` writes the rest.
"""

from __future__ import annotations

import typing as t

from target_gong_di.encoding import to_json
from target_gong_di.ledger import LOOKUP_CHUNK

if t.TYPE_CHECKING:
    from target_gong_di.ledger import DeliveryLedger
    from target_gong_di.run.checkpoints import Checkpoints
    from target_gong_di.run.files import JsonLinesFile
    from target_gong_di.run.report import StreamCounts


class DryRunOutput:
    """Writes each body a real run would send to the dry-run file."""

    def __init__(
        self, file: JsonLinesFile, ledger: DeliveryLedger, checkpoints: Checkpoints
    ) -> None:
        self._file = file
        self._ledger = ledger
        self._checkpoints = checkpoints
        self._pending: list[tuple[int, dict[str, t.Any], StreamCounts]] = []
        self._payloads: list[bytes | None] = []

    def add(
        self,
        number: int,
        body: dict[str, t.Any],
        counts: StreamCounts,
        payload: bytes | None = None,
    ) -> None:
        """Record ``body`` (of record ``number``) as one a real run would consider sending.

        ``payload`` is its ``to_json``, when the caller has it already: written as it is.
        """
        self._pending.append((number, body, counts))
        self._payloads.append(payload)
        if len(self._pending) >= LOOKUP_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Look the waiting bodies up in the ledger; write those a real run would send."""
        pending, self._pending = self._pending, []
        payloads, self._payloads = self._payloads, []
        if not pending:
            return
        statuses = self._ledger.known([body for _, body, _ in pending])
        self._file.append_encoded(
            *(
                to_json(body) if payload is None else payload
                for (_, body, _), payload, status in zip(pending, payloads, statuses, strict=True)
                if status is None
            )
        )  # one write for the chunk: each append is a system call
        tallies: dict[tuple[int, str], tuple[StreamCounts, int]] = {}
        for (_, _, counts), status in zip(pending, statuses, strict=True):
            key = (id(counts), status or "dry_run_written")  # (a StreamCounts is unhashable)
            tallies[key] = (counts, tallies[key][1] + 1 if key in tallies else 1)
        for (_, name), (counts, number) in tallies.items():  # one count per stream and outcome
            counts.add(name, number)
        self._checkpoints.settled(*(number for number, _, _ in pending))

    def close(self) -> None:
        """Write what waits and close the file."""
        self.flush()
        self._file.close()

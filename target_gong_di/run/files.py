"""Append-only JSON Lines files: the dead-letter file and the dry-run output.

Both are written from several threads and must survive a crash once a STATE that counts on
them has been forwarded, hence the lock and ``sync``, which runs before every STATE.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import secrets
import threading
import typing as t
from pathlib import Path

from target_gong_di.encoding import to_json
from target_gong_di.mapping.timestamps import to_utc_iso


class JsonLinesFile:
    """Appends one JSON document per line; the file is created on the first write.

    ``durable`` files are fsynced by ``sync`` (the dead-letter file: a forwarded STATE
    counts its entries as settled, so they must outlive a power cut); others are only
    flushed, which already outlives the process (the dry-run output, a preview).
    """

    def __init__(self, path: str, *, durable: bool) -> None:
        self.path = Path(path)
        self._durable = durable
        self._lock = threading.RLock()  # a signal handler may sync mid-append
        self._file: t.BinaryIO | None = None
        self._unsynced = False

    def append(self, *documents: object) -> None:
        """Write each document as one line; ``sync`` makes them durable."""
        lines = b"".join(to_json(document) + b"\n" for document in documents)
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("ab")
            self._file.write(lines)
            self._unsynced = True

    def sync(self) -> None:
        """Make what was written since the last sync durable; a no-op when nothing was."""
        with self._lock:
            if self._file is None or not self._unsynced:
                return
            self._file.flush()
            self._unsynced = False
            if not self._durable:
                return
            try:
                os.fsync(self._file.fileno())
            except OSError as error:  # a device such as /dev/null has nothing to sync
                if error.errno != errno.EINVAL:
                    raise

    def close(self) -> None:
        """Sync and close; a later append reopens the file."""
        self.sync()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def new_run_id() -> str:
    """An id for this run, sortable by time: ``20261126T120000Z-3f9a1c``."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{secrets.token_hex(3)}"


def dead_letter(
    *,
    stream: str,
    record: t.Mapping[str, t.Any],
    stage: str,
    errors: list[str],
    run_id: str,
    key: t.Mapping[str, t.Any],
    line: int | None,
    schema: t.Mapping[str, t.Any],
    key_properties: t.Sequence[str],
    body: t.Mapping[str, t.Any] | None = None,
    request_id: str | None = None,
) -> dict[str, t.Any]:
    """The dead-letter entry for a record that could not be delivered.

    ``stage`` is where it failed: ``schema`` (the stream's SCHEMA), ``mapping`` (an
    expression raised), ``validation`` (the built body breaks the API's rules) or ``api``
    (Gong answered 400). ``run_id`` tells runs apart in a file that every run appends to,
    and ``key`` (the record's key-property values) and ``line`` (its line in the input)
    point at the record, so the same record rejected by two runs is recognisable. The
    stream's ``schema`` and ``key_properties`` make each line enough for ``--replay`` to
    rebuild the record with a fixed mapping, with nothing but the file and the config.
    """
    entry: dict[str, t.Any] = {
        "stream": stream,
        "stage": stage,
        "errors": errors,
        "runId": run_id,
        "key": key,
        "line": line,
        "record": record,
        "schema": schema,
        "keyProperties": list(key_properties),
    }
    if body is not None:
        entry["body"] = body
    if request_id is not None:
        entry["requestId"] = request_id
    entry["time"] = to_utc_iso(dt.datetime.now(dt.timezone.utc))
    return entry

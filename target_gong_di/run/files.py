"""Append-only JSON Lines files: the dead-letter file and the dry-run output.

Both are written from several threads and must survive a crash once a STATE that counts on
them has been forwarded, hence the lock and ``sync``, which runs before every STATE.

A write cut short (a full disk, ``kill -9``) leaves half a line at the end of the file. The
next run ends that line before appending, so each new entry starts on a line of its own and
only the torn one is unreadable. A write or sync that fails raises ``OutputFileError``
naming the file and the cause; the entry's record is then not settled, so no STATE covers it.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import secrets
import stat
import threading
import typing as t
from pathlib import Path

from target_gong_di.encoding import to_json
from target_gong_di.exceptions import OutputFileError

if t.TYPE_CHECKING:
    import logging


class JsonLinesFile:
    """Appends one JSON document per line; the file is created on the first write.

    Each append goes straight to the operating system (no buffer in the process), so a
    failing write is known before the record counts as settled. ``durable`` files are
    fsynced by ``sync`` (the dead-letter file: a forwarded STATE counts its entries as
    settled, so they must outlive a power cut); others outlive the process only (the dry-run
    output, a preview).
    """

    def __init__(self, path: str, *, what: str, durable: bool, logger: logging.Logger) -> None:
        self.path = Path(path)
        self._what = what
        self._durable = durable
        self._logger = logger
        self._lock = threading.RLock()  # a signal handler may sync mid-append
        self._fd: int | None = None
        self._unsynced = False
        self._broken: str | None = None
        """Why the file can take no more lines: a write failed (perhaps halfway)."""
        self._unsyncable: str | None = None
        """Why nothing written may count as durable: an fsync failed, and Linux may have
        dropped the pages it could not write, so a later fsync would succeed regardless."""

    @classmethod
    def dead_letters(cls, path: str, logger: logging.Logger) -> JsonLinesFile:
        """The dead-letter file, fsynced before each STATE that counts on it."""
        return cls(path, what="dead-letter file", durable=True, logger=logger)

    @classmethod
    def dry_run_output(cls, path: str, logger: logging.Logger) -> JsonLinesFile:
        """The dry-run output: a preview, so not fsynced."""
        return cls(path, what="dry-run output", durable=False, logger=logger)

    def append(self, *documents: object) -> None:
        """Write each document as one line; ``sync`` makes them durable.

        Raises ``OutputFileError`` when the lines cannot be written whole; after that the
        file takes no more lines (they would continue a torn one).
        """
        self.append_encoded(*(to_json(document) for document in documents))

    def append_encoded(self, *encoded: bytes) -> None:
        """``append`` for documents already encoded by ``to_json``."""
        lines = b"".join(document + b"\n" for document in encoded)
        if not lines:
            return
        with self._lock:
            reason = self._broken or self._unsyncable
            if reason is not None:
                raise self._error(reason)
            try:
                if self._fd is None:
                    self._fd = self._open()
                self._write(self._fd, lines)
            except OSError as error:
                self._broken = error.strerror or str(error)
                raise self._error(self._broken) from None
            self._unsynced = True

    def sync(self) -> None:
        """Make what was written since the last sync durable; a no-op when nothing was.

        Lines written whole before a failed write are still synced: the STATE before the
        record that failed may go out. A failed fsync is final: every later sync fails too.
        """
        with self._lock:
            if self._unsyncable is not None:
                raise self._error(self._unsyncable)
            if self._fd is None or not self._unsynced or not self._durable:
                return
            try:
                os.fsync(self._fd)
            except OSError as error:  # a device such as /dev/null has nothing to sync
                if error.errno != errno.EINVAL:
                    self._unsyncable = error.strerror or str(error)
                    raise self._error(self._unsyncable) from None
            self._unsynced = False

    def close(self) -> None:
        """Sync and close; a later append reopens the file.

        Raises ``OutputFileError`` if any write failed, even one whose error went to another
        thread: a run that lost a line must not end as if it had not.
        """
        with self._lock:
            try:
                self.sync()
            finally:
                if self._fd is not None:
                    os.close(self._fd)
                    self._fd = None
            if self._broken is not None:
                raise self._error(self._broken)

    def _open(self) -> int:
        """Open for appending; a torn last line is ended first, with a warning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        fd = os.open(self.path, flags, 0o666)
        try:
            if self._ends_in_torn_line(fd):
                self._logger.warning(
                    "%s %s ends in half a line (a write cut short by a full disk or a "
                    "killed process); ending that line so new entries start on a line of "
                    "their own (--replay reports the torn one as unreadable)",
                    self._what,
                    self.path,
                )
                self._write(fd, b"\n")
        except OSError:
            os.close(fd)
            raise
        return fd

    def _ends_in_torn_line(self, fd: int) -> bool:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size == 0:
            return False  # a device (/dev/null) or a new file: nothing to end
        with self.path.open("rb") as existing:
            existing.seek(status.st_size - 1)
            return existing.read(1) != b"\n"

    @staticmethod
    def _write(fd: int, data: bytes) -> None:
        """All of ``data``: a file may take part of a write (a nearly full disk)."""
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def _error(self, reason: str) -> OutputFileError:
        return OutputFileError(f"cannot write the {self._what} {self.path}: {reason}")


def new_run_id() -> str:
    """An id for this run, sortable by time: ``20261126T120000Z-3f9a1c``."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{secrets.token_hex(3)}"

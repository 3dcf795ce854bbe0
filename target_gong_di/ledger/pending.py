"""Rejected records, kept in the ledger until a later run delivers them (or they are forgotten).

Every record a run dead-letters is also kept here, per ``api_url`` and stream, under its
identity: its key values as JSON, or the hash of the record when its stream has no key
properties or a key value is null. A newer record of the same identity replaces the older
one. When the stream's SCHEMA arrives in a later run, the run claims the stream's pending
records and sends them again, rebuilt with the config of the day; a record leaves this
table only once it is settled (delivered, or Gong has it), so a run stopped midway, even
by SIGKILL, loses none of them.

Claims keep two runs on one ledger from retrying the same record at once: a claim names
its run (host, process and run id), and only a claim whose run has ended can be taken
over (``Database.claimer_gone``). Each call is one short transaction; unlike the
confirmations, nothing is buffered, so a rejection is kept before its record counts as
settled and before any STATE that covers it.
"""

from __future__ import annotations

import decimal
import hashlib
import os
import socket
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timezone

import msgspec

from target_gong_di.encoding import to_canonical_json, to_json

if t.TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable, Mapping, Sequence

    from target_gong_di.ledger.databases import Database, Transaction

API_STAGE = "api"
"""The stage of a record Gong answered 400: sent again only once its body has changed."""

_decode = msgspec.json.Decoder(float_hook=decimal.Decimal).decode
"""Records read back as the SDK reads a tap's: numbers with a fraction as ``Decimal``."""

INSERT_PENDING = (
    "INSERT INTO gong_di_pending (api_url, stream, identity, record_key, record, record_hash, "
    "stream_schema, key_properties, stage, errors, refused_hash, attempts, first_seen, "
    "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
)
COLUMNS = (
    "stream, identity, record_key, record, record_hash, key_properties, stage, errors, "
    "refused_hash, attempts, first_seen, last_seen"
)
"""What a claim or a listing reads: not the stream's SCHEMA, the same for all and perhaps
large (a retry checks against the SCHEMA the stream has now)."""


def record_hash(record: Mapping[str, t.Any]) -> str:
    """SHA-256 of the record's canonical JSON: what tells records without keys apart."""
    return hashlib.sha256(to_canonical_json(record)).hexdigest()


def new_claimer(run_id: str) -> str:
    """The name a run claims pending records by: host, process and run."""
    return f"{socket.gethostname()}/{os.getpid()}/{run_id}"


@dataclass(frozen=True)
class Rejection:
    """A record that could not be delivered, and why: what is kept pending."""

    stream: str
    record: Mapping[str, t.Any]
    schema: Mapping[str, t.Any]
    key_properties: tuple[str, ...]
    stage: str
    errors: tuple[str, ...]
    refused_hash: str | None = None
    """For a Gong 400: the ``body_hash`` of the body Gong refused."""

    @property
    def key(self) -> dict[str, t.Any]:
        """The record's key-property values, by name."""
        return {name: self.record.get(name) for name in self.key_properties}

    @property
    def identity(self) -> str:
        """Which record this is: its key values, or its content when a key is missing."""
        values = [self.record.get(name) for name in self.key_properties]
        if values and all(value is not None for value in values):
            return "key:" + to_canonical_json(values).decode()
        return "record:" + record_hash(self.record)


@dataclass(frozen=True)
class PendingRecord:
    """A pending record as a run claims it or a user lists it."""

    stream: str
    identity: str
    key: dict[str, t.Any]
    record_text: bytes = field(repr=False)
    record_hash: str
    key_properties: tuple[str, ...]
    stage: str
    errors: tuple[str, ...]
    refused_hash: str | None
    attempts: int
    first_seen: str
    last_seen: str

    def record(self) -> dict[str, t.Any]:
        """A fresh copy of the record, as a tap would send it (checks parse it in place)."""
        return t.cast("dict[str, t.Any]", _decode(self.record_text))

    def same_reason(self, stage: str, errors: Sequence[str]) -> bool:
        """Whether a new rejection says what this one said."""
        return (stage, tuple(errors)) == (self.stage, self.errors)


class Kept(t.NamedTuple):
    """What keeping a rejection did."""

    new_reason: bool
    """First rejected, or for another reason or with other content: worth a dead-letter line."""
    dropped: int
    """The oldest pending records of its stream dropped to stay within the bound."""


class PendingRejections:
    """The pending records of a ledger; its methods may be called from several threads."""

    def __init__(
        self,
        database: Database,
        transaction: Callable[..., contextlib.AbstractContextManager[Transaction]],
        clock: Callable[[], datetime],
    ) -> None:
        self._database = database
        self._transaction = transaction
        self._clock = clock
        self._holding: set[str] = set()

    def _now(self) -> str:
        return self._clock().astimezone(timezone.utc).isoformat(timespec="microseconds")

    def is_news(self, api_url: str, rejection: Rejection) -> bool:
        """Whether the record is not pending yet, or pending for another reason or content.

        Asked before the dead-letter line is written, and ``keep`` called after it: a line
        that cannot be written leaves nothing pending that would keep the rerun from
        writing it.
        """
        with self._transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT stage, errors, record_hash FROM gong_di_pending "
                "WHERE api_url = ? AND stream = ? AND identity = ?",
                [api_url, rejection.stream, rejection.identity],
            )
        if not rows:
            return True
        stage, errors, old_hash = rows[0]
        said = (stage, tuple(_decode(errors)), old_hash)
        return said != (rejection.stage, rejection.errors, record_hash(rejection.record))

    def keep(self, api_url: str, rejection: Rejection, *, limit: int) -> Kept:
        """Keep a record the run could not deliver, replacing an older one of its identity.

        Past ``limit`` records for its stream, the oldest are dropped (each is in the
        dead-letter file already).
        """
        now = self._now()
        text = to_json(rejection.record).decode()
        hashed = record_hash(rejection.record)
        where = [api_url, rejection.stream, rejection.identity]
        values = [
            to_json(rejection.key).decode(),
            text,
            hashed,
            to_json(rejection.schema).decode(),
            to_json(list(rejection.key_properties)).decode(),
            rejection.stage,
            to_json(list(rejection.errors)).decode(),
            rejection.refused_hash,
        ]
        with self._transaction(write=True) as tx:
            rows = tx.rows(
                "SELECT stage, errors, record_hash FROM gong_di_pending "
                "WHERE api_url = ? AND stream = ? AND identity = ?",
                where,
            )
            if rows:
                tx.run(
                    "UPDATE gong_di_pending SET record_key = ?, record = ?, record_hash = ?, "
                    "stream_schema = ?, key_properties = ?, stage = ?, errors = ?, "
                    "refused_hash = ?, attempts = attempts + 1, last_seen = ? "
                    "WHERE api_url = ? AND stream = ? AND identity = ?",
                    [*values, now, *where],
                )
                stage, errors, old_hash = rows[0]
                said = (stage, tuple(_decode(errors)), old_hash)
                return Kept(said != (rejection.stage, rejection.errors, hashed), 0)
            tx.run(INSERT_PENDING, [*where, *values, now, now])
            return Kept(True, self._bound(tx, api_url, rejection.stream, limit))

    @staticmethod
    def _bound(tx: Transaction, api_url: str, stream: str, limit: int) -> int:
        """Drop the oldest pending records of ``stream`` past ``limit``; how many."""
        count = int(
            tx.rows(
                "SELECT count(*) FROM gong_di_pending WHERE api_url = ? AND stream = ?",
                [api_url, stream],
            )[0][0]
        )
        if count <= limit:
            return 0
        return tx.run(
            "DELETE FROM gong_di_pending WHERE api_url = ? AND stream = ? AND identity IN "
            "(SELECT identity FROM gong_di_pending WHERE api_url = ? AND stream = ? "
            "ORDER BY first_seen, identity LIMIT ?)",
            [api_url, stream, api_url, stream, count - limit],
        )

    def rejected_again(self, api_url: str, pending: PendingRecord, rejection: Rejection) -> None:
        """A claimed record failed again: note why, when, and one more attempt.

        Only while it is the record claimed: a newer one of its identity, kept meanwhile,
        stays as it is.
        """
        with self._transaction(write=True) as tx:
            tx.run(
                "UPDATE gong_di_pending SET stage = ?, errors = ?, refused_hash = ?, "
                "stream_schema = ?, key_properties = ?, attempts = attempts + 1, "
                "last_seen = ? WHERE api_url = ? AND stream = ? AND identity = ? "
                "AND record_hash = ?",
                [
                    rejection.stage,
                    to_json(list(rejection.errors)).decode(),
                    rejection.refused_hash,
                    to_json(rejection.schema).decode(),
                    to_json(list(rejection.key_properties)).decode(),
                    self._now(),
                    api_url,
                    pending.stream,
                    pending.identity,
                    pending.record_hash,
                ],
            )

    def claim(self, api_url: str, stream: str, claimer: str) -> list[PendingRecord]:
        """Take ``stream``'s pending records that no live run has claimed, oldest first.

        One statement takes them, so two runs claiming at once share none.
        """
        with self._transaction(write=True) as tx:
            if claimer not in self._holding:
                self._database.hold_claims(tx, claimer)
                self._holding.add(claimer)
            others = tx.rows(
                "SELECT DISTINCT claimed_by FROM gong_di_pending WHERE api_url = ? AND "
                "stream = ? AND claimed_by IS NOT NULL AND claimed_by <> ?",
                [api_url, stream, claimer],
            )
            gone = [other for (other,) in others if self._database.claimer_gone(tx, other)]
            free = "claimed_by IS NULL"
            params: list[t.Any] = [claimer, api_url, stream]
            if gone:
                match, values = self._database.any_of(gone)
                free += f" OR claimed_by {match}"
                params += values
            rows = tx.rows(
                "UPDATE gong_di_pending SET claimed_by = ? WHERE api_url = ? AND "  # noqa: S608
                f"stream = ? AND ({free}) RETURNING {COLUMNS}",
                params,
            )
        return sorted(map(_pending, rows), key=lambda row: (row.first_seen, row.identity))

    def settled(self, api_url: str, pending: PendingRecord) -> None:
        """The claimed record is settled: it leaves the pending set (unless replaced since)."""
        with self._transaction(write=True) as tx:
            tx.run(
                "DELETE FROM gong_di_pending WHERE api_url = ? AND stream = ? AND "
                "identity = ? AND record_hash = ?",
                [api_url, pending.stream, pending.identity, pending.record_hash],
            )

    def release(self, claimer: str) -> None:
        """Give up every claim of ``claimer``: the run is over."""
        with self._transaction(write=True) as tx:
            tx.run("UPDATE gong_di_pending SET claimed_by = NULL WHERE claimed_by = ?", [claimer])

    def listed(self, api_url: str, stream: str | None = None) -> list[PendingRecord]:
        """The pending records of ``api_url`` (of one stream), by stream and age."""
        sql = f"SELECT {COLUMNS} FROM gong_di_pending WHERE api_url = ?"  # noqa: S608
        params = [api_url]
        if stream is not None:
            sql += " AND stream = ?"
            params.append(stream)
        with self._transaction(write=False) as tx:
            rows = tx.rows(sql + " ORDER BY stream, first_seen, identity", params)
        return [_pending(row) for row in rows]

    def counts(self, api_url: str) -> list[tuple[str, str, int]]:
        """(stream, stage, records) of what is pending for ``api_url``."""
        with self._transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT stream, stage, count(*) FROM gong_di_pending WHERE api_url = ? "
                "GROUP BY stream, stage ORDER BY 1, 2",
                [api_url],
            )
        return [(stream, stage, int(count)) for stream, stage, count in rows]

    def forget(self, api_url: str, stream: str | None = None) -> int:
        """Forget the pending records of one stream (or all, when None); how many."""
        with self._transaction(write=True) as tx:
            if stream is None:
                return tx.run("DELETE FROM gong_di_pending WHERE api_url = ?", [api_url])
            return tx.run(
                "DELETE FROM gong_di_pending WHERE api_url = ? AND stream = ?", [api_url, stream]
            )


def _pending(row: Sequence[t.Any]) -> PendingRecord:
    (stream, identity, key, record, hashed, key_properties, stage, errors) = row[:8]
    refused, attempts, first_seen, last_seen = row[8:]
    return PendingRecord(
        stream=stream,
        identity=identity,
        key=_decode(key),
        record_text=record.encode(),
        record_hash=hashed,
        key_properties=tuple(_decode(key_properties)),
        stage=stage,
        errors=tuple(_decode(errors)),
        refused_hash=refused,
        attempts=int(attempts),
        first_seen=first_seen,
        last_seen=last_seen,
    )

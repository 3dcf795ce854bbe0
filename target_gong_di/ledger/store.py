"""The delivery ledger: what Gong has confirmed, and what today's requests have cost.

Gong allows a company about 10,000 calls a day, and a 409 for an event it already has costs
one like any other. The ledger remembers, per ``api_url`` (each Gong company has its own),
every event Gong confirmed (200 delivered, 409 duplicate) so a re-sync sends only news; it
counts every request against a daily budget shared by all runs and processes; and it
remembers when Gong said the day's quota is spent, so later runs stop before asking again.

Its confirmations hold keys and hashes only, never record content: stream, eventId, a
hash of the body sent, the outcome, Gong's requestId and the time. Rejected records are
the exception: they are kept, content and all, until a later run delivers them
(``pending``). Confirmations are buffered and written
by ``flush`` in one transaction, which the caller runs before it forwards a STATE; an event
enters the buffer only after Gong answered, so a crash at any moment can lose confirmations
(those events are sent again and answered 409) but never mark an unsent event as sent.

Tables are created on first use and upgraded step by step (``schema.MIGRATIONS``).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import typing as t
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from target_gong_di.encoding import to_canonical_json
from target_gong_di.exceptions import BudgetExhausted, LedgerError
from target_gong_di.ledger.clock import next_midnight, utc_now
from target_gong_di.ledger.databases import (
    Database,
    PostgresDatabase,
    SqliteDatabase,
    Transaction,
    postgres_errors,
)
from target_gong_di.ledger.pending import PendingRejections
from target_gong_di.ledger.read_ahead import ReadAhead
from target_gong_di.ledger.schema import has_schema, migrate
from target_gong_di.ledger.tokens import TokenSlot
from target_gong_di.redaction import redact, redact_url

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

DELIVERED = "delivered"
"""Gong answered 200: the event is new to it."""
DUPLICATE = "duplicate"
"""Gong answered 409: it already had the eventId (from an earlier run, or a lost reply)."""

SETTING = "ledger_url"
SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")
URL_EXAMPLES = "sqlite:///gong-di-ledger.db or postgresql://user:password@host:5432/database"


@dataclass(frozen=True)
class Confirmation:
    """Gong's answer to one event, as the ledger keeps it."""

    stream: str
    event_id: str
    body_hash: str
    """``body_hash`` of the body sent."""
    outcome: t.Literal["delivered", "duplicate"]
    """``DELIVERED`` (200) or ``DUPLICATE`` (409)."""
    request_id: str | None
    """Gong's requestId, its reference for the answer."""


class LedgerCount(t.NamedTuple):
    """How many events of a stream were confirmed on a UTC day with one outcome."""

    stream: str
    day: date
    outcome: str
    events: int


def body_hash(body: Mapping[str, t.Any]) -> str:
    """SHA-256 of the body's canonical JSON: key order does not matter, numbers stay exact."""
    return hashlib.sha256(to_canonical_json(body)).hexdigest()


def ledger_url_errors(url: t.Any) -> list[str]:
    """Why ``url`` cannot be a ledger URL, one line naming ``ledger_url``; [] when it can."""
    if isinstance(url, str):
        scheme = url.split(":", 1)[0].lower()
        if url.startswith(SQLITE_PREFIX) and len(url) > len(SQLITE_PREFIX):
            return []
        if scheme in POSTGRES_SCHEMES and "://" in url:
            return []
        shown = repr(redact_url(url))
    else:
        shown = "not text"
    return [f"{SETTING}: {shown} is not a ledger URL like {URL_EXAMPLES}"]


def open_ledger(
    url: str, *, read_only: bool = False, clock: Callable[[], datetime] = utc_now
) -> Ledger:
    """Open the ledger at ``url``, creating or upgrading its tables unless ``read_only``.

    ``sqlite:///path.db`` is a file, relative to the working directory
    (``sqlite:////abs/path.db`` for an absolute path); ``postgresql://...`` a database, whose
    role needs CREATE on the schema for the first use (and upgrades), then only SELECT,
    INSERT, UPDATE and DELETE. ``read_only`` (dry runs) creates and writes nothing: a ledger
    that does not exist yet reads as empty. ``clock`` is "now", for tests that move days.
    """
    errors = ledger_url_errors(url)
    if errors:
        raise LedgerError(errors[0])
    try:
        database = _open_database(url, read_only=read_only)
    except LedgerError as error:
        raise LedgerError(f"{SETTING} {redact_url(url)}: {redact(str(error), url)}") from None
    except (sqlite3.Error, postgres_errors()) as error:
        raise LedgerError(
            f"{SETTING} {redact_url(url)}: cannot open the ledger: {redact(str(error), url)}"
        ) from None
    return Ledger(database, url, read_only=read_only, clock=clock)


def _open_database(url: str, *, read_only: bool) -> Database:
    """The database at ``url`` with the current tables; closed again if that fails."""
    database = _connect(url, read_only=read_only)
    try:
        if read_only and (database is None or not has_schema(database)):
            if database is not None:
                database.close()
            return _empty_database()
        assert database is not None  # only a read-only open finds none
        migrate(database, read_only=read_only)
    except BaseException:
        if database is not None:
            database.close()
        raise
    return database


def _connect(url: str, *, read_only: bool) -> Database | None:
    """The database at ``url``; None when reading a SQLite file that does not exist."""
    if url.startswith(SQLITE_PREFIX):
        path = url[len(SQLITE_PREFIX) :]
        if read_only and not Path(path).exists():
            return None
        return SqliteDatabase(path, read_only=read_only)
    return PostgresDatabase(url, read_only=read_only)


def _empty_database() -> Database:
    """An in-memory ledger with the tables: what a dry run reads when none exists yet."""
    database = SqliteDatabase(":memory:")
    migrate(database, read_only=False)
    return database


INSERT_CONFIRMATION = """
    INSERT INTO gong_di_confirmations
        (api_url, event_id, stream, body_hash, outcome, request_id, confirmed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (api_url, event_id) DO NOTHING
"""
"""Gong keeps the first report of an eventId, and so does the ledger."""

SPEND = """
    INSERT INTO gong_di_requests (api_url, day, spent) VALUES (?, ?, 1)
    ON CONFLICT (api_url, day) DO UPDATE SET spent = gong_di_requests.spent + 1
"""
WITHIN_BUDGET = " WHERE gong_di_requests.spent < ?"
RETURNING_SPENT = " RETURNING spent"


class Ledger:
    """An open ledger; its methods may be called from several threads at once."""

    def __init__(
        self,
        database: Database,
        url: str,
        *,
        read_only: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self._database = database
        self._url = url
        self._shown_url = redact_url(url)
        self._read_only = read_only
        self._clock = clock
        self._pending_lock = threading.Lock()
        self._failure: str | None = None
        """The first database error, once there was one (see ``_transaction``)."""
        self._pending: dict[tuple[str, str], tuple[str | None, ...]] = {}
        """Confirmations not yet flushed, by (api_url, eventId): the INSERT's parameters."""
        self._read_ahead = ReadAhead(database) if isinstance(database, SqliteDatabase) else None
        self.pending = PendingRejections(database, self._transaction, clock)
        """Rejected records, kept until a later run delivers them (``pending``)."""

    def __repr__(self) -> str:
        return f"Ledger({self._shown_url}{', read-only' if self._read_only else ''})"

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self, *, flush: bool = True) -> None:
        """Flush what Gong has confirmed (it is true, whatever ends the run), then close.

        ``flush`` False, or a ledger that has failed already, closes without writing: a
        stop past its grace does not wait on the database again, and the confirmations
        left out only cost a 409 each in a later run.
        """
        try:
            if flush and self._failure is None:
                self.flush()
        finally:
            self._database.close()

    # Confirmed events.

    def confirmed(self, api_url: str, event_ids: Sequence[str]) -> dict[str, str]:
        """The body hash of each of ``event_ids`` that Gong has confirmed for ``api_url``.

        One query per call, meant for chunks of a few hundred; confirmations not yet
        flushed count too, so an eventId repeated within a run is not sent twice.
        """
        if not event_ids:
            return {}
        # The buffer first: a flush between the two reads moves entries into the table.
        buffered: dict[str, str] = {}
        with self._pending_lock:
            for event_id in event_ids if self._pending else ():
                pending = self._pending.get((api_url, event_id))
                if pending is not None:
                    buffered[event_id] = str(pending[3])
        with self._transaction(write=False) as tx:
            if self._read_ahead is not None:
                found = self._read_ahead.confirmed(api_url, event_ids)
            else:
                match, params = self._database.any_of(event_ids)
                found = tx.pairs(
                    "SELECT event_id, body_hash FROM gong_di_confirmations "  # noqa: S608
                    f"WHERE api_url = ? AND event_id {match}",
                    [api_url, *params],
                )
        return {**buffered, **found}

    def confirm(self, api_url: str, entries: Iterable[Confirmation]) -> None:
        """Buffer Gong's answers; ``flush`` makes them durable. Call only after Gong answered."""
        self._check_writable()
        confirmed_at = self._clock().astimezone(timezone.utc).isoformat()
        with self._pending_lock:
            for entry in entries:
                self._pending.setdefault(
                    (api_url, entry.event_id),
                    (
                        api_url,
                        entry.event_id,
                        entry.stream,
                        entry.body_hash,
                        entry.outcome,
                        entry.request_id,
                        confirmed_at,
                    ),
                )

    def flush(self) -> int:
        """Write every confirmation buffered so far in one transaction; how many there were.

        Call it before forwarding a STATE. The entries stay buffered (and visible to
        ``confirmed``) until the transaction commits, so a failed flush loses nothing.
        """
        with self._pending_lock:
            batch = dict(self._pending)
        if not batch:
            return 0
        with self._transaction(write=True) as tx:
            tx.run_many(INSERT_CONFIRMATION, list(batch.values()))
        with self._pending_lock:
            for key in batch:
                self._pending.pop(key, None)
        return len(batch)

    # Look and undo.

    def counts(self, api_url: str) -> list[LedgerCount]:
        """Confirmed events per stream, UTC day and outcome, for ``api_url``."""
        with self._transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT stream, substr(confirmed_at, 1, 10), outcome, count(*) "
                "FROM gong_di_confirmations WHERE api_url = ? "
                "GROUP BY stream, substr(confirmed_at, 1, 10), outcome ORDER BY 1, 2, 3",
                [api_url],
            )
        return [
            LedgerCount(stream, date.fromisoformat(day), outcome, int(count))
            for stream, day, outcome, count in rows
        ]

    def events_per_stream(self, api_url: str) -> dict[str, int]:
        """How many events are confirmed under each stream name, for ``api_url``.

        The stream is the one that first sent each event; an unmapped stream's error names
        a similar one from here, whose eventIds a namespace can keep.
        """
        with self._transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT stream, count(*) FROM gong_di_confirmations WHERE api_url = ? "
                "GROUP BY stream",
                [api_url],
            )
        return {stream: int(count) for stream, count in rows}

    def forget(self, api_url: str, stream: str | None = None) -> int:
        """Forget the confirmations of one stream (or all, when None) for ``api_url``.

        Those events are sent again; Gong answers 409 for each it still has. Returns how many
        were forgotten. Requests spent and the remembered quota stay.
        """
        self._check_writable()
        with self._transaction(write=True) as tx:
            if stream is None:
                return tx.run("DELETE FROM gong_di_confirmations WHERE api_url = ?", [api_url])
            return tx.run(
                "DELETE FROM gong_di_confirmations WHERE api_url = ? AND stream = ?",
                [api_url, stream],
            )

    # The daily budget.

    def spend(self, api_url: str, budget: int | None) -> int:
        """Count one request against today's (UTC) budget; the number spent today with it.

        Atomic across threads and processes: one statement increments the day's count only
        while it is below ``budget``. Raises ``BudgetExhausted`` (counting nothing) when the
        request would exceed it. ``budget`` None counts without a limit.
        """
        self._check_writable()
        if budget is not None and budget < 1:
            raise ValueError(f"daily_request_budget must be at least 1, not {budget}")
        day = self.today()
        sql = SPEND + (WITHIN_BUDGET if budget is not None else "") + RETURNING_SPENT
        params = [api_url, day.isoformat()] + ([budget] if budget is not None else [])
        with self._transaction(write=True) as tx:
            rows = tx.rows(sql, params)
            if rows:
                return int(rows[0][0])
            spent = self._spent_on(tx, api_url, day)
        raise BudgetExhausted(api_url, spent, t.cast("int", budget), next_midnight(day))

    def spent_today(self, api_url: str) -> int:
        """Requests counted today (UTC) for ``api_url``, by every run and process."""
        with self._transaction(write=False) as tx:
            return self._spent_on(tx, api_url, self.today())

    @staticmethod
    def _spent_on(tx: Transaction, api_url: str, day: date) -> int:
        rows = tx.rows(
            "SELECT spent FROM gong_di_requests WHERE api_url = ? AND day = ?",
            [api_url, day.isoformat()],
        )
        return int(rows[0][0]) if rows else 0

    # Gong's own quota.

    def remember_quota_spent(self, api_url: str, until: datetime) -> None:
        """Remember that Gong said ``api_url``'s daily quota is spent until ``until``."""
        self._check_writable()
        if until.tzinfo is None:
            raise ValueError("until must be an aware datetime")
        with self._transaction(write=True) as tx:
            tx.run(
                "INSERT INTO gong_di_quota (api_url, spent_until) VALUES (?, ?) "
                "ON CONFLICT (api_url) DO UPDATE SET spent_until = excluded.spent_until",
                [api_url, until.astimezone(timezone.utc).isoformat()],
            )

    def quota_spent_until(self, api_url: str) -> datetime | None:
        """Until when Gong's quota for ``api_url`` is spent, if that is still in the future."""
        with self._transaction(write=False) as tx:
            rows = tx.rows("SELECT spent_until FROM gong_di_quota WHERE api_url = ?", [api_url])
        if not rows:
            return None
        until = datetime.fromisoformat(rows[0][0])
        return until if until > self._clock() else None

    # OAuth tokens.

    @contextlib.contextmanager
    def token_slot(self, client_id: str, api_url: str) -> Iterator[TokenSlot]:
        """The stored tokens, locked against every other process until the block ends.

        Only one process refreshes a consent at a time: a refresh token is single-use, so
        two refreshing at once would make one of them spend a refresh token already spent.
        The block re-reads what is stored (another process may have just rotated it), may
        call the token endpoint, and ``replace``s; the new tokens are committed when the block
        ends, before the caller uses them.
        """
        self._check_writable()
        with self._transaction(write=True) as tx:
            self._database.lock(tx, _lock_key(client_id, api_url))
            yield TokenSlot(tx, client_id, api_url, self._clock)

    # Helpers.

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Transaction]:
        """A transaction whose database errors become a ``LedgerError`` without the password.

        The first such error is kept, and every later transaction fails with it at once: a
        ledger that timed out (a lock held, a frozen server) ends the run, and the stop must
        not wait out the same timeout again for each statement on its way.
        """
        if self._failure is not None:
            raise LedgerError(self._failure)
        try:
            with self._database.transaction(write=write) as tx:
                yield tx
        except (sqlite3.Error, postgres_errors()) as error:
            self._failure = f"{SETTING} {self._shown_url}: {redact(str(error), self._url)}"
            raise LedgerError(self._failure) from None

    def now(self) -> datetime:
        """The ledger's "now": what its days, quota stops and token expiries are read by."""
        return self._clock()

    def day_ends(self) -> datetime:
        """When today (UTC) ends by the ledger's clock, and the daily budget starts again."""
        return next_midnight(self.today())

    def today(self) -> date:
        """Today's date in UTC by the ledger's clock: the day requests are counted against."""
        return self._clock().astimezone(timezone.utc).date()

    def _check_writable(self) -> None:
        if self._read_only:
            raise LedgerError(f"{SETTING} {self._shown_url}: opened read-only (a dry run)")


def _lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for ``parts``."""
    digest = hashlib.sha256("\x00".join(["gong_di_oauth_tokens", *parts]).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)

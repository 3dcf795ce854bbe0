"""The delivery ledger: what Gong has confirmed, and what today's requests have cost.

Gong allows a company about 10,000 calls a day, and a 409 for an event it already has costs
one like any other. The ledger remembers, per ``api_url`` (each Gong company has its own),
every event Gong confirmed (200 delivered, 409 duplicate) so a re-sync sends only news; it
counts every request against a daily budget shared by all runs and processes; and it
remembers when Gong said the day's quota is spent, so later runs stop before asking again.

It holds keys and hashes only, never record content: stream, eventId, a hash of the body
sent, the outcome, Gong's requestId and the time. Confirmations are buffered and written
by ``flush`` in one transaction, which the caller runs before it forwards a STATE; an event
enters the buffer only after Gong answered, so a crash at any moment can lose confirmations
(those events are sent again and answered 409) but never mark an unsent event as sent.

Tables are created on first use and upgraded step by step (``MIGRATIONS``, with the version
in a one-row table); a later feature adds its tables as one more step.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import typing as t
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from target_gong_di.encoding import to_canonical_json
from target_gong_di.exceptions import BudgetExhausted, LedgerError
from target_gong_di.ledger_databases import (
    Database,
    PostgresDatabase,
    SqliteDatabase,
    Transaction,
)

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

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: confirmed events. Keyed by api_url: an eventId Gong confirmed for one company (or
    # its sandbox) says nothing about another. Only keys and hashes, no record content.
    (
        """CREATE TABLE gong_di_confirmations (
            api_url TEXT NOT NULL,
            event_id TEXT NOT NULL,
            stream TEXT NOT NULL,
            body_hash TEXT NOT NULL,
            outcome TEXT NOT NULL,
            request_id TEXT,
            confirmed_at TEXT NOT NULL,
            PRIMARY KEY (api_url, event_id)
        )""",
        "CREATE INDEX gong_di_confirmations_stream ON gong_di_confirmations (api_url, stream)",
    ),
    # 2: requests spent per UTC day, and until when Gong said the daily quota is spent.
    (
        """CREATE TABLE gong_di_requests (
            api_url TEXT NOT NULL,
            day TEXT NOT NULL,
            spent INTEGER NOT NULL,
            PRIMARY KEY (api_url, day)
        )""",
        """CREATE TABLE gong_di_quota (
            api_url TEXT PRIMARY KEY,
            spent_until TEXT NOT NULL
        )""",
    ),
    # 3: the pace shared by every process on a PostgreSQL ledger (``shared_pacing``): the
    # next free start slot, until when a 429 paused everyone, and the pace as a share of the
    # configured rate with the time it was last set. Seconds since the epoch, by the
    # database's clock. A SQLite ledger has the table too, unused: one schema for both.
    (
        """CREATE TABLE gong_di_pacing (
            api_url TEXT PRIMARY KEY,
            next_slot DOUBLE PRECISION NOT NULL,
            paused_until DOUBLE PRECISION NOT NULL,
            pace DOUBLE PRECISION NOT NULL,
            pace_at DOUBLE PRECISION NOT NULL
        )""",
    ),
    # 4: an OAuth app's tokens per consent. Gong's refresh tokens are single-use, so the
    # rotated one must outlive the run; origin is the SHA-256 of the config's refresh_token
    # the row descends from (a different one in the config is a new consent).
    (
        """CREATE TABLE gong_di_oauth_tokens (
            oauth_client_id TEXT NOT NULL,
            api_url TEXT NOT NULL,
            origin TEXT NOT NULL,
            refresh_token TEXT NOT NULL,
            access_token TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            expires_in REAL NOT NULL,
            api_base_url TEXT,
            rotated_at TEXT NOT NULL,
            PRIMARY KEY (oauth_client_id, api_url)
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
VERSION_TABLE = "gong_di_schema"


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


@dataclass(frozen=True)
class StoredTokens:
    """An OAuth app's tokens as the ledger keeps them (the tokens never in a repr)."""

    origin: str
    """``token_origin`` of the config's refresh_token this consent started from."""
    refresh_token: str = field(repr=False)
    access_token: str = field(repr=False)
    expires_at: datetime
    """When the access token expires (aware, UTC)."""
    expires_in: float
    """Its lifetime in seconds, as Gong gave it: how early to renew it depends on it."""
    api_base_url: str | None
    """The token response's ``api_base_url_for_customer``."""


class TokenSlot:
    """The stored tokens of one consent, read and replaced inside one locked transaction."""

    def __init__(
        self, tx: Transaction, client_id: str, api_url: str, clock: Callable[[], datetime]
    ) -> None:
        self._tx = tx
        self._key = [client_id, api_url]
        self._clock = clock
        rows = tx.rows(
            "SELECT origin, refresh_token, access_token, expires_at, expires_in, api_base_url "
            "FROM gong_di_oauth_tokens WHERE oauth_client_id = ? AND api_url = ?",
            self._key,
        )
        self.stored: StoredTokens | None = None
        """What is stored now: another process may have rotated it a moment ago."""
        if rows:
            origin, refresh, access, expires_at, expires_in, base_url = rows[0]
            self.stored = StoredTokens(
                origin,
                refresh,
                access,
                datetime.fromisoformat(expires_at),
                float(expires_in),
                base_url,
            )

    def replace(self, tokens: StoredTokens) -> None:
        """Store ``tokens`` in place of the old ones; durable when the transaction commits."""
        self._tx.run(
            "INSERT INTO gong_di_oauth_tokens (oauth_client_id, api_url, origin, refresh_token, "
            "access_token, expires_at, expires_in, api_base_url, rotated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (oauth_client_id, api_url) DO UPDATE SET origin = excluded.origin, "
            "refresh_token = excluded.refresh_token, access_token = excluded.access_token, "
            "expires_at = excluded.expires_at, expires_in = excluded.expires_in, "
            "api_base_url = excluded.api_base_url, "
            "rotated_at = excluded.rotated_at",
            [
                *self._key,
                tokens.origin,
                tokens.refresh_token,
                tokens.access_token,
                tokens.expires_at.astimezone(timezone.utc).isoformat(),
                tokens.expires_in,
                tokens.api_base_url,
                self._clock().astimezone(timezone.utc).isoformat(),
            ],
        )
        self.stored = tokens


def token_origin(refresh_token: str) -> str:
    """SHA-256 of a config refresh_token: recognises a consent without storing it twice."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class LedgerCount(t.NamedTuple):
    """How many events of a stream were confirmed on a UTC day with one outcome."""

    stream: str
    day: date
    outcome: str
    events: int


def body_hash(body: Mapping[str, t.Any]) -> str:
    """SHA-256 of the body's canonical JSON: key order does not matter, numbers stay exact."""
    return hashlib.sha256(to_canonical_json(body)).hexdigest()


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def redact_url(url: str) -> str:
    """``url`` with any password (in the authority or a ``password`` query parameter) as ***."""
    return redact(url, url)


def _passwords(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        in_query = [value for key, value in parse_qsl(parts.query) if "password" in key.lower()]
        return [secret for secret in [parts.password, *in_query] if secret]
    except ValueError:
        return []


def redact(text: str, url: str) -> str:
    """``text`` with every password of ``url`` replaced by ***."""
    for secret in _passwords(url):
        text = text.replace(secret, "***")
    return text


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
    except (sqlite3.Error, _postgres_errors()) as error:
        raise LedgerError(
            f"{SETTING} {redact_url(url)}: cannot open the ledger: {redact(str(error), url)}"
        ) from None
    return Ledger(database, url, read_only=read_only, clock=clock)


def _open_database(url: str, *, read_only: bool) -> Database:
    """The database at ``url`` with the current tables; closed again if that fails."""
    database = _connect(url, read_only=read_only)
    try:
        if read_only and (database is None or not _has_schema(database)):
            if database is not None:
                database.close()
            return _empty_database()
        assert database is not None  # only a read-only open finds none
        _migrate(database, read_only=read_only)
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
    _migrate(database, read_only=False)
    return database


def _postgres_errors() -> type[Exception]:
    import psycopg  # noqa: PLC0415 - loaded only when a ledger call has failed

    return psycopg.Error


def _has_schema(database: Database) -> bool:
    with database.transaction(write=False) as tx:
        return database.has_table(tx, VERSION_TABLE)


def _schema_version(database: Database, tx: Transaction) -> int:
    if not database.has_table(tx, VERSION_TABLE):
        return 0
    return int(tx.rows(f"SELECT version FROM {VERSION_TABLE}")[0][0])  # noqa: S608


def _migrate(database: Database, *, read_only: bool) -> None:
    """Bring the tables to ``SCHEMA_VERSION``, one step at a time, in one transaction.

    The version is read first without locking, so a ledger that is up to date needs no
    CREATE privilege and no write; the write path re-reads it under the schema lock, as
    another process may have upgraded it meanwhile.
    """
    with database.transaction(write=False) as tx:
        version = _schema_version(database, tx)
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"the ledger has schema version {version}, newer than this target-gong-di knows "
            f"({SCHEMA_VERSION}); upgrade target-gong-di"
        )
    if version == SCHEMA_VERSION:
        return
    if read_only:
        raise LedgerError(
            f"the ledger has schema version {version}, older than {SCHEMA_VERSION}; a run "
            "that is not a dry run upgrades it"
        )
    with database.transaction(write=True) as tx:
        database.lock_schema(tx)
        version = _schema_version(database, tx)
        if version == 0:
            tx.run(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
            tx.run(f"INSERT INTO {VERSION_TABLE} (version) VALUES (0)")  # noqa: S608
        for step in MIGRATIONS[version:]:
            for statement in step:
                tx.run(statement)
        tx.run(f"UPDATE {VERSION_TABLE} SET version = ?", [SCHEMA_VERSION])  # noqa: S608


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
        self._pending: dict[tuple[str, str], tuple[str | None, ...]] = {}
        """Confirmations not yet flushed, by (api_url, eventId): the INSERT's parameters."""

    def __repr__(self) -> str:
        return f"Ledger({self._shown_url}{', read-only' if self._read_only else ''})"

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush what Gong has confirmed (it is true, whatever ends the run), then close."""
        try:
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
        match, params = self._database.any_of(event_ids)
        with self._transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT event_id, body_hash FROM gong_di_confirmations "  # noqa: S608
                f"WHERE api_url = ? AND event_id {match}",
                [api_url, *params],
            )
        return {**buffered, **dict(rows)}

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
        raise BudgetExhausted(api_url, spent, t.cast("int", budget), _next_midnight(day))

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
        """A transaction whose database errors become a ``LedgerError`` without the password."""
        try:
            with self._database.transaction(write=write) as tx:
                yield tx
        except (sqlite3.Error, _postgres_errors()) as error:
            raise LedgerError(
                f"{SETTING} {self._shown_url}: {redact(str(error), self._url)}"
            ) from None

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


def _next_midnight(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc)

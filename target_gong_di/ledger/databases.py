"""The two databases a ledger can live in, behind one small interface.

``ledger.py`` writes its SQL once, with ``?`` placeholders and portable types (TEXT,
INTEGER, ``INSERT ... ON CONFLICT``, ``RETURNING``); a database here only connects, runs
statements in transactions, and spells the few things the two differ in: placeholders,
matching a list of values, and how concurrent first uses are kept from creating tables twice.

Each database is one connection behind a lock, shared by the threads of a process. Every call
is one short transaction (a few hundred microseconds on SQLite), so threads rarely wait, and
one connection keeps a PostgreSQL server's connection count at one per run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import threading
import time
import typing as t
from pathlib import Path
from urllib.parse import quote

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import psycopg

Params = t.Sequence[t.Any]

SQLITE_BUSY_TIMEOUT_SECONDS = 30
"""How long a SQLite write waits for another process's (each holds the lock for milliseconds)."""

POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
"""libpq's ``connect_timeout``: a frozen server accepts the TCP connection and never answers."""

POSTGRES_STATEMENT_TIMEOUT_SECONDS = 5
"""The server-side ``statement_timeout`` and ``lock_timeout`` of every ledger statement.

Each statement takes milliseconds; one waiting this long is behind another session's lock (a
migration, ``VACUUM FULL``, ``LOCK TABLE``) or an overloaded server, and the run stops (with
its safe STATE) rather than stall silently."""

POSTGRES_CLIENT_BOUND_SECONDS = POSTGRES_STATEMENT_TIMEOUT_SECONDS + 2
"""How long the client waits for any answer before it cuts the connection.

A frozen server (or a dead network) never sends the server-side timeout's error, and the
kernel of a stopped server still acknowledges every byte, so TCP keepalives and
``tcp_user_timeout`` cannot tell either: only a client-side clock can."""


def postgres_connect(url: str) -> psycopg.Connection[t.Any]:
    """An autocommit connection to ``url`` whose every statement is bounded.

    Server side: ``statement_timeout`` and ``lock_timeout``. Client side: ``connect_timeout``,
    TCP keepalives and ``tcp_user_timeout`` for a network that vanished, and ``bounded``
    around each statement for a server that stopped answering.
    """
    import psycopg  # noqa: PLC0415 - only ledgers on PostgreSQL need it loaded

    timeout_ms = POSTGRES_STATEMENT_TIMEOUT_SECONDS * 1000
    connection: psycopg.Connection[t.Any] = psycopg.connect(
        url,
        autocommit=True,
        connect_timeout=POSTGRES_CONNECT_TIMEOUT_SECONDS,
        keepalives=1,
        keepalives_idle=POSTGRES_STATEMENT_TIMEOUT_SECONDS,
        keepalives_interval=1,
        keepalives_count=2,
        tcp_user_timeout=timeout_ms,
    )
    try:
        with bounded(connection):
            connection.execute(f"SET statement_timeout = {timeout_ms}")
            connection.execute(f"SET lock_timeout = {timeout_ms}")
    except BaseException:
        connection.close()
        raise
    return connection


@contextlib.contextmanager
def bounded(
    connection: psycopg.Connection[t.Any], seconds: float = POSTGRES_CLIENT_BOUND_SECONDS
) -> Iterator[None]:
    """Cut ``connection`` when the block has waited ``seconds`` for the server.

    Shutting the socket down wakes the thread blocked in libpq at once, with an error; the
    connection is then unusable, so every later statement fails fast and the run stops.
    """
    import psycopg  # noqa: PLC0415 - only ledgers on PostgreSQL need it loaded

    cut = threading.Event()

    def cut_connection() -> None:
        cut.set()
        with contextlib.suppress(Exception):
            descriptor = os.dup(connection.pgconn.socket)
            with socket.socket(fileno=descriptor) as cutting:
                cutting.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, cut_connection)
    timer.daemon = True
    timer.start()
    try:
        yield
    except psycopg.Error as error:
        if cut.is_set():
            raise psycopg.OperationalError(
                f"the database did not answer within {seconds:.0f} s (connection cut)"
            ) from error
        raise
    finally:
        timer.cancel()


class Transaction(t.Protocol):
    """Statements inside one transaction of a ``Database``."""

    def rows(self, sql: str, params: Params = ()) -> list[tuple[t.Any, ...]]:
        """Run ``sql`` and return the rows it yields."""

    def run(self, sql: str, params: Params = ()) -> int:
        """Run ``sql`` and return how many rows it changed."""

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Run ``sql`` once per row of parameters."""

    def pairs(self, sql: str, params: Params = ()) -> dict[t.Any, t.Any]:
        """Run ``sql``, whose rows are (text key, text value), and return them as a dict."""


class Database(t.Protocol):
    """A connection the ledger's SQL runs on."""

    def transaction(self, *, write: bool) -> contextlib.AbstractContextManager[Transaction]:
        """One transaction, committed when the block ends, rolled back if it raises."""

    def any_of(self, values: Sequence[str]) -> tuple[str, list[t.Any]]:
        """SQL matching a column against ``values`` (after the column), and its parameters."""

    def has_table(self, tx: Transaction, name: str) -> bool:
        """Whether table ``name`` exists."""

    def lock_schema(self, tx: Transaction) -> None:
        """Keep other processes from changing the schema until ``tx`` ends."""

    def lock(self, tx: Transaction, key: int) -> None:
        """Keep other processes from taking the lock ``key`` (a 64-bit int) until ``tx`` ends."""

    def hold_claims(self, tx: Transaction, claimer: str) -> None:
        """Say, for as long as this connection lives, that ``claimer`` is alive."""

    def claimer_gone(self, tx: Transaction, claimer: str) -> bool:
        """Whether ``claimer`` (another run's, see ``hold_claims``) has ended."""

    def close(self) -> None:
        """Close the connection."""


class SqliteDatabase:
    """A SQLite file in WAL mode, so several processes can share it.

    WAL lets readers go on while one process writes; the busy timeout makes a writer wait for
    another's short transaction instead of failing. ``synchronous=NORMAL`` makes a commit
    survive the process being killed (it is in the WAL before ``COMMIT`` returns); only a power
    loss can undo the last commits, and an undone confirmation only means Gong is asked again
    and answers 409.
    """

    def __init__(self, path: str, *, read_only: bool = False) -> None:
        # mode=ro never writes the database (SQLite may add its -wal/-shm files beside it).
        target = f"file:{quote(str(Path(path).absolute()))}?mode=ro" if read_only else path
        self._connection = sqlite3.connect(
            target,
            uri=read_only,
            timeout=SQLITE_BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # transactions are begun explicitly below
            check_same_thread=False,  # the lock below serialises the threads
        )
        if not read_only:
            self._use_wal()
            self._connection.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()

    def _use_wal(self) -> None:
        """Switch the file to WAL (once: the mode is kept in the file).

        Two processes opening a new file at once contend for the switch, and SQLite answers
        "database is locked" at once instead of waiting the busy timeout: so wait here.
        """
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
        while True:
            try:
                self._connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
            else:
                return

    @contextlib.contextmanager
    def transaction(self, *, write: bool) -> Iterator[Transaction]:
        """One transaction; a write one takes SQLite's write lock (or waits for it) up front.

        ``BEGIN IMMEDIATE``: a write that began as a read could fail halfway with "database is
        locked" when another process wrote meanwhile, which the busy timeout cannot wait out.
        """
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def rows(self, sql: str, params: Params = ()) -> list[tuple[t.Any, ...]]:
        """Run ``sql`` and return the rows it yields."""
        return self._connection.execute(sql, params).fetchall()

    def pairs(self, sql: str, params: Params = ()) -> dict[t.Any, t.Any]:
        """Run ``sql``, whose rows are (text key, text value), and return them as a dict."""
        return dict(self.rows_at_once(sql, params, width=2))

    def rows_at_once(self, sql: str, params: Params, *, width: int) -> list[list[t.Any]]:
        """``rows`` of ``sql`` (``width`` columns of text or numbers), in one step.

        Gathered into one JSON array by SQLite: ``sqlite3`` lets go of the GIL at each row it
        steps to, and taking it back per row from the thread reading the tap cost a re-sync
        about a third of its CPU time (500 keys a lookup).
        """
        names = ", ".join(f"c{column}" for column in range(width))
        sql = f"WITH found({names}) AS ({sql}) SELECT json_group_array(json_array({names})) FROM found"  # noqa: S608,E501
        ((found,),) = self._connection.execute(sql, params).fetchall()
        return json.loads(found)

    def run(self, sql: str, params: Params = ()) -> int:
        """Run ``sql`` and return how many rows it changed."""
        return self._connection.execute(sql, params).rowcount

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Run ``sql`` once per row of parameters."""
        self._connection.executemany(sql, rows)

    def any_of(self, values: Sequence[str]) -> tuple[str, list[t.Any]]:
        """``IN (?, ?, ...)``: SQLite has no arrays (and allows 32,766 parameters)."""
        return f"IN ({', '.join('?' * len(values))})", list(values)

    def has_table(self, tx: Transaction, name: str) -> bool:
        """Whether table ``name`` exists."""
        return bool(
            tx.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name])
        )

    def lock_schema(self, tx: Transaction) -> None:
        """Nothing more: a write transaction (``BEGIN IMMEDIATE``) already excludes others."""

    def lock(self, tx: Transaction, key: int) -> None:
        """Nothing more: a write transaction (``BEGIN IMMEDIATE``) already excludes others."""

    def hold_claims(self, tx: Transaction, claimer: str) -> None:
        """Nothing: the claimer's process is its proof of life (see ``claimer_gone``)."""

    def claimer_gone(self, tx: Transaction, claimer: str) -> bool:
        """Whether the claimer's process has ended.

        A SQLite ledger is shared by the processes of one machine: a claimer named by
        another host's name cannot be asked, and is taken as gone (the worst that can come
        of it is a 409).
        """
        host, _, rest = claimer.partition("/")
        pid = rest.partition("/")[0]
        if host != socket.gethostname() or not pid.isdigit():
            return True
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, under another user
            return False
        return False

    def close(self) -> None:
        """Close the connection (the last one to close folds the WAL into the file)."""
        self._connection.close()


SCHEMA_LOCK_KEY = 0x60_9D_1E_D6
"""The advisory lock that serialises schema changes by concurrent first uses."""


class PostgresDatabase:
    """A PostgreSQL database through psycopg 3, in autocommit mode with explicit transactions.

    Every statement is bounded (``postgres_connect``, ``bounded``): a locked table or a
    frozen server ends the run with a ``LedgerError`` instead of stalling it.
    """

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self._connection = postgres_connect(url)
        self._connection.read_only = read_only
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(self, *, write: bool) -> Iterator[Transaction]:
        """A transaction; READ COMMITTED suffices, as every write is one atomic statement."""
        with self._lock:
            self._bounded_run("BEGIN")
            try:
                yield self
            except BaseException:
                with contextlib.suppress(Exception):  # a cut connection has nothing to undo
                    self._bounded_run("ROLLBACK")
                raise
            self._bounded_run("COMMIT")

    def _bounded_run(self, sql: str) -> None:
        """BEGIN, COMMIT or ROLLBACK, bounded like every statement (a COMMIT can hang too)."""
        with bounded(self._connection):
            self._connection.execute(sql)

    def rows(self, sql: str, params: Params = ()) -> list[tuple[t.Any, ...]]:
        """Run ``sql`` and return the rows it yields."""
        with bounded(self._connection):
            return self._connection.execute(_pyformat(sql), params).fetchall()

    def pairs(self, sql: str, params: Params = ()) -> dict[t.Any, t.Any]:
        """Run ``sql``, whose rows are (text key, text value), and return them as a dict."""
        return dict(self.rows(sql, params))

    def run(self, sql: str, params: Params = ()) -> int:
        """Run ``sql`` and return how many rows it changed."""
        with bounded(self._connection):
            return self._connection.execute(_pyformat(sql), params).rowcount

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Run ``sql`` once per row (psycopg pipelines them: one round trip, not one per row)."""
        with bounded(self._connection), self._connection.cursor() as cursor:
            cursor.executemany(_pyformat(sql), rows)

    def any_of(self, values: Sequence[str]) -> tuple[str, list[t.Any]]:
        """``= ANY(?)`` with the values as one array: one statement text for any count."""
        return "= ANY(?)", [list(values)]

    def has_table(self, tx: Transaction, name: str) -> bool:
        """Whether table ``name`` exists in the schema tables are created in.

        A query of ``pg_tables``, not ``to_regclass``: after waiting for the schema lock, the
        catalog cache behind ``to_regclass`` can still miss a table another process just made.
        """
        return bool(
            tx.rows(
                "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?",
                [name],
            )
        )

    def lock_schema(self, tx: Transaction) -> None:
        """Take the advisory lock; two processes creating the tables at once would collide."""
        self.lock(tx, SCHEMA_LOCK_KEY)

    def lock(self, tx: Transaction, key: int) -> None:
        """Wait for the transaction-scoped advisory lock ``key``.

        Not a row lock: a row lock cannot cover a row that does not exist yet (the first
        refresh of a consent).
        """
        tx.rows("SELECT pg_advisory_xact_lock(?)", [key])

    def hold_claims(self, tx: Transaction, claimer: str) -> None:
        """Take ``claimer``'s advisory lock for the session: it ends with the connection.

        A process killed outright drops its connection, so the server frees the lock at
        once and another run may retry what it had claimed.
        """
        tx.rows("SELECT pg_advisory_lock(?)", [claim_lock_key(claimer)])

    def claimer_gone(self, tx: Transaction, claimer: str) -> bool:
        """Whether nobody holds ``claimer``'s lock (tried for this transaction only)."""
        rows = tx.rows("SELECT pg_try_advisory_xact_lock(?)", [claim_lock_key(claimer)])
        return bool(rows[0][0])

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def claim_lock_key(claimer: str) -> int:
    """The signed 64-bit advisory lock key that says ``claimer`` is alive."""
    digest = hashlib.sha256(f"gong_di_pending\x00{claimer}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _pyformat(sql: str) -> str:
    """The ledger's ``?`` placeholders as psycopg's ``%s`` (its SQL has no other ? or %)."""
    return sql.replace("?", "%s")


def postgres_errors() -> type[Exception]:
    """Psycopg's base error, imported only when a ledger call has failed."""
    import psycopg  # noqa: PLC0415 - loaded only when a ledger call has failed

    return psycopg.Error

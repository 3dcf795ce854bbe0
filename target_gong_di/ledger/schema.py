"""The ledger's tables, created on first use and upgraded one step at a time.

Each step of ``MIGRATIONS`` is a tuple of statements, run in one transaction under the
schema lock; the version lives in a one-row table. A later feature adds its tables as one
more step, never by editing an old one: ledgers already in use have run it.
"""

from __future__ import annotations

import typing as t

from target_gong_di.exceptions import LedgerError

if t.TYPE_CHECKING:
    from target_gong_di.ledger.databases import Database, Transaction

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
    # 5: rejected records, pending until a later run delivers them (``pending``). Unlike
    # the rest, they hold record content: the record, its stream's SCHEMA and key
    # properties, as the dead-letter file does. identity is the key values as JSON (or the
    # record's hash when it has none); record_hash tells a newer version of it from the one
    # a run claimed; refused_hash is the hash of the body Gong answered 400; claimed_by the
    # run retrying it now.
    (
        """CREATE TABLE gong_di_pending (
            api_url TEXT NOT NULL,
            stream TEXT NOT NULL,
            identity TEXT NOT NULL,
            record_key TEXT NOT NULL,
            record TEXT NOT NULL,
            record_hash TEXT NOT NULL,
            stream_schema TEXT NOT NULL,
            key_properties TEXT NOT NULL,
            stage TEXT NOT NULL,
            errors TEXT NOT NULL,
            refused_hash TEXT,
            attempts INTEGER NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            claimed_by TEXT,
            PRIMARY KEY (api_url, stream, identity)
        )""",
        "CREATE INDEX gong_di_pending_age ON gong_di_pending (api_url, stream, first_seen)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
VERSION_TABLE = "gong_di_schema"


def has_schema(database: Database) -> bool:
    """Whether the ledger's tables exist: a dry run reads a ledger that has none as empty."""
    with database.transaction(write=False) as tx:
        return database.has_table(tx, VERSION_TABLE)


def _schema_version(database: Database, tx: Transaction) -> int:
    if not database.has_table(tx, VERSION_TABLE):
        return 0
    return int(tx.rows(f"SELECT version FROM {VERSION_TABLE}")[0][0])  # noqa: S608


def migrate(database: Database, *, read_only: bool) -> None:
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

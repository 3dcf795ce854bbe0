"""Opening a ledger: URLs, first use, schema upgrades, privileges, and read-only dry runs."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from ledger_examples import CONFIRMATION, GONG, PASSWORD

from target_gong_di.ledger import Rejection
from target_gong_di.ledger.schema import MIGRATIONS, SCHEMA_VERSION
from target_gong_di.ledger.store import (
    LedgerError,
    open_ledger,
)


def execute(url: str, *statements: str) -> list[tuple]:
    """Run statements on the ledger's database directly; the last one's rows."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            rows = [connection.execute(statement).fetchall() for statement in statements]
        connection.close()
        return rows[-1]
    with psycopg.connect(url, autocommit=True) as connection:
        rows = [connection.execute(statement) for statement in statements]
        return rows[-1].fetchall() if rows[-1].description else []


def test_first_use_creates_the_tables_at_the_current_schema_version(ledger_url):
    open_ledger(ledger_url).close()
    assert execute(ledger_url, "SELECT version FROM gong_di_schema") == [(SCHEMA_VERSION,)]


def test_a_ledger_of_an_older_version_is_upgraded_keeping_its_confirmations(ledger_url):
    execute(
        ledger_url,
        "CREATE TABLE gong_di_schema (version INTEGER NOT NULL)",
        "INSERT INTO gong_di_schema (version) VALUES (1)",
        *MIGRATIONS[0],
        f"INSERT INTO gong_di_confirmations VALUES "
        f"('{GONG}', 'e1', 's', 'h', 'delivered', 'r', '2026-11-01T00:00:00+00:00')",
    )
    with open_ledger(ledger_url) as ledger:
        assert ledger.confirmed(GONG, ["e1"]) == {"e1": "h"}
        assert ledger.spend(GONG, 10) == 1
    assert execute(ledger_url, "SELECT version FROM gong_di_schema") == [(SCHEMA_VERSION,)]


def test_a_ledger_from_before_pending_rejections_is_upgraded_to_keep_them(ledger_url):
    before = SCHEMA_VERSION - 1  # the step that added gong_di_pending is the last
    execute(
        ledger_url,
        "CREATE TABLE gong_di_schema (version INTEGER NOT NULL)",
        f"INSERT INTO gong_di_schema (version) VALUES ({before})",
        *(statement for step in MIGRATIONS[:before] for statement in step),
    )
    rejected = Rejection("s", {"id": 1}, {"type": "object"}, ("id",), "mapping", ("x",))
    with open_ledger(ledger_url) as ledger:
        ledger.pending.keep(GONG, rejected, limit=10)
        assert [row.key for row in ledger.pending.listed(GONG)] == [{"id": 1}]


def test_a_ledger_of_a_newer_version_is_refused(ledger_url):
    open_ledger(ledger_url).close()
    execute(ledger_url, "UPDATE gong_di_schema SET version = 99")
    with pytest.raises(LedgerError, match="schema version 99, newer than"):
        open_ledger(ledger_url)


def test_a_role_with_only_select_insert_update_delete_can_use_an_existing_ledger(postgres_url):
    schema = f"ledger_{uuid.uuid4().hex[:12]}"
    role = f"writer_{uuid.uuid4().hex[:12]}"
    owner_url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    execute(postgres_url, f"CREATE SCHEMA {schema}")
    open_ledger(owner_url).close()
    execute(
        postgres_url,
        f"CREATE ROLE {role} LOGIN",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    )
    parts = urlsplit(owner_url)
    role_url = parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()
    with open_ledger(role_url) as ledger:
        ledger.confirm(GONG, [CONFIRMATION])
        assert ledger.flush() == 1
        assert ledger.spend(GONG, 5) == 1
        assert ledger.forget(GONG) == 1


def test_reading_a_ledger_that_does_not_exist_creates_nothing(ledger_url):
    with open_ledger(ledger_url, read_only=True) as ledger:
        assert ledger.confirmed(GONG, ["e1"]) == {}
        assert ledger.counts(GONG) == []
        assert ledger.spent_today(GONG) == 0
    if ledger_url.startswith("sqlite:///"):
        assert not Path(ledger_url.removeprefix("sqlite:///")).exists()
    else:
        assert execute(ledger_url, "SELECT to_regclass('gong_di_schema')") == [(None,)]


def test_a_read_only_ledger_reads_what_was_confirmed(ledger_url):
    with open_ledger(ledger_url) as ledger:
        ledger.confirm(GONG, [CONFIRMATION])
    with open_ledger(ledger_url, read_only=True) as reader:
        assert reader.confirmed(GONG, ["e1"]) == {"e1": CONFIRMATION.body_hash}


@pytest.mark.parametrize(
    "write",
    [
        lambda ledger: ledger.confirm(GONG, [CONFIRMATION]),
        lambda ledger: ledger.spend(GONG, None),
        lambda ledger: ledger.forget(GONG),
    ],
    ids=["confirm", "spend", "forget"],
)
def test_a_read_only_ledger_refuses_writes(ledger_url, write):
    open_ledger(ledger_url).close()
    with open_ledger(ledger_url, read_only=True) as reader, pytest.raises(LedgerError) as refused:
        write(reader)
    assert "opened read-only (a dry run)" in str(refused.value)


def test_a_lost_connection_is_a_ledger_error_without_the_password(postgres_url):
    parts = urlsplit(postgres_url)
    name = f"ledger_{uuid.uuid4().hex[:12]}"
    execute(postgres_url, f"CREATE SCHEMA {name}")
    url = parts._replace(
        netloc=f"{parts.username}:{PASSWORD}@{parts.hostname}:{parts.port}",
        query=f"application_name={name}&options=-csearch_path%3D{name}",
    ).geturl()
    with open_ledger(url) as ledger:
        execute(
            postgres_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = '{name}'",
        )
        with pytest.raises(LedgerError) as failed:
            ledger.spent_today(GONG)
        text = str(failed.value)
        assert text.startswith(f"ledger_url postgresql://{parts.username}:***@")
        assert PASSWORD not in text

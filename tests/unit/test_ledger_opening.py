"""Opening a ledger that needs no PostgreSQL server: URLs, SQLite paths, read-only files."""

from __future__ import annotations

import re

import pytest
from ledger_examples import CONFIRMATION, GONG, PASSWORD

from target_gong_di.ledger.store import (
    LedgerError,
    open_ledger,
)


def test_a_relative_sqlite_path_is_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ledgers").mkdir()
    open_ledger("sqlite:///ledgers/gong.db").close()
    assert (tmp_path / "ledgers" / "gong.db").exists()


def test_an_unknown_url_is_refused_naming_the_setting_without_its_password():
    with pytest.raises(LedgerError) as refused:
        open_ledger(f"mysql://gong:{PASSWORD}@db.example/ledger")
    assert str(refused.value).startswith("ledger_url: 'mysql://gong:***@db.example/ledger' is not")
    assert PASSWORD not in str(refused.value)


def test_an_unreachable_server_is_named_without_the_password():
    url = f"postgresql://gong:{PASSWORD}@127.0.0.1:1/ledger?sslpassword={PASSWORD}x"
    with pytest.raises(LedgerError) as refused:
        open_ledger(url)
    text = str(refused.value)
    assert text.startswith("ledger_url postgresql://gong:***@127.0.0.1:1/ledger?sslpassword=***")
    assert "cannot open the ledger" in text
    assert PASSWORD not in text


def test_a_missing_sqlite_directory_is_named(tmp_path):
    url = f"sqlite:///{tmp_path}/missing/l.db"
    with pytest.raises(LedgerError, match=re.escape(f"ledger_url {url}: cannot open the ledger")):
        open_ledger(url)


def test_a_read_only_sqlite_ledger_leaves_the_database_file_unchanged(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    with open_ledger(url) as ledger:
        ledger.confirm(GONG, [CONFIRMATION])
    before = (tmp_path / "ledger.db").read_bytes()
    with open_ledger(url, read_only=True) as reader:
        reader.counts(GONG)
    assert (tmp_path / "ledger.db").read_bytes() == before

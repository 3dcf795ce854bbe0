"""Shared fixtures: a real sandbox on 127.0.0.1 and a way to run the real target process.

Helpers the tests share live in tests/support/ (on sys.path); no test imports this file.
Every test under tests/unit/ is marked ``unit`` and every test under tests/process/ ``process``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import typing as t
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from ledger_examples import Clock
from postgres_server import PostgresServer
from scripted_server import Answer, ScriptedServer
from singer_messages import SECRET
from target_runs import Run, limit_file_size

from target_gong_di.sandbox import Sandbox, SandboxOptions

TESTS = Path(__file__).resolve().parent
MARKERS = {"unit": TESTS / "unit", "process": TESTS / "process"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its directory: ``-m unit`` runs in seconds, ``-m process`` the rest."""
    for item in items:
        path = Path(item.path).resolve()
        for marker, folder in MARKERS.items():
            if path.is_relative_to(folder):
                item.add_marker(marker)


@pytest.fixture
def sandbox() -> t.Iterator[Sandbox]:
    with Sandbox(SandboxOptions(access_key="key", access_key_secret=SECRET)) as server:
        yield server


@pytest.fixture
def make_sandbox() -> t.Iterator[t.Callable[..., Sandbox]]:
    """A sandbox with chosen misbehaviour; credentials are always key / SECRET."""
    started: list[Sandbox] = []

    def make(**options: t.Any) -> Sandbox:
        server = Sandbox(SandboxOptions(access_key="key", access_key_secret=SECRET, **options))
        started.append(server.start())
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def run_target(tmp_path: Path) -> t.Callable[..., Run]:
    """Run ``python -m target_gong_di`` with a config and Singer messages on stdin."""

    def run(
        config: dict,
        messages: list[dict] | str | bytes | Path,
        *,
        sandbox: Sandbox | None = None,
        env: dict[str, str] | None = None,
        args: t.Sequence[str] = (),
        file_size_limit: int | None = None,
    ) -> Run:
        """``file_size_limit`` (bytes, RLIMIT_FSIZE) makes a write past it stop partway, as on
        a disk that fills: the write is cut short, then fails with EFBIG. ``messages`` as a
        ``Path`` is a file the target reads as its stdin, as from ``< file``, not a pipe."""
        full_config = {
            "dead_letter_path": str(tmp_path / "rejected.jsonl"),
            "dry_run_path": str(tmp_path / "dry-run.jsonl"),
            "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
            "max_retries": 3,
            "max_requests_per_second": 100,
            **(
                {"api_url": sandbox.url, "access_key": "key", "access_key_secret": SECRET}
                if sandbox
                else {}
            ),
            **config,
        }
        config_path = tmp_path / "config.json"
        config_path.write_text(json.dumps(full_config))
        # Bytes as they are, so a test can send what is not UTF-8.
        if isinstance(messages, Path):
            stdin: dict[str, t.Any] = {"stdin": messages.open("rb")}
        elif isinstance(messages, bytes):
            stdin = {"input": messages}
        elif isinstance(messages, str):
            stdin = {"input": messages.encode()}
        else:
            stdin = {"input": "".join(json.dumps(message) + "\n" for message in messages).encode()}
        try:
            completed = subprocess.run(
                [sys.executable, "-m", "target_gong_di", "--config", str(config_path), *args],
                **stdin,
                capture_output=True,
                timeout=300,
                env=env,
                check=False,
                cwd=tmp_path,  # files the config leaves at their defaults land here
                preexec_fn=None if file_size_limit is None else limit_file_size(file_size_limit),
            )
        finally:
            if "stdin" in stdin:
                stdin["stdin"].close()
        return Run(
            completed.returncode,
            completed.stdout.decode(),
            completed.stderr.decode(errors="replace"),
            Path(full_config["dead_letter_path"]),
            Path(full_config["dry_run_path"]),
        )

    return run


@pytest.fixture
def scripted() -> t.Iterator[t.Callable[..., ScriptedServer]]:
    """A server on 127.0.0.1 answering POSTs with the scripted answers in turn."""
    started: list[ScriptedServer] = []

    def start(*answers: Answer) -> ScriptedServer:
        server = ScriptedServer(list(answers))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture
def clock() -> Clock:
    """A "now" the ledger reads, which a test moves by hand."""
    return Clock(datetime(2026, 11, 26, 22, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="session")
def postgres_url() -> t.Iterator[str]:
    """A real PostgreSQL server on loopback for the whole session (see ``PostgresServer``)."""
    server = PostgresServer().start()
    try:
        yield server.url
    finally:
        server.stop()


def _fresh_schema(server_url: str) -> str:
    """A ledger URL on ``server_url`` in a new, empty schema of its own."""
    schema = f"ledger_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    return f"{server_url}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty ledger location: a SQLite file, or a schema of its own on the server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return _fresh_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture
def shared_ledger_url(postgres_url: str) -> str:
    """A fresh PostgreSQL ledger, the kind several processes share a rate through."""
    return _fresh_schema(postgres_url)

"""Shared fixtures: a real sandbox on 127.0.0.1 and a way to run the real target process."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import typing as t
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from postgres_server import PostgresServer

from target_gong_di.sandbox import Sandbox, SandboxOptions

DATA = Path(__file__).parent / "data_files"
SECRET = "s3cr3t-never-printed"


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


def schema(stream: str, properties: dict, key_properties: list[str] | None = None) -> dict:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": key_properties if key_properties is not None else [],
    }


def record(stream: str, values: dict) -> dict:
    return {"type": "RECORD", "stream": stream, "record": values}


def state(value: dict) -> dict:
    return {"type": "STATE", "value": value}


def error_lines(stderr: str) -> list[str]:
    """The message of each ERROR line a run logged."""
    return [line.split(" | ", 3)[-1] for line in stderr.splitlines() if "| ERROR" in line]


def refusal(stderr: str) -> str:
    """The message of a run's one ERROR line (there must be exactly one)."""
    [line] = error_lines(stderr)
    return line


@dataclass
class Run:
    """What one run of the target process left behind."""

    returncode: int
    stdout: str
    stderr: str
    dead_letter_path: Path
    dry_run_path: Path

    @property
    def states(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def dead_letters(self) -> list[dict]:
        if not self.dead_letter_path.exists():
            return []
        return [json.loads(line) for line in self.dead_letter_path.read_text().splitlines()]

    @property
    def dry_run_bodies(self) -> list[dict]:
        return [json.loads(line) for line in self.dry_run_path.read_text().splitlines()]


@pytest.fixture
def run_target(tmp_path: Path) -> t.Callable[..., Run]:
    """Run ``python -m target_gong_di`` with a config and Singer messages on stdin."""

    def run(
        config: dict,
        messages: list[dict] | str | bytes,
        *,
        sandbox: Sandbox | None = None,
        env: dict[str, str] | None = None,
        args: t.Sequence[str] = (),
        file_size_limit: int | None = None,
    ) -> Run:
        """``file_size_limit`` (bytes, RLIMIT_FSIZE) makes a write past it stop partway, as on
        a disk that fills: the write is cut short, then fails with EFBIG."""
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
        if isinstance(messages, bytes):
            stdin = messages
        elif isinstance(messages, str):
            stdin = messages.encode()
        else:
            stdin = "".join(json.dumps(message) + "\n" for message in messages).encode()
        completed = subprocess.run(
            [sys.executable, "-m", "target_gong_di", "--config", str(config_path), *args],
            input=stdin,
            capture_output=True,
            timeout=300,
            env=env,
            check=False,
            cwd=tmp_path,  # files the config leaves at their defaults land here
            preexec_fn=None if file_size_limit is None else _limit_file_size(file_size_limit),
        )
        return Run(
            completed.returncode,
            completed.stdout.decode(),
            completed.stderr.decode(errors="replace"),
            Path(full_config["dead_letter_path"]),
            Path(full_config["dry_run_path"]),
        )

    return run


def _limit_file_size(limit: int) -> t.Callable[[], None]:
    """Run in the child before it starts: no file it writes may grow past ``limit`` bytes.

    Python ignores SIGXFSZ, so the write that crosses the limit is cut short and the next
    one fails with EFBIG instead of killing the process.
    """
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


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

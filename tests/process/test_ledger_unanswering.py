"""A PostgreSQL ledger that stops answering ends the run on its own, and loses nothing.

Real target processes on a real PostgreSQL server: one test holds a ledger table behind
another session's ``LOCK TABLE ... IN ACCESS EXCLUSIVE MODE`` (as a migration or ``VACUUM
FULL`` takes), the others freeze the server with SIGSTOP, which no server-side timeout can
answer. Times are not asserted: that the run ends at all, under a generous subprocess timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import typing as t
from pathlib import Path

import psycopg
from postgres_server import PostgresServer
from processes import TargetProcess, pipeline, pipeline_stream, stored_ids, wait_until

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from target_gong_di.sandbox import Sandbox

PASSWORD = "pg-pass-never-printed"
EVENTS = 200


def last_id(states: list[dict]) -> int:
    """The id of the newest record the last STATE covers; -1 without one."""
    return states[-1]["bookmarks"][pipeline_stream(0)]["id"] if states else -1


def with_password(url: str) -> str:
    """``url`` with a password (the loopback server trusts, so it is ignored)."""
    return url.replace("@", f":{PASSWORD}@", 1)


def resumed(states: list[dict]) -> list[dict]:
    """The messages a tap sends when it resumes from the last STATE in ``states``."""
    after = last_id(states)
    _, messages = pipeline(0, EVENTS)
    return [messages[0]] + [
        m for m in messages[1:] if m["type"] != "RECORD" or m["record"]["id"] > after
    ]


def start(tmp_path: Path, server: Sandbox, url: str, messages: list[dict]) -> TargetProcess:
    mappings, _ = pipeline(0, EVENTS)
    config = {**mappings, "ledger_url": url, "max_requests_per_second": 10}
    return TargetProcess(tmp_path, server, config, messages)


def assert_stopped_naming_the_ledger(code: int, stderr: str, url: str) -> None:
    assert code != 0
    assert PASSWORD not in stderr
    assert f"ledger_url {url.replace(PASSWORD, '***')}" in stderr


def test_a_ledger_table_locked_by_another_session_ends_the_run_and_a_rerun_loses_nothing(
    make_sandbox, tmp_path, shared_ledger_url
):
    server = make_sandbox()
    url = with_password(shared_ledger_url)
    _, messages = pipeline(0, EVENTS)
    target = start(tmp_path, server, url, messages)
    wait_until(lambda: len(server.store.events) >= 5)
    with psycopg.connect(shared_ledger_url) as locker, locker.transaction():
        locker.execute("LOCK TABLE gong_di_confirmations IN ACCESS EXCLUSIVE MODE")
        code, stderr = target.finish()
    assert_stopped_naming_the_ledger(code, stderr, url)
    errors = [line for line in stderr.splitlines() if "ERROR" in line]
    assert len([line for line in errors if "ledger_url" in line]) == 1, stderr
    delivered = stored_ids(server)
    assert set(range(last_id(target.states) + 1)) <= delivered  # the STATE is safe
    assert len(delivered) < EVENTS

    rerun = start(tmp_path, server, url, resumed(target.states))
    code, stderr = rerun.finish()
    assert code == 0, stderr
    assert stored_ids(server) == set(range(EVENTS))
    assert len(server.store.events) == EVENTS


@contextlib.contextmanager
def frozen(database: PostgresServer) -> Iterator[None]:
    """SIGSTOP the postmaster and every backend; SIGCONT them all when the block ends."""
    postmaster = int((database.data / "postmaster.pid").read_text().split()[0])
    pids = [postmaster, *children(postmaster)]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def children(parent: int) -> list[int]:
    """The pids whose parent is ``parent`` (the server's backends), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent:
                    found.append(int(entry.name))
    return found


@contextlib.contextmanager
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own: freezing the session's one would stall other tests."""
    database = PostgresServer().start()
    try:
        yield database
    finally:
        database.stop()


@contextlib.contextmanager
def frozen_mid_run(make_sandbox, tmp_path) -> Iterator[tuple[Sandbox, TargetProcess, str]]:
    """A run whose ledger server of its own is frozen once 5 events are delivered."""
    server = make_sandbox()
    with own_server() as database:
        url = with_password(database.url)
        _, messages = pipeline(0, EVENTS)
        target = start(tmp_path, server, url, messages)
        wait_until(lambda: len(server.store.events) >= 5)
        with frozen(database):
            yield server, target, url


def test_a_frozen_ledger_server_ends_the_run_on_its_own(make_sandbox, tmp_path):
    with frozen_mid_run(make_sandbox, tmp_path) as (server, target, url):
        code, stderr = target.finish()
    assert_stopped_naming_the_ledger(code, stderr, url)
    assert set(range(last_id(target.states) + 1)) <= stored_ids(server)


def test_sigterm_while_the_ledger_server_is_frozen_ends_the_run(make_sandbox, tmp_path):
    with frozen_mid_run(make_sandbox, tmp_path) as (server, target, _):
        target.process.send_signal(signal.SIGTERM)
        code, stderr = target.finish()
    assert code != 0
    assert PASSWORD not in stderr
    assert set(range(last_id(target.states) + 1)) <= stored_ids(server)

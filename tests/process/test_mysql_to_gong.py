"""The README's "ten minutes" as a new user types it: MariaDB → tap-mysql → target-gong-di.

Every command comes from the README's tagged ``sh`` blocks (setup, loader, mysql, sample,
dry-run, sandbox, run), run one by one with bash in a fresh ``meltano init`` project whose
``PATH`` holds only ``meltano`` and the system's tools: nothing of this checkout's virtualenv,
so the README cannot lean on a ``target-gong-di`` or ``gong-di-sandbox`` a user would not have.
The only changes are the substitutions below, each of which must match: this checkout
instead of GitHub, the pinned definition of Hub's default tap-mysql instead of the Hub, and
the test server's address, port and password.

The database is a real MariaDB (Debian's ``mariadb-server``) on loopback with three dirty
tables (``tests/data_files/mariadb_tables.sql``) and a time zone of +02:00; the tap is
``pipelinewise-tap-mysql`` from PyPI, installed by ``meltano install`` into its own venv.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import typing as t
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from mariadb_server import PASSWORD, USER, MariaDBServer
from meltano_project import MELTANO
from postgres_server import free_port
from readme_blocks import typed_commands
from repo_paths import DATA, ROOT

pytestmark = pytest.mark.meltano

SANDBOX = ".meltano/loaders/target-gong-di/venv/bin/gong-di-sandbox"
BACKGROUND = " > sandbox.log 2>&1 &"
STREAMS = {"shop-usage_events", "shop-webinar_attendance", "shop-nps_answers"}
ROWS = 120 + 40 + 30
EMOJI = ("🚀", "🎉", "😍")
NPS_START = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
SUMMARY = re.compile(
    r"Run summary for stream '([^']+)': (\d+) delivered, (\d+) duplicates, (\d+) unchanged "
    r"and (\d+) changed_after_delivery skipped \(already in the ledger\), (\d+) dead-lettered"
)


class Project:
    """The user's shell: each README command runs in ``root`` with bash, stopping at a failure."""

    def __init__(self, parent: Path, substitutions: dict[str, dict[str, str]]) -> None:
        self.parent = parent
        self.root = parent / "my-project"
        self.substitutions = substitutions
        bin_dir = parent / "bin"
        bin_dir.mkdir()
        (bin_dir / "meltano").symlink_to(MELTANO)
        self.env = {
            **{
                name: value
                for name, value in os.environ.items()
                if not name.startswith(("TARGET_GONG_DI_", "TAP_MYSQL_", "MELTANO_"))
                and name not in {"VIRTUAL_ENV", "PYTHONPATH"}
            },
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def commands(self, kind: str) -> list[str]:
        """The README's ``kind`` block as this test types it (``typed_commands``)."""
        return typed_commands(kind, self.substitutions.get(kind, {}))

    def run(self, command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        completed = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=cwd or self.root, env=self.env, capture_output=True, text=True, timeout=600,
            check=False,
        )  # fmt: skip
        assert completed.returncode == 0, f"{command}\n{completed.stdout}\n{completed.stderr}"
        print(f"{time.monotonic() - started:6.1f} s  {command}")  # shown with -s or on failure
        return completed

    def run_block(self, kind: str) -> list[subprocess.CompletedProcess[str]]:
        return [self.run(command) for command in self.commands(kind)]


@pytest.fixture(scope="module")
def mariadb() -> t.Iterator[MariaDBServer]:
    server = MariaDBServer().start()
    try:
        server.sql((DATA / "mariadb_tables.sql").read_text(), database="shop")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sandbox_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, mariadb: MariaDBServer, sandbox_port: int
) -> Project:
    loader = {
        "https://raw.githubusercontent.com/<owner>/target-gong-di/main/target-gong-di.meltano.yml":
            str(ROOT / "target-gong-di.meltano.yml"),
        "git+https://github.com/<owner>/target-gong-di.git": str(ROOT),
    }  # fmt: skip
    tap = {
        "extractor tap-mysql": f"extractor tap-mysql --from-ref {DATA / 'tap-mysql.meltano.yml'}",
        "host db.example.com": "host 127.0.0.1",
        "port 3306": f"port {mariadb.port}",
        "user gong_reader": f"user {USER}",
        "'<password>'": shlex.quote(PASSWORD),
    }
    sandbox = {"8765": str(sandbox_port)}
    project = Project(
        tmp_path_factory.mktemp("user"), {"loader": loader, "mysql": tap, "sandbox": sandbox}
    )
    [install, init] = project.commands("setup")
    assert install.startswith('pip install "meltano~=4.4"')  # the test's venv has it
    project.run(init, cwd=project.parent)
    project.run_block("loader")
    project.run_block("mysql")
    return project


@pytest.fixture(scope="module")
def suggestion(project: Project) -> dict[str, t.Any]:
    project.run_block("sample")
    return json.loads((project.root / "mappings.json").read_text())["mappings"]


@pytest.fixture(scope="module")
def dry_run(project: Project, suggestion: dict[str, t.Any]) -> tuple[list[dict], list[dict]]:
    """The unedited suggestion, run on every row: (bodies built, records dead-lettered)."""
    project.run_block("dry-run")
    return lines(project.root / "gong-di-dry-run.jsonl"), lines(
        project.root / "gong-di-rejected.jsonl"
    )


def lines(path: Path) -> list[dict[str, t.Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def sandbox_get(port: int, path: str) -> t.Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        return json.load(answer)


@pytest.fixture(scope="module")
def sandbox(project: Project, dry_run: tuple, sandbox_port: int) -> t.Iterator[int]:
    """The README's sandbox box: the binary from the loader's venv, then its settings."""
    [start, *settings] = project.commands("sandbox")
    assert start.startswith(SANDBOX)
    assert start.endswith(BACKGROUND)
    argv = shlex.split(start.removesuffix(BACKGROUND))
    server = subprocess.Popen(  # stopped below, by this handle
        argv, cwd=project.root, env=project.env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                sandbox_get(sandbox_port, "/sandbox/stats")
                break
            except OSError:
                assert server.poll() is None, "gong-di-sandbox exited"
                assert time.monotonic() < deadline, "gong-di-sandbox is not answering"
                time.sleep(0.2)
        for command in settings:
            project.run(command)
        yield sandbox_port
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def runs(
    project: Project, sandbox: int
) -> list[tuple[subprocess.CompletedProcess[str], dict[str, t.Any]]]:
    """The edited run and the second, incremental one: each with the sandbox's stats after it.

    The edit is one a user makes after reading the dry run: a clearer eventType, set the
    README's way (the dry run's ``meltano config set ... mappings`` line again)."""
    path = project.root / "mappings.json"
    edited = json.loads(path.read_text())
    edited["mappings"]["shop-usage_events"]["eventType"] = "'feature used'"
    path.write_text(json.dumps(edited))
    [set_mappings] = [c for c in project.commands("dry-run") if "config set" in c]
    project.run(set_mappings)
    done = []
    for command in project.commands("run"):
        done.append((project.run(command), sandbox_get(sandbox, "/sandbox/stats")))
    return done


def test_the_readme_path_runs_with_nothing_but_meltano_on_the_path(project):
    assert shutil.which("target-gong-di", path=project.env["PATH"]) is None
    assert (project.root / SANDBOX).exists()
    assert str(Path(sys.executable).parent) not in project.env["PATH"].split(":")


def test_the_suggestion_from_a_sample_has_every_table_under_its_stream_name(suggestion):
    assert set(suggestion) == STREAMS


def test_the_unedited_suggestion_builds_valid_bodies_for_at_least_80_percent_of_rows(dry_run):
    bodies, rejected = dry_run
    assert len(bodies) + len(rejected) == ROWS
    assert len(bodies) >= 0.8 * ROWS, [r["errors"] for r in rejected][:5]


def test_the_unedited_suggestion_names_the_person_wherever_a_table_has_an_email(dry_run):
    bodies, _ = dry_run
    assert all(body.get("person", {}).get("email") for body in bodies)


def events(port: int) -> list[dict[str, t.Any]]:
    return list(sandbox_get(port, "/sandbox/events")["events"])


def test_the_edited_run_delivers_every_valid_row_of_the_dry_run(runs, dry_run):
    [(_, after_first), _] = runs
    assert after_first["stored"] == len(dry_run[0])


def test_the_edited_run_sends_the_edit(runs, sandbox):
    types = {event["eventType"] for event in events(sandbox)}
    assert "feature used" in types
    assert "usage events" not in types


def test_emoji_arrive_intact_with_the_documented_session_sqls(runs, sandbox):
    text = json.dumps(events(sandbox), ensure_ascii=False)
    assert all(emoji in text for emoji in EMOJI)
    assert "Love it ?" not in text


def test_timestamp_columns_are_not_shifted_by_the_server_time_zone(runs, sandbox):
    # nps_answers row n was written as 2026-11-24 10:00 UTC + n hours on a +02:00 server;
    # rows 15 and 30 have no email and are dead-lettered.
    written = {NPS_START + timedelta(hours=n) for n in range(1, 31) if n % 15}
    sent = {
        datetime.fromisoformat(event["timestamp"])
        for event in events(sandbox)
        if event["eventType"] == "nps answers"
    }
    assert sent == written


def test_the_second_incremental_run_sends_no_request_for_unchanged_rows(runs):
    [(_, after_first), (_, after_second)] = runs
    assert after_second["answers"] == after_first["answers"]


def test_the_second_run_reads_only_the_rows_at_each_bookmark(runs):
    # pipelinewise re-reads the row at the bookmark (>=): at most one row per stream; a
    # FULL_TABLE stream would read all of its rows again.
    [_, (second, _)] = runs
    read = {
        stream: sum(map(int, counts))
        for stream, *counts in SUMMARY.findall(second.stdout + second.stderr)
    }
    assert set(read) == STREAMS
    assert all(count <= 1 for count in read.values()), read

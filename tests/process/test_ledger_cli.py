"""The ledger flags of the command: --ledger-counts, --ledger-forget, --ledger-forget-all."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from target_gong_di.ledger import Rejection
from target_gong_di.ledger.store import DELIVERED, DUPLICATE, Confirmation, open_ledger

GONG = "https://us-1.api.gong.io"
PASSWORD = "hunter2-never-shown"


def command(tmp_path: Path, *args: str, **config: object) -> subprocess.CompletedProcess:
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "api_url": GONG,
                "mappings": {"web_visits": "passthrough"},
                "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
                **config,
            }
        )
    )
    return subprocess.run(
        [sys.executable, "-m", "target_gong_di", "--config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A ledger with web_visits and nps events for GONG, one for another api_url, a spend."""
    today = datetime.now(timezone.utc)
    with open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        ledger.confirm(
            GONG,
            [Confirmation("web_visits", f"v{n}", "h", DELIVERED, "r") for n in range(12)]
            + [Confirmation("nps", "n1", "h", DUPLICATE, "r")],
        )
        ledger.confirm(
            "https://us-2.api.gong.io", [Confirmation("web_visits", "v1", "h", DELIVERED, "r")]
        )
        ledger.spend(GONG, None)
        ledger.remember_quota_spent(GONG, today.replace(year=today.year + 1))
    return tmp_path


def test_counts_of_a_ledger_that_does_not_exist_are_none_and_create_nothing(tmp_path):
    result = command(tmp_path, "--ledger-counts")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [f"Confirmed events for {GONG}:", "  none"]
    assert not (tmp_path / "ledger.db").exists()


def test_counts_are_printed_per_stream_day_and_outcome_for_the_api_url(filled):
    result = command(filled, "--ledger-counts")
    day = datetime.now(timezone.utc).date().isoformat()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:4] == [
        f"Confirmed events for {GONG}:",
        "  stream      day (UTC)   outcome    events",
        f"  nps         {day}  duplicate       1",
        f"  web_visits  {day}  delivered      12",
    ]


def test_counts_show_todays_requests_against_the_budget(filled):
    result = command(filled, "--ledger-counts", daily_request_budget=500)
    assert "Requests today: 1 of daily_request_budget 500; the day resets at " in result.stdout


def test_counts_show_until_when_gongs_quota_is_spent(filled):
    result = command(filled, "--ledger-counts")
    assert "Gong's daily quota is spent until " in result.stdout


def test_forgetting_a_stream_prints_what_was_removed_and_keeps_the_rest(filled):
    result = command(filled, "--ledger-forget", "web_visits")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Forgot 12 confirmed events of stream web_visits for {GONG};")
    with open_ledger(f"sqlite:///{filled / 'ledger.db'}") as ledger:
        assert [row.stream for row in ledger.counts(GONG)] == ["nps"]


def test_forgetting_everything_clears_only_the_configs_api_url(filled):
    result = command(filled, "--ledger-forget-all")
    assert result.stdout.startswith(f"Forgot 13 confirmed events of every stream for {GONG};")
    with open_ledger(f"sqlite:///{filled / 'ledger.db'}") as ledger:
        assert len(ledger.counts("https://us-2.api.gong.io")) == 1


def test_only_one_ledger_flag_is_taken_at_a_time(tmp_path):
    result = command(tmp_path, "--ledger-counts", "--ledger-forget-all")
    assert result.returncode == 2
    assert (
        "use one of --ledger-counts, --ledger-pending, --ledger-forget, --ledger-forget-all"
        in result.stderr
    )


def test_a_ledger_that_cannot_be_opened_is_one_line_without_the_password(tmp_path):
    url = f"postgresql://gong:{PASSWORD}@127.0.0.1:1/ledger"
    result = command(tmp_path, "--ledger-counts", ledger_url=url)
    assert result.returncode == 1
    assert "ledger_url postgresql://gong:***@127.0.0.1:1/ledger: cannot open" in result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


def test_the_ledger_flags_need_no_credentials(filled):
    assert command(filled, "--ledger-counts").returncode == 0  # the config has no auth


def test_help_says_the_counts_go_to_stdout():
    result = subprocess.run(
        [sys.executable, "-m", "target_gong_di", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--ledger-counts" in result.stdout
    assert "Print to stdout" in result.stdout
    assert "--ledger-forget STREAM" in result.stdout


@pytest.fixture
def pending(tmp_path: Path) -> Path:
    """A ledger with two web_visits records pending for GONG, one at mapping, one at api."""
    schema = {"type": "object", "properties": {"id": {"type": "integer"}}}
    with open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        for number, stage in ((1, "mapping"), (2, "api")):
            rejection = Rejection(
                "web_visits",
                {"id": number, "email": "secret@acme.com"},
                schema,
                ("id",),
                stage,
                (f"reason {number}",),
            )
            ledger.pending.keep(GONG, rejection, limit=10)
    return tmp_path


def test_pending_records_are_listed_as_json_lines_without_their_content(pending):
    result = command(pending, "--ledger-pending")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["stream"], row["key"], row["stage"], row["attempts"]) for row in rows] == [
        ("web_visits", {"id": 1}, "mapping", 1),
        ("web_visits", {"id": 2}, "api", 1),
    ]
    assert set(rows[0]) == {
        "stream",
        "key",
        "stage",
        "errors",
        "attempts",
        "first_seen",
        "last_seen",
    }
    assert "secret@acme.com" not in result.stdout


def test_no_pending_record_lists_no_line(tmp_path):
    result = command(tmp_path, "--ledger-pending")
    assert (result.returncode, result.stdout) == (0, "")


def test_counts_list_pending_records_per_stream_and_stage(pending):
    result = command(pending, "--ledger-counts")
    lines = result.stdout.splitlines()
    start = lines.index(
        f"Pending rejected records for {GONG} (retried by every run until delivered):"
    )
    assert lines[start + 1 : start + 4] == [
        "  stream      stage    records",
        "  web_visits  api            1",
        "  web_visits  mapping        1",
    ]


def test_forgetting_a_stream_forgets_its_pending_records(pending):
    result = command(pending, "--ledger-forget", "web_visits")
    assert "Forgot 2 pending rejected records too" in result.stdout
    assert command(pending, "--ledger-pending").stdout == ""

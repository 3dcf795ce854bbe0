"""The run summary's stop reasons, and that a summary is written once, by whoever exits."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from singer_sdk.exceptions import ConfigValidationError

from target_gong_di.exceptions import (
    BudgetExhausted,
    Interrupted,
    QuotaExhausted,
    RetriesExhausted,
    ThrottledTooLong,
)
from target_gong_di.run.summary import RunSummary, stop_reason

MIDNIGHT = dt.datetime(2026, 12, 4, tzinfo=dt.timezone.utc)
LOGGER = logging.getLogger("test-run-summary")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (None, None),
        (BudgetExhausted("https://x", 3, 3, MIDNIGHT), "daily_request_budget reached"),
        (QuotaExhausted("Gong asks to wait", MIDNIGHT), "Gong's daily quota reached"),
        (Interrupted(15), "interrupted by signal 15"),
        (RetriesExhausted("eventId 'e1' failed"), "eventId 'e1' failed"),
        (ThrottledTooLong("only HTTP 429"), "only HTTP 429"),
        (ConfigValidationError("failed", errors=["a: bad", "b: worse"]), "a: bad; b: worse"),
        (SystemExit(0), None),
        (RuntimeError("a bug"), "RuntimeError: a bug"),
    ],
)
def test_each_way_a_run_ends_has_its_stop_reason(error, reason):
    assert stop_reason(error) == reason


def test_a_summary_is_written_once_by_the_first_caller(tmp_path):
    summary = RunSummary(str(tmp_path / "summary.json"), LOGGER)
    summary.write(1, Interrupted(15))
    summary.write(0)
    written = json.loads((tmp_path / "summary.json").read_text())
    assert (written["exit_code"], written["stop_reason"]) == (1, "interrupted by signal 15")


def test_a_secret_in_the_stop_reason_is_blanked(tmp_path):
    summary = RunSummary(str(tmp_path / "summary.json"), LOGGER, secrets=["hunter2"])
    summary.write(1, RetriesExhausted("refused hunter2"))
    assert "hunter2" not in (tmp_path / "summary.json").read_text()

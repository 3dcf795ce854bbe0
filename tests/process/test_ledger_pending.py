"""The ledger's pending rejections, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from ledger_examples import GONG
from processes import wait_until

from target_gong_di.ledger import API_STAGE, Rejection, body_hash, new_claimer
from target_gong_di.ledger.store import open_ledger

STREAM = "page_views"
SCHEMA = {"type": "object", "properties": {"id": {"type": "integer"}}}
LIMIT = 100


@pytest.fixture
def ledger(ledger_url, clock):
    with open_ledger(ledger_url, clock=clock) as opened:
        yield opened


def rejection(record: dict, keys: tuple[str, ...] = ("id",), **fields) -> Rejection:
    values = {"stage": "mapping", "errors": ("content.contentTitle: bad",), **fields}
    return Rejection(STREAM, record, SCHEMA, keys, **values)


def dead_claimer() -> str:
    """The name of a run whose process has ended."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{socket.gethostname()}/{child.stdout.strip()}/ended-run"


def test_a_kept_rejection_is_listed_with_its_key_reason_and_one_attempt(ledger):
    assert ledger.pending.keep(GONG, rejection({"id": 7, "page": "x"}), limit=LIMIT).new_reason
    [row] = ledger.pending.listed(GONG)
    assert (row.stream, row.key, row.stage, row.errors, row.attempts) == (
        STREAM,
        {"id": 7},
        "mapping",
        ("content.contentTitle: bad",),
        1,
    )


def test_the_record_comes_back_as_it_was_kept_with_exact_numbers(ledger):
    ledger.pending.keep(GONG, rejection({"id": 7, "price": Decimal("0.10")}), limit=LIMIT)
    [row] = ledger.pending.listed(GONG)
    assert row.record() == {"id": 7, "price": Decimal("0.10")}


def test_the_same_record_rejected_again_for_the_same_reason_needs_no_new_line(ledger, clock):
    ledger.pending.keep(GONG, rejection({"id": 7}), limit=LIMIT)
    clock.now += timedelta(hours=1)
    assert not ledger.pending.keep(GONG, rejection({"id": 7}), limit=LIMIT).new_reason
    [row] = ledger.pending.listed(GONG)
    assert row.attempts == 2
    assert row.last_seen > row.first_seen


def test_another_reason_for_the_same_record_needs_a_new_line(ledger):
    ledger.pending.keep(GONG, rejection({"id": 7}), limit=LIMIT)
    again = rejection({"id": 7}, stage="validation", errors=("(body): no person",))
    assert ledger.pending.keep(GONG, again, limit=LIMIT).new_reason
    assert [row.stage for row in ledger.pending.listed(GONG)] == ["validation"]


def test_a_newer_record_with_the_same_key_replaces_the_pending_one(ledger):
    ledger.pending.keep(GONG, rejection({"id": 7, "page": "old"}), limit=LIMIT)
    assert ledger.pending.keep(GONG, rejection({"id": 7, "page": "new"}), limit=LIMIT).new_reason
    [row] = ledger.pending.listed(GONG)
    assert row.record() == {"id": 7, "page": "new"}


def test_records_without_keys_are_told_apart_by_content(ledger):
    for page in ("a", "b", "a"):
        ledger.pending.keep(GONG, rejection({"page": page}, keys=()), limit=LIMIT)
    rows = ledger.pending.listed(GONG)
    assert sorted(row.record()["page"] for row in rows) == ["a", "b"]


def test_a_null_key_value_is_told_apart_by_content(ledger):
    for page in ("a", "b"):
        ledger.pending.keep(GONG, rejection({"id": None, "page": page}), limit=LIMIT)
    assert len(ledger.pending.listed(GONG)) == 2


def test_past_the_limit_the_oldest_of_the_stream_are_dropped(ledger, clock):
    for number in range(4):
        clock.now += timedelta(seconds=1)
        kept = ledger.pending.keep(GONG, rejection({"id": number}), limit=3)
    assert kept.dropped == 1
    assert [row.key["id"] for row in ledger.pending.listed(GONG)] == [1, 2, 3]


def test_a_claim_takes_the_streams_records_once_between_two_runs(ledger_url, ledger):
    ledger.pending.keep(GONG, rejection({"id": 1}), limit=LIMIT)
    with open_ledger(ledger_url) as other:
        assert [row.key for row in ledger.pending.claim(GONG, STREAM, new_claimer("a"))] == [
            {"id": 1}
        ]
        assert other.pending.claim(GONG, STREAM, new_claimer("b")) == []


def test_the_claims_of_a_run_that_ended_are_taken_over(ledger_url, ledger):
    ledger.pending.keep(GONG, rejection({"id": 1}), limit=LIMIT)
    with open_ledger(ledger_url) as ended:
        assert len(ended.pending.claim(GONG, STREAM, dead_claimer())) == 1
    # A PostgreSQL server ends the closed session (and frees its lock) a moment later.
    taken: list = []

    def take_over() -> bool:
        taken.extend(ledger.pending.claim(GONG, STREAM, new_claimer("next")))
        return bool(taken)

    wait_until(take_over)
    assert len(taken) == 1


def test_released_claims_are_free_for_the_next_run(ledger_url, ledger):
    ledger.pending.keep(GONG, rejection({"id": 1}), limit=LIMIT)
    with open_ledger(ledger_url) as other:
        other.pending.claim(GONG, STREAM, new_claimer("b"))
        other.pending.release(new_claimer("b"))
    assert len(ledger.pending.claim(GONG, STREAM, new_claimer("a"))) == 1


def test_a_settled_record_leaves_the_pending_set(ledger):
    ledger.pending.keep(GONG, rejection({"id": 1}), limit=LIMIT)
    [claimed] = ledger.pending.claim(GONG, STREAM, new_claimer("a"))
    ledger.pending.settled(GONG, claimed)
    assert ledger.pending.listed(GONG) == []


def test_settling_a_claimed_record_keeps_a_newer_one_kept_meanwhile(ledger):
    ledger.pending.keep(GONG, rejection({"id": 1, "page": "old"}), limit=LIMIT)
    [claimed] = ledger.pending.claim(GONG, STREAM, new_claimer("a"))
    ledger.pending.keep(GONG, rejection({"id": 1, "page": "new"}), limit=LIMIT)
    ledger.pending.settled(GONG, claimed)
    assert [row.record()["page"] for row in ledger.pending.listed(GONG)] == ["new"]


def test_a_claimed_record_rejected_again_keeps_the_new_reason_and_counts_the_attempt(ledger):
    ledger.pending.keep(GONG, rejection({"id": 1}), limit=LIMIT)
    [claimed] = ledger.pending.claim(GONG, STREAM, new_claimer("a"))
    refused = body_hash({"eventId": "e1"})
    again = rejection({"id": 1}, stage=API_STAGE, errors=("Gong: no",), refused_hash=refused)
    ledger.pending.rejected_again(GONG, claimed, again)
    [row] = ledger.pending.listed(GONG)
    assert (row.stage, row.refused_hash, row.attempts) == (API_STAGE, refused, 2)


def test_counts_are_per_stream_and_stage(ledger):
    ledger.pending.keep(GONG, rejection({"id": 1}), limit=LIMIT)
    ledger.pending.keep(GONG, rejection({"id": 2}, stage="schema"), limit=LIMIT)
    ledger.pending.keep(GONG, rejection({"id": 3}), limit=LIMIT)
    assert ledger.pending.counts(GONG) == [(STREAM, "mapping", 2), (STREAM, "schema", 1)]


def test_forgetting_a_stream_forgets_its_pending_records_only(ledger):
    ledger.pending.keep(GONG, rejection({"id": 1}), limit=LIMIT)
    other = Rejection("nps", {"id": 1}, SCHEMA, ("id",), "mapping", ("x",))
    ledger.pending.keep(GONG, other, limit=LIMIT)
    assert ledger.pending.forget(GONG, STREAM) == 1
    assert [row.stream for row in ledger.pending.listed(GONG)] == ["nps"]


def test_pending_records_of_another_api_url_are_apart(ledger):
    ledger.pending.keep("https://us-2.api.gong.io", rejection({"id": 1}), limit=LIMIT)
    assert ledger.pending.listed(GONG) == []
    assert ledger.pending.claim(GONG, STREAM, new_claimer("a")) == []

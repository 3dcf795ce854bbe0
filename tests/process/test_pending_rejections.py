"""Rejected records stay pending in the ledger, and a later ordinary run delivers them.

Each test runs on a real SQLite file and on a real PostgreSQL ledger (``ledger_url``),
against the sandbox, counting what it stored and answered.
"""

from __future__ import annotations

from page_views import CONFIG, VIEW_MAPPING, VIEW_PROPERTIES, VIEWS, view
from singer_messages import schema, state

BROKEN = {"mappings": {VIEWS: {**VIEW_MAPPING, "content": {"contentTitle": "int(page)"}}}}
"""A mapping whose expression raises for every record: each is rejected at 'mapping'."""


def tap_output(ids: range) -> list[dict]:
    """What an incremental tap sends: the SCHEMA, then each record and its bookmark."""
    messages = [schema(VIEWS, VIEW_PROPERTIES, ["id"])]
    for number in ids:
        messages += [view(number), state({"bookmarks": {VIEWS: {"id": number}}})]
    return messages


def test_records_a_mapping_rejected_are_delivered_once_by_a_later_run_of_new_records(
    run_target, sandbox, ledger_url
):
    first = run_target({**BROKEN, "ledger_url": ledger_url}, tap_output(range(3)), sandbox=sandbox)
    assert first.states[-1] == {"bookmarks": {VIEWS: {"id": 2}}}, first.stderr
    assert [letter["stage"] for letter in first.dead_letters] == ["mapping"] * 3
    assert sandbox.store.events == {}
    fixed = {**CONFIG, "ledger_url": ledger_url}
    second = run_target(fixed, tap_output(range(3, 5)), sandbox=sandbox)
    assert second.returncode == 0, second.stderr
    titles = sorted(body["content"]["contentTitle"] for body in sandbox.store.events.values())
    assert titles == [f"Page {n}" for n in range(5)]
    assert sandbox.store.answers == {"200": 5}


def test_a_run_after_the_retry_sends_nothing_and_writes_no_dead_letter(
    run_target, sandbox, ledger_url
):
    run_target({**BROKEN, "ledger_url": ledger_url}, tap_output(range(3)), sandbox=sandbox)
    fixed = {**CONFIG, "ledger_url": ledger_url}
    run_target(fixed, tap_output(range(3, 4)), sandbox=sandbox)
    answers = dict(sandbox.store.answers)
    third = run_target(fixed, tap_output(range(0)), sandbox=sandbox)
    assert third.returncode == 0, third.stderr
    assert sandbox.store.answers == answers
    assert len(third.dead_letters) == 3


def test_records_rejected_again_for_the_same_reason_add_no_dead_letter_line(
    run_target, sandbox, ledger_url
):
    broken = {**BROKEN, "ledger_url": ledger_url}
    run_target(broken, tap_output(range(2)), sandbox=sandbox)
    again = run_target(broken, tap_output(range(2)), sandbox=sandbox)
    assert again.returncode == 0, again.stderr
    assert len(again.dead_letters) == 2

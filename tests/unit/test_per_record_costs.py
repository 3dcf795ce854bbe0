"""What a run's records cost: who checks the ledger, by which hash, beside which objects.

Which thread checks the ledger: a full chunk its submitter, the rest the checker thread.

A re-sync's events are all in the ledger; checking a full chunk in the thread that read it
spares the thread switches that once cost a re-sync a quarter of its CPU time. The checker
thread still checks whatever lingers (a quiet tap's lone record), however often ``submit``
took a chunk from under it.
"""

from __future__ import annotations

import gc
import threading
import typing as t

from scripted_pipeline import Run, ScriptedClient

from target_gong_di.delivery import Event, pipeline
from target_gong_di.ledger import LOOKUP_CHUNK, body_hash


def known_to_the_ledger(run: Run, event_ids: list[str]) -> None:
    for event_id in event_ids:
        run.context.ledger.confirm("views", {"eventId": event_id}, "delivered", None)


def test_a_full_chunk_is_settled_from_the_ledger_before_its_last_submit_returns(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(pipeline, "LINGER_SECONDS", 30.0)  # the checker thread waits it out
    client = ScriptedClient()
    run = Run(tmp_path, client)
    event_ids = [f"e{number}" for number in range(LOOKUP_CHUNK)]
    with run.lifecycle.delivering():
        known_to_the_ledger(run, event_ids)
        for event_id in event_ids:
            run.record(event_id)
        assert [event_id for event_id, _, _ in run.owner.known] == event_ids
        assert {status for _, status, _ in run.owner.known} == {"unchanged"}
        assert {thread for _, _, thread in run.owner.known} == {threading.current_thread()}
        run.lifecycle.end_of_input()
    assert client.sent == []


def test_an_event_after_a_chunk_taken_from_under_the_lingering_checker_is_still_checked(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(pipeline, "LINGER_SECONDS", 0.2)
    client = ScriptedClient()
    run = Run(tmp_path, client)
    with run.lifecycle.delivering():
        known_to_the_ledger(run, [f"e{number}" for number in range(LOOKUP_CHUNK)])
        run.record("e0")
        threading.Event().wait(0.05)  # the checker is lingering for the chunk to fill
        for number in range(1, LOOKUP_CHUNK):  # the last takes the chunk from under it
            run.record(f"e{number}")
        threading.Event().wait(0.4)  # its linger ends with nothing left to check
        run.record("news")
        assert run.context.pipeline is not None
        run.context.pipeline.wait_until_settled(timeout=10)
        assert run.owner.settled == ["news"]
        run.lifecycle.end_of_input()
    assert client.sent == ["news"]


def test_a_queue_smaller_than_a_chunk_is_checked_by_the_checker_thread(tmp_path, monkeypatch):
    queue_size = 10
    monkeypatch.setattr(pipeline, "LINGER_SECONDS", 30.0)  # only a full queue wakes it
    client = ScriptedClient()
    run = Run(tmp_path, client, batch_size_rows=queue_size)
    event_ids = [f"e{number}" for number in range(3 * queue_size)]
    with run.lifecycle.delivering():
        known_to_the_ledger(run, event_ids)
        for event_id in event_ids:
            run.record(event_id)
        assert run.context.pipeline is not None
        run.context.pipeline.wait_until_settled(timeout=10)
        assert sorted(event_id for event_id, _, _ in run.owner.known) == sorted(event_ids)
        assert threading.current_thread() not in {thread for _, _, thread in run.owner.known}
        run.lifecycle.end_of_input()
    assert client.sent == []


def test_an_events_ledger_hash_is_its_bodys_hash_taken_once():
    built = {"eventId": "e1", "n": 1}
    event = Event(1, {}, dict(built), b"", t.cast("t.Any", None), line=1)
    assert event.ledger_hash() == body_hash(built)
    event.body["n"] = 2  # the hash is of the body as it was built and sent
    assert event.ledger_hash() == body_hash(built)


def test_a_hash_taken_where_the_body_was_built_is_the_one_the_ledger_compares(tmp_path):
    run = Run(tmp_path, ScriptedClient())
    with run.lifecycle.delivering():
        known_to_the_ledger(run, ["e1"])
        ledger = run.context.ledger
        bodies = [{"eventId": "e1"}]
        assert ledger.known(bodies, [lambda: body_hash({"eventId": "e1"})]) == ["unchanged"]
        assert ledger.known(bodies, [lambda: "another body's hash"]) == ["changed_after_delivery"]
        run.lifecycle.end_of_input()


def test_while_a_run_reads_the_objects_of_its_start_up_are_set_aside_from_the_collector(
    tmp_path,
):
    """Each full pass of the cyclic collector would walk them again; after the run, not."""
    run = Run(tmp_path, ScriptedClient())
    assert gc.get_freeze_count() == 0
    with run.lifecycle.delivering():
        assert gc.get_freeze_count() > 0
        run.record("e1")
        run.lifecycle.end_of_input()
    assert gc.get_freeze_count() == 0

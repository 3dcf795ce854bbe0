"""The pipeline, STATE release and every way a run stops, driven by a client with no HTTP.

The client answers each eventId from a script and can hold an answer back until the test
lets it go, so what is in flight, what has settled and when a stop arrives are the test's
to decide: no timing, no server. The rest is the real thing: ``RunLifecycle``, the
``DeliveryPipeline``, the rate limiter, ``Checkpoints``, the ``StateWriter`` writing to
stdout, and a SQLite ledger.
"""

from __future__ import annotations

import json
import signal
import threading

import pytest
from scripted_pipeline import Run, ScriptedClient, wait_for

from target_gong_di.delivery.answers import Stop, TryAgain
from target_gong_di.exceptions import DeliveryStopped, Interrupted


def states_written(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [json.loads(line)["at"] for line in capsys.readouterr().out.splitlines()]


def stop_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == "gong-di-stop"}


def test_a_retry_that_waits_does_not_hold_back_the_events_behind_it(tmp_path, capsys):
    client = ScriptedClient({"a": [TryAgain("HTTP 503")]})
    run = Run(tmp_path, client, max_retries=3)
    with run.lifecycle.delivering():
        for event_id in "abcde":
            run.record(event_id)
        wait_for(lambda: set(run.owner.settled) == set("bcde"))
        assert client.sent.count("a") == 1  # still waiting out its backoff
        run.settle_all()
        run.lifecycle.end_of_input()
    assert run.owner.settled[-1] == "a"
    assert client.sent.count("a") == 2


def test_state_never_passes_a_record_that_has_not_settled(tmp_path, capsys):
    client = ScriptedClient()
    client.held["2"] = threading.Event()
    run = Run(tmp_path, client)
    with run.lifecycle.delivering():
        run.read("12345")
        wait_for(lambda: set(run.owner.settled) == set("1345"))
        assert run.context.checkpoints.safe_state == {"at": "after 1"}
        client.held["2"].set()
        run.settle_all()
        run.lifecycle.end_of_input()
    written = states_written(capsys)
    assert written[-1] == "after 5"
    assert all(at in {"after 1", "after 5"} for at in written)


def test_the_end_of_input_forwards_the_newest_safe_state_once(tmp_path, capsys):
    run = Run(tmp_path, ScriptedClient())
    before = stop_threads()
    with run.lifecycle.delivering():
        run.read("123")
        run.lifecycle.end_of_input()
    written = states_written(capsys)
    assert written[-1] == "after 3"
    assert len(written) == len(set(written))
    assert run.lifecycle.stop.finished.is_set()
    assert stop_threads() <= before


def test_bad_input_settles_what_was_read_and_forwards_its_state_once(tmp_path, capsys):
    client = ScriptedClient()
    client.held["2"] = threading.Event()
    run = Run(tmp_path, client)
    threading.Timer(0.05, client.held["2"].set).start()  # answered while the stop waits
    before = stop_threads()

    def read_two_records_then_a_bad_line() -> None:
        with run.lifecycle.delivering():
            run.read("12")
            raise ValueError("line 3: not JSON")

    with pytest.raises(ValueError, match="line 3"):
        read_two_records_then_a_bad_line()
    written = states_written(capsys)
    assert written[-1] == "after 2"
    assert len(written) == len(set(written))
    assert stop_threads() <= before


def test_a_stop_from_a_delivery_thread_forwards_the_state_before_it_once(tmp_path, capsys):
    quota = Stop("quota", 429, None, "daily quota", retry_after=86400.0)
    client = ScriptedClient({"3": [quota]})
    run = Run(tmp_path, client)

    def read_until_gong_says_stop() -> None:
        with run.lifecycle.delivering():
            run.read("123")
            wait_for(lambda: run.lifecycle.stop.cause is not None)
            run.settle_all()  # raises the stop's cause in the main thread: it carries it out

    with pytest.raises(DeliveryStopped, match="quota"):
        read_until_gong_says_stop()
    written = states_written(capsys)
    assert written[-1] == "after 2"
    assert len(written) == len(set(written))
    assert "3" not in run.owner.settled


def test_a_signal_lets_the_request_in_flight_finish_and_forwards_its_state_once(tmp_path, capsys):
    client = ScriptedClient()
    client.held["2"] = threading.Event()
    run = Run(tmp_path, client)
    before = stop_threads()

    def read_until_a_signal_with_a_request_in_flight() -> None:
        with run.lifecycle.delivering():
            run.read("12")
            wait_for(lambda: run.owner.settled == ["1"])
            threading.Timer(0.05, client.held["2"].set).start()
            run.lifecycle.signal_received(signal.SIGTERM)

    with pytest.raises(Interrupted):
        read_until_a_signal_with_a_request_in_flight()
    assert run.owner.settled == ["1", "2"]
    written = states_written(capsys)
    assert written[-1] == "after 2"
    assert len(written) == len(set(written))
    assert stop_threads() <= before


def test_a_second_signal_while_stopping_is_only_noted(tmp_path, capsys):
    run = Run(tmp_path, ScriptedClient())

    def read_until_a_signal() -> None:
        with run.lifecycle.delivering():
            run.record("1")
            run.lifecycle.signal_received(signal.SIGTERM)

    with pytest.raises(Interrupted):
        read_until_a_signal()
    run.lifecycle.signal_received(signal.SIGINT)  # the run is stopped: nothing to raise
    assert run.lifecycle.stop.finished.is_set()

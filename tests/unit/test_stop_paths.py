"""The pipeline, STATE release and every way a run stops, driven by a client with no HTTP.

The client answers each eventId from a script and can hold an answer back until the test
lets it go, so what is in flight, what has settled and when a stop arrives are the test's
to decide: no timing, no server. The rest is the real thing: ``RunLifecycle``, the
``DeliveryPipeline``, the rate limiter, ``Checkpoints``, the ``StateWriter`` writing to
stdout, and a SQLite ledger.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import typing as t

import pytest

from target_gong_di.delivery.answers import Settled, Stop, TryAgain
from target_gong_di.delivery.assembly import pipeline_for
from target_gong_di.delivery.pipeline import Event, Outcome
from target_gong_di.exceptions import DeliveryStopped, Interrupted
from target_gong_di.run.lifecycle import RunLifecycle
from target_gong_di.run.report import RunReport
from target_gong_di.settings import Settings

if t.TYPE_CHECKING:
    from pathlib import Path

    from target_gong_di.delivery.answers import Verdict
    from target_gong_di.run.stream_events import RunContext

LOGGER = logging.getLogger("test-stop-paths")
HELD_FOR_LONG = 30.0
"""Longer than any test: an answer held this long is one the test releases itself."""


class ScriptedClient:
    """Answers each eventId with its scripted verdicts in turn, then ``delivered``."""

    url = "https://fake.invalid"

    def __init__(self, script: dict[str, list[Verdict]] | None = None) -> None:
        self._script = script or {}
        self._lock = threading.Lock()
        self.sent: list[str] = []
        self.held: dict[str, threading.Event] = {}
        """eventIds whose answer waits until the test sets their Event."""

    def attempt(self, payload: bytes) -> Verdict:
        event_id = json.loads(payload)["eventId"]
        with self._lock:
            self.sent.append(event_id)
            answers = self._script.get(event_id)
            verdict = answers.pop(0) if answers else Settled("delivered", f"req-{event_id}")
        if event_id in self.held:
            self.held[event_id].wait(HELD_FOR_LONG)
        return verdict

    def redacted(self, text: str) -> str:
        return text

    def stop_error(self, stop: Stop, event_id: object, resume_at: object = None) -> DeliveryStopped:
        return DeliveryStopped(f"Gong said stop ({stop.kind}) at eventId {event_id!r}")

    def close(self) -> None:
        pass


class Settling:
    """The events' owner: what settled, in order, and each settled record's checkpoint."""

    def __init__(self, run: RunContext) -> None:
        self._run = run
        self.settled: list[str] = []

    def settle(self, event: Event, outcome: Outcome) -> None:
        self.settled.append(str(event.event_id))
        self._run.checkpoints.settled(event.number)

    def throttled(self) -> None:
        pass


class Run:
    """A lifecycle whose pipeline sends through a ScriptedClient, and a tap's side of it."""

    def __init__(self, tmp_path: Path, client: ScriptedClient, **config: t.Any) -> None:
        self.client = client
        settings = Settings.from_config(
            {
                "access_key": "key",
                "access_key_secret": "secret",
                "api_url": "https://fake.invalid",
                "mappings": {"views": "passthrough"},
                "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
                "dead_letter_path": str(tmp_path / "dead.jsonl"),
                "dry_run_path": str(tmp_path / "dry.jsonl"),
                "max_requests_per_second": 1000,
                "progress_interval_seconds": 3600,
                **config,
            }
        )
        self.lifecycle = RunLifecycle(
            settings,
            RunReport(LOGGER, LOGGER, settings.progress_interval_seconds),
            LOGGER,
            expression_config={},
            run_id="test",
            input_line=lambda: 0,
            deliver=lambda settings, ledger, logger, **kwargs: pipeline_for(
                t.cast("t.Any", client), settings, ledger, logger, **_without_credentials(kwargs)
            ),
        )
        self.context = self.lifecycle.open_run()
        self.owner = Settling(self.context)

    def record(self, event_id: str) -> None:
        """A record read: numbered, and submitted as its event."""
        number = self.context.checkpoints.record_received()
        body = {"eventId": event_id}
        assert self.context.pipeline is not None
        self.context.pipeline.submit(
            Event(number, {}, body, json.dumps(body).encode(), self.owner, line=number)
        )

    def state(self, at: str) -> None:
        """A STATE read after the records so far."""
        self.lifecycle.state_received({"at": at})

    def read(self, event_ids: str) -> None:
        """Each eventId's record, then a STATE ``after <eventId>``, as a tap writes them."""
        for event_id in event_ids:
            self.record(event_id)
            self.state(f"after {event_id}")

    def settle_all(self) -> None:
        assert self.context.pipeline is not None
        self.context.pipeline.wait_until_settled()


def _without_credentials(kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
    """``open_delivery``'s arguments that ``pipeline_for`` takes (it has its client)."""
    return {key: value for key, value in kwargs.items() if key != "credentials"}


def states_written(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [json.loads(line)["at"] for line in capsys.readouterr().out.splitlines()]


def stop_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == "gong-di-stop"}


def wait_for(condition: t.Callable[[], bool]) -> None:
    """Wait for something the pipeline's threads do; a generous bound, never a measure."""
    done = threading.Event()
    for _ in range(500):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the pipeline never got there")


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

"""A real pipeline, lifecycle, Checkpoints and SQLite ledger behind a client with no HTTP.

The client answers each eventId from a script and can hold an answer back until the test
lets it go, so what is in flight, what has settled and when a stop arrives are the test's
to decide: no timing, no server.
"""

from __future__ import annotations

import json
import logging
import threading
import typing as t

from target_gong_di.delivery.answers import Settled
from target_gong_di.delivery.assembly import pipeline_for
from target_gong_di.delivery.pipeline import Event, Outcome
from target_gong_di.exceptions import DeliveryStopped
from target_gong_di.run.lifecycle import RunLifecycle
from target_gong_di.run.report import RunReport
from target_gong_di.settings import Settings

if t.TYPE_CHECKING:
    from pathlib import Path

    from target_gong_di.delivery.answers import Stop, Verdict
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
        self.known: list[tuple[str, str, threading.Thread]] = []

    def settle(self, event: Event, outcome: Outcome) -> None:
        self.settled.append(str(event.event_id))
        self._run.checkpoints.settled(event.number)

    def settle_known(self, events: list[Event], outcome: Outcome) -> None:
        """Events the ledger has: each with its status and the thread that settled it."""
        for event in events:
            self.known.append((str(event.event_id), outcome.status, threading.current_thread()))
        self._run.checkpoints.settled(*(event.number for event in events))

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


def wait_for(condition: t.Callable[[], bool]) -> None:
    """Wait for something the pipeline's threads do; a generous bound, never a measure."""
    done = threading.Event()
    for _ in range(500):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the pipeline never got there")

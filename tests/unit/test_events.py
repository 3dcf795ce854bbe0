"""A stream's records become events without a Target: StreamEvents, RunContext and delivery."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from page_views import CONFIG, VIEW_PROPERTIES, VIEWS
from singer_messages import SECRET

from target_gong_di.delivery.assembly import open_delivery
from target_gong_di.ledger.run_view import DeliveryLedger
from target_gong_di.ledger.store import open_ledger
from target_gong_di.run.checkpoints import Checkpoints
from target_gong_di.run.dry_run import DryRunOutput
from target_gong_di.run.files import JsonLinesFile
from target_gong_di.run.report import RunReport
from target_gong_di.run.stream_events import RunContext, StreamEvents
from target_gong_di.settings import Settings
from target_gong_di.stop import Stop

LOGGER = logging.getLogger("test-events")
SCHEMA = {"type": "object", "properties": VIEW_PROPERTIES}


def run_context(tmp_path: Path, config: dict, *, deliver: bool) -> RunContext:
    settings = Settings.from_config(
        {
            **CONFIG,
            "dead_letter_path": str(tmp_path / "dead.jsonl"),
            "dry_run_path": str(tmp_path / "dry.jsonl"),
            "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
            **config,
        }
    )
    checkpoints = Checkpoints()
    ledger = DeliveryLedger(open_ledger(settings.ledger_url), settings.api_url, None)
    return RunContext(
        settings=settings,
        checkpoints=checkpoints,
        dead_letters=JsonLinesFile.dead_letters(settings.dead_letter_path, LOGGER),
        dry_run=DryRunOutput(
            JsonLinesFile.dry_run_output(settings.dry_run_path, LOGGER), ledger, checkpoints
        ),
        report=RunReport(LOGGER, LOGGER, 60),
        ledger=ledger,
        pipeline=(
            open_delivery(
                settings,
                ledger,
                LOGGER,
                credentials=settings.auth,
                api_url=settings.api_url,
                stop=Stop(),
                on_stop=lambda cause: None,
            )
            if deliver and settings.auth is not None
            else None
        ),
        expression_config={},
        run_id="test-run",
        input_line=lambda: 0,
    )


def page(number: int, **changes) -> dict:
    values = {"id": number, "email": "a@acme.com", "viewed_at": "2024-05-01T10:00:00Z"}
    return {**values, "page": f"Page {number}", **changes}


def test_a_valid_record_of_a_dry_run_is_written_and_settled_at_once(tmp_path):
    run = run_context(tmp_path, {"dry_run": True}, deliver=False)
    StreamEvents(run, VIEWS, SCHEMA, ["id"], LOGGER).accept(page(1))
    run.dry_run.close()
    [body] = [json.loads(line) for line in (tmp_path / "dry.jsonl").read_text().splitlines()]
    assert body["content"]["contentTitle"] == "Page 1"
    assert run.checkpoints.unsettled == 0


def test_a_record_that_breaks_its_schema_is_dead_lettered_as_the_tap_sent_it(tmp_path):
    run = run_context(tmp_path, {"dry_run": True}, deliver=False)
    StreamEvents(run, VIEWS, SCHEMA, ["id"], LOGGER).accept(page(1, viewed_at="soon"))
    run.dead_letters.close()
    [letter] = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert (letter["stage"], letter["record"]["viewed_at"]) == ("schema", "soon")
    assert run.checkpoints.unsettled == 0


def test_records_accepted_with_a_pipeline_are_delivered_to_gong(tmp_path, sandbox):
    credentials = {"api_url": sandbox.url, "access_key": "key", "access_key_secret": SECRET}
    run = run_context(tmp_path, {**credentials, "max_requests_per_second": 100}, deliver=True)
    assert run.pipeline is not None
    events = StreamEvents(run, VIEWS, SCHEMA, ["id"], LOGGER)
    for number in range(5):
        events.accept(page(number))
    run.pipeline.wait_until_settled()
    run.pipeline.close(timeout=10)
    assert len(sandbox.store.events) == 5
    assert events.counts.delivered == 5


def test_a_stream_without_a_mapping_is_refused_naming_the_mapped_ones(tmp_path):
    run = run_context(tmp_path, {"dry_run": True}, deliver=False)
    with pytest.raises(ValueError, match="stream 'orders' has no entry in mappings"):
        StreamEvents(run, "orders", SCHEMA, ["id"], LOGGER)


def test_a_stream_without_a_mapping_names_a_similar_stream_the_ledger_holds(tmp_path):
    run = run_context(tmp_path, {"access_token": "t"}, deliver=False)
    body = {"eventId": "e1", "eventType": "page viewed"}
    run.ledger.confirm(f"db-{VIEWS}", body, "delivered", "r1")
    run.ledger.flush()
    with pytest.raises(ValueError, match=f"1 event confirmed under stream 'db-{VIEWS}'"):
        StreamEvents(run, f"prod-{VIEWS}", SCHEMA, ["id"], LOGGER)

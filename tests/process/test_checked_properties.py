"""Only what Gong receives is checked: a bad value in a column no mapping reads costs nothing."""

from __future__ import annotations

from page_views import VIEW_MAPPING, VIEW_PROPERTIES, VIEWS, view
from singer_messages import record, schema

WEBINARS = "webinars"
WEBINAR_PROPERTIES = {**VIEW_PROPERTIES, "registered_on": {"type": "string", "format": "date"}}
ZERO_DATE = "0000-00-00"
"""What MySQL keeps in a DATE column for "no date"; no ISO 8601 parser reads it."""


def webinar(number: int, **changes) -> dict:
    values = {**view(number)["record"], "registered_on": "2024-04-30", **changes}
    return record(WEBINARS, values)


def test_a_bad_value_is_delivered_where_unmapped_and_dead_lettered_where_mapped(
    run_target, sandbox
):
    reads_it = {**VIEW_MAPPING, "customFields": {"Registered": "registered_on"}}
    config = {"mappings": {VIEWS: VIEW_MAPPING, WEBINARS: reads_it}}
    messages = [
        schema(VIEWS, WEBINAR_PROPERTIES, ["id"]),
        schema(WEBINARS, WEBINAR_PROPERTIES, ["id"]),
        record(VIEWS, {**view(1)["record"], "registered_on": ZERO_DATE}),
        webinar(2, registered_on=ZERO_DATE),
        webinar(3),
    ]
    run = run_target(config, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    titles = sorted(body["content"]["contentTitle"] for body in sandbox.store.events.values())
    assert titles == ["Page 1", "Page 3"]
    [letter] = run.dead_letters
    assert (letter["stream"], letter["stage"]) == (WEBINARS, "schema")
    assert letter["errors"] == [f"registered_on: '{ZERO_DATE}' is not a 'date'"]


def test_rejections_in_two_streams_are_summarised_per_stream_naming_the_property(
    run_target, sandbox
):
    nullable = {**VIEW_PROPERTIES, "viewed_at": {"type": ["null", "string"]}}
    config = {"mappings": {VIEWS: VIEW_MAPPING, WEBINARS: VIEW_MAPPING}}
    messages = [
        schema(VIEWS, nullable, ["id"]),
        schema(WEBINARS, nullable, ["id"]),
        view(1, viewed_at=None),
        view(2, viewed_at=None),
        record(WEBINARS, {**view(3)["record"], "viewed_at": None}),
    ]
    run = run_target(config, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if "Rejected" in line]
    assert len(warnings) == 2
    assert (
        f"Rejected 2 records of stream '{VIEWS}' at stage validation, timestamp is missing "
        "(e.g. key {'id': 1}, input line 3: (body): 'timestamp' is a required property; "
        "input lines 3, 4)"
    ) in warnings[0]
    assert (
        f"Rejected 1 record of stream '{WEBINARS}' at stage validation, timestamp is missing "
        "(e.g. key {'id': 3}, input line 5: "
    ) in warnings[1]

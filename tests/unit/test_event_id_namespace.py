"""Derived eventIds and ``__event_id_namespace__``: the same row keeps one eventId across names."""

from __future__ import annotations

import pytest

from target_gong_di.mapping import (
    MappingConfigError,
    StreamSchema,
    check_mapping,
    compile_stream_mapping,
)
from target_gong_di.settings import config_errors

STREAM = StreamSchema(
    {"id": {"type": "integer"}, "at": {"type": "string"}, "email": {"type": "string"}},
    ("id", "email"),
)
ENTRY = {"eventType": "'usage'", "timestamp": "at", "trackingId": "str(id)"}
ROW = {"id": 42, "at": "2024-05-01T10:00:00Z", "email": "a@acme.com"}


def event_id(stream_name: str, entry: dict) -> str:
    return compile_stream_mapping(stream_name, entry, STREAM).build(ROW)["eventId"]


def test_a_mapping_without_a_namespace_derives_the_event_id_it_always_did():
    # Pinned: the eventId releases before __event_id_namespace__ gave this row, so the
    # ledger and Gong's 409s keep recognising events sent by them.
    assert event_id("db-usage_events", ENTRY) == (
        "dd955ac47bab249ff2131ca9cac4b960c248fbe75080c3111d1fb570d73092bc"
    )


def test_two_stream_names_with_one_namespace_derive_one_event_id():
    entry = {**ENTRY, "__event_id_namespace__": "usage_events"}
    assert event_id("db-usage_events", entry) == event_id("usage_events", entry)


def test_a_namespace_named_like_the_old_stream_keeps_that_streams_event_ids():
    renamed = {**ENTRY, "__event_id_namespace__": "db-usage_events"}
    assert event_id("usage_events", renamed) == event_id("db-usage_events", ENTRY)


def test_the_namespace_is_no_body_field():
    entry = {**ENTRY, "__event_id_namespace__": "usage_events"}
    body = compile_stream_mapping("usage_events", entry, STREAM).build(ROW)
    assert "__event_id_namespace__" not in body


def test_an_expression_can_read_the_namespace():
    entry = {**ENTRY, "eventId": "__event_id_namespace__ + '-' + str(id)"}
    entry["__event_id_namespace__"] = "usage_events"
    assert compile_stream_mapping("db-usage_events", entry, STREAM).build(ROW)["eventId"] == (
        "usage_events-42"
    )


def test_without_a_namespace_an_expression_reads_the_stream_name_as_it():
    entry = {**ENTRY, "eventId": "__event_id_namespace__ + '-' + str(id)"}
    assert compile_stream_mapping("db-usage_events", entry, STREAM).build(ROW)["eventId"] == (
        "db-usage_events-42"
    )


def test_an_unknown_dunder_key_is_refused_by_name():
    with pytest.raises(MappingConfigError) as raised:
        check_mapping("usage_events", {**ENTRY, "__event_id_namepsace__": "usage_events"})
    assert str(raised.value) == (
        "stream 'usage_events': '__event_id_namepsace__' is not an option of a mapping "
        "entry (options: __event_id_namespace__); SDK stream maps such as __alias__ go in "
        "stream_maps"
    )


@pytest.mark.parametrize("namespace", ["", "  ", 7, None])
def test_a_namespace_that_is_not_a_name_is_refused(namespace):
    with pytest.raises(MappingConfigError, match="__event_id_namespace__ must be a non-empty"):
        check_mapping("usage_events", {**ENTRY, "__event_id_namespace__": namespace})


def test_the_config_check_refuses_a_misspelled_namespace_key_naming_it():
    config = {"access_token": "t", "mappings": {"usage_events": {**ENTRY, "__namespace__": "u"}}}
    assert config_errors(config) == [
        "mappings: stream 'usage_events': '__namespace__' is not an option of a mapping entry "
        "(options: __event_id_namespace__); SDK stream maps such as __alias__ go in stream_maps"
    ]

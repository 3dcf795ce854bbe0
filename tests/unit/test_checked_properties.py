"""Only what Gong receives is checked: the properties a mapping reads, and the key properties."""

from __future__ import annotations

import pytest

from target_gong_di.mapping.compiler import StreamSchema, compile_stream_mapping
from target_gong_di.validation.record_check import (
    RecordCheck,
    date_parsers,
    restricted,
    usable_draft,
)

PROPERTIES = {
    "id": {"type": "integer"},
    "email": {"type": ["string", "null"]},
    "viewed_at": {"type": "string", "format": "date-time"},
    "page": {"type": "string"},
    "visitor": {"type": "object", "properties": {"email": {"type": "string"}}},
    "webinar_date": {"type": ["null", "string"], "format": "date-time"},
    "seats": {"type": "integer"},
}
STREAM = StreamSchema(PROPERTIES, ("id",))
BASE = {"eventType": "'page viewed'", "timestamp": "viewed_at"}


def reads(spec: dict | str, stream: StreamSchema = STREAM) -> frozenset[str] | None:
    mapping = spec if isinstance(spec, str) else {**BASE, **spec}
    return compile_stream_mapping("web", mapping, stream).reads


def test_a_mapping_reads_its_bare_properties_and_the_key_properties():
    assert reads({"content": {"contentTitle": "page"}}) == {"id", "viewed_at", "page"}


def test_names_inside_an_expression_are_read():
    spec = {"person": {"email": "email.lower() if email else visitor['email']"}}
    assert reads(spec) == {"id", "viewed_at", "email", "visitor"}


def test_a_nested_path_reads_its_top_level_property():
    assert reads({"person": {"email": "visitor['email']"}}) == {"id", "viewed_at", "visitor"}


def test_a_property_read_through_a_function_is_read():
    assert reads({"content": {"contentTitle": "str(seats)"}}) >= {"seats"}


@pytest.mark.parametrize("source", ["record['page']", "_['page']", "record.get('page', 'x')"])
def test_a_property_read_from_the_record_by_a_constant_key_is_read(source):
    assert reads({"content": {"contentTitle": source}}) == {"id", "viewed_at", "page"}


def test_custom_field_expressions_are_read():
    assert reads({"customFields": {"Seats": "seats", "Fixed": 3}}) == {"id", "viewed_at", "seats"}


@pytest.mark.parametrize(
    "source",
    ["str(record)", "json.dumps(_)", "record[page]", "record.get(page)", "list(record.keys())"],
)
def test_a_record_read_as_a_whole_or_by_a_computed_key_reads_every_property(source):
    assert reads({"content": {"contentTitle": source}}) is None


def test_passthrough_reads_every_property():
    assert reads("passthrough", StreamSchema({**PROPERTIES, "eventId": {}}, ("id",))) is None


SCHEMA = {"type": "object", "properties": PROPERTIES, "required": ["id", "webinar_date"]}
ZERO_DATE = {
    "id": 1,
    "viewed_at": "2024-05-01T10:00:00Z",
    "page": "P",
    "webinar_date": "0000-00-00",
}


def check(schema: dict, checked: frozenset[str] | None, keys: tuple[str, ...] = ("id",)):
    return RecordCheck(schema, keys, usable_draft("web", schema), checked=checked)


def test_a_bad_value_in_a_property_not_read_is_not_checked():
    assert check(SCHEMA, frozenset({"viewed_at", "page"})).errors(ZERO_DATE) == []


def test_the_same_bad_value_in_a_property_read_is_refused():
    assert check(SCHEMA, frozenset({"webinar_date"})).errors(ZERO_DATE) == [
        "webinar_date: '0000-00-00' is not a 'date-time'"
    ]


def test_key_properties_are_checked_when_the_mapping_does_not_read_them():
    assert check(SCHEMA, frozenset({"page"})).errors({**ZERO_DATE, "id": "x"}) == [
        "id: 'x' is not of type 'integer'"
    ]


def test_every_property_is_checked_when_the_reads_are_unknown():
    assert check(SCHEMA, None).errors(ZERO_DATE) == [
        "webinar_date: '0000-00-00' is not a 'date-time'"
    ]


def test_a_required_property_not_read_may_be_missing():
    record = {"id": 1, "viewed_at": "2024-05-01T10:00:00Z"}
    assert check(SCHEMA, frozenset({"viewed_at"})).errors(record) == []
    assert check(SCHEMA, None).errors(record) == ["(record): 'webinar_date' is a required property"]


def test_additional_properties_left_out_are_not_judged():
    closed = {"type": "object", "properties": {"id": {"type": "integer"}}}
    schema = {**closed, "additionalProperties": False}
    assert check(schema, frozenset()).errors({"id": 1, "extra": "x"}) == []


@pytest.mark.parametrize(
    "extra",
    [
        {"patternProperties": {"^x": {"type": "integer"}}},
        {"anyOf": [{"required": ["id"]}]},
        {"properties": {**PROPERTIES, "copy": {"$ref": "#/properties/seats"}}},
        {"properties": {**PROPERTIES, "parent": {"$ref": "#"}}},
    ],
)
def test_a_schema_whose_parts_may_judge_other_properties_is_checked_whole(extra):
    schema = {**SCHEMA, **extra}
    assert restricted(schema, frozenset({"page"})) is schema


def test_a_restricted_schema_keeps_its_definitions():
    schema = {
        "type": "object",
        "definitions": {"day": {"type": "string", "format": "date"}},
        "properties": {"a": {"$ref": "#/definitions/day"}, "b": {"$ref": "#/definitions/day"}},
    }
    assert check(schema, frozenset({"a"}), ()).errors({"a": "0000-00-00", "b": "x"}) == [
        "a: '0000-00-00' is not a 'date'"
    ]


def test_dates_are_parsed_only_in_the_properties_read():
    assert set(date_parsers(PROPERTIES, frozenset({"id", "viewed_at"}))) == {"viewed_at"}
    assert set(date_parsers(PROPERTIES)) == {"viewed_at", "webinar_date"}

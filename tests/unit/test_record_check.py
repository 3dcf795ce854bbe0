"""Records are checked against the SCHEMAs real taps write, as the SDK's reader gives them."""

from __future__ import annotations

from decimal import Decimal

import jsonschema
import pytest

from target_gong_di.validation.record_check import RecordCheck, StreamSchemaError, usable_draft
from target_gong_di.validation.schema_refs import check_references


def errors(properties: dict, record: dict, schema_extra: dict | None = None) -> list[str]:
    schema = {"type": "object", "properties": properties, **(schema_extra or {})}
    return RecordCheck(schema, (), usable_draft("orders", schema)).errors(record)


AMOUNT = {"amount": {"type": ["null", "number"], "multipleOf": Decimal("0.01")}}


@pytest.mark.parametrize("value", [Decimal("12.30"), Decimal("0.07"), 5, Decimal("-4.8")])
def test_decimal_multiple_of_a_hundredth_is_accepted(value):
    assert errors(AMOUNT, {"amount": value}) == []


def test_decimal_not_a_multiple_of_a_hundredth_is_refused_as_written():
    assert errors(AMOUNT, {"amount": Decimal("12.345")}) == [
        "amount: 12.345 is not a multiple of 0.01"
    ]


def test_tiny_multiple_of_from_an_unconstrained_numeric_column_is_checked_exactly():
    numeric = {"amount": {"type": ["null", "number"], "multipleOf": Decimal("1E-38")}}
    assert errors(numeric, {"amount": Decimal("19.99")}) == []
    assert errors(numeric, {"amount": Decimal("12345678901234567890.123456789")}) == []


@pytest.mark.parametrize("value", [Decimal("7.0"), Decimal("1E+1"), 7])
def test_whole_number_written_with_a_fraction_is_an_integer(value):
    assert errors({"seats": {"type": "integer"}}, {"seats": value}) == []


@pytest.mark.parametrize("value", [Decimal("7.5"), Decimal("Infinity"), Decimal("NaN")])
def test_fraction_or_non_finite_number_is_not_an_integer(value):
    assert errors({"seats": {"type": "integer"}}, {"seats": value})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_non_finite_number_under_multiple_of_is_refused_not_a_crash(value):
    assert errors(AMOUNT, {"amount": value}) == [f"amount: {value} is not a finite number"]


def test_draft_04_exclusive_maximum_as_a_boolean_is_understood():
    draft_04 = {"ratio": {"type": "number", "maximum": 1, "exclusiveMaximum": True}}
    assert errors(draft_04, {"ratio": Decimal("0.5")}) == []
    assert errors(draft_04, {"ratio": 1}) == [
        "ratio: 1 is greater than or equal to the maximum of 1"
    ]


def test_schema_no_draft_can_read_names_the_stream_and_the_place():
    with pytest.raises(StreamSchemaError, match=r"stream 'orders'.*properties/title/pattern"):
        errors({"title": {"type": "string", "pattern": "^\\p{L}+$"}}, {"title": "a"})


TREE = {
    "node": {
        "type": "object",
        "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
    }
}


def test_a_ref_that_descends_into_the_record_is_a_recursive_schema_not_a_loop():
    tree = {"root": {"$ref": "#/$defs/node"}}
    record = {"root": {"kids": [{"kids": [{"kids": "leaf"}]}]}}
    assert errors(tree, record, {"$defs": TREE}) == [
        "root.kids[0].kids[0].kids: 'leaf' is not of type 'array'"
    ]


def test_a_ref_to_nothing_in_the_schema_names_the_stream_and_the_ref():
    with pytest.raises(StreamSchemaError, match=r"stream 'orders'.*'#/\$defs/gone'.*nothing"):
        errors({"id": {"$ref": "#/$defs/gone"}}, {"id": 1})


def test_a_property_named_ref_is_a_property_not_a_reference():
    assert errors({"$ref": {"type": "string"}}, {"$ref": 5}) == ["$ref: 5 is not of type 'string'"]


def test_a_ref_under_a_base_uri_is_resolved_inside_the_schema():
    schema_extra = {"$id": "https://schemas.example.com/orders.json", "$defs": TREE}
    assert errors({"root": {"$ref": "#/$defs/node"}}, {"root": {"kids": 3}}, schema_extra) == [
        "root.kids: 3 is not of type 'array'"
    ]


def test_a_ref_is_checked_even_when_records_are_not():
    schema = {"type": "object", "properties": {"id": {"$ref": "file:///etc/hostname"}}}
    with pytest.raises(StreamSchemaError, match="not inside the SCHEMA"):
        usable_draft("orders", schema, check_schema=False)


def test_a_ref_key_in_a_default_value_is_data_not_a_reference():
    link = {"link": {"type": "object", "default": {"$ref": "https://example.com/x"}}}
    assert errors(link, {"link": {"$ref": "https://example.com/y"}}) == []


def test_a_ref_key_in_a_default_value_that_points_nowhere_is_data_too():
    link = {"link": {"type": "object", "default": {"$ref": "#/nowhere"}}}
    assert errors(link, {"link": {}}) == []


def test_a_nested_id_that_rebases_a_reference_refuses_the_stream_in_one_line():
    rebased = {
        "type": "object",
        "definitions": {"s": {"type": "string"}},
        "properties": {"a": {"$id": "http://127.0.0.1:9/sub.json", "$ref": "#/definitions/s"}},
    }
    with pytest.raises(StreamSchemaError, match=r"stream 'views'.*\$id 'http://127.0.0.1:9"):
        check_references("views", rebased, jsonschema.Draft7Validator)

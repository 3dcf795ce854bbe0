"""Records are checked against the SCHEMAs real taps write, as the SDK's reader gives them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from target_gong_di.validation.record_check import RecordCheck, StreamSchemaError


def errors(properties: dict, record: dict, schema_extra: dict | None = None) -> list[str]:
    schema = {"type": "object", "properties": properties, **(schema_extra or {})}
    return RecordCheck("orders", schema, ()).errors(record)


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

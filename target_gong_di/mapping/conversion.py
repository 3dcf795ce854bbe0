"""Value conversion: fitting what an expression or a passthrough record gives to the API.

Gong wants text in string fields, integers in integer fields, ISO 8601 UTC in date-time
fields, and ``{name, value, dataType}`` custom fields whose value is always text; taps give
Decimals, datetimes, floats and nested JSON. These functions bridge the two.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from decimal import Decimal

from target_gong_di.encoding import to_json
from target_gong_di.mapping.timestamps import to_utc_iso


def text_of(value: t.Any) -> t.Any:
    """Scalars to the text Gong expects in a string field; anything else stays as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return to_utc_iso(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _number(value: t.Any) -> t.Any:
    """Integral numbers to int (the SDK may give Decimal or float); others stay."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _json_safe(value)


def _json_safe(value: t.Any) -> t.Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return to_utc_iso(value)
    return value


def conform(value: t.Any, schema: dict[str, t.Any] | None) -> t.Any:
    """Fit ``value`` to the body field described by ``schema``.

    Nones and containers left empty are dropped (``None`` is returned for them), date-time
    fields become ISO 8601 UTC (raising TimestampError when they cannot), numbers and dates
    in other string fields become text, integral numbers in integer fields become int, and
    nested objects and lists are fitted field by field. Values of the wrong kind are left
    for validation to report rather than guessed at.
    """
    if value is None:
        return None
    if type(value) is str and not (schema and "format" in schema):
        return value  # the common case, first
    if isinstance(value, dict):
        properties = (schema or {}).get("properties", {})
        fitted = {key: conform(item, properties.get(key)) for key, item in value.items()}
        return {key: item for key, item in fitted.items() if item is not None} or None
    if isinstance(value, list | tuple):
        items = (schema or {}).get("items")
        fitted_items = [conform(item, items) for item in value]
        return [item for item in fitted_items if item is not None] or None
    kind = (schema or {}).get("type")
    if kind == "string":
        if schema.get("format") == "date-time":  # type: ignore[union-attr]
            return to_utc_iso(value)
        return text_of(value)
    if kind == "integer":
        return _number(value)
    return _json_safe(value)


def custom_field_text(value: t.Any) -> str:
    """A custom field's ``value`` is always a string: JSON text for lists and objects."""
    if isinstance(value, list | dict):
        return to_json(value).decode("utf-8")
    return str(text_of(value))


def data_type_of_value(value: t.Any) -> str:
    """Gong dataType for a value whose stream property type is unknown."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float | Decimal):
        return "NUMBER"
    if isinstance(value, dt.date):
        return "DATE"
    return "STRING"


_DATA_TYPE_OF_FORMAT = {"date-time": "DATE", "date": "DATE", "uri": "URL"}
_DATA_TYPE_OF_KIND = {"boolean": "BOOLEAN", "integer": "NUMBER", "number": "NUMBER"}


def _data_types(prop: dict[str, t.Any]) -> set[str]:
    """The Gong dataType of each kind of value a SCHEMA property allows, null aside."""
    kinds = prop.get("type", [])
    found = set()
    for kind in ({kinds} if isinstance(kinds, str) else set(kinds)) - {"null"}:
        if kind == "string":
            found.add(_DATA_TYPE_OF_FORMAT.get(prop.get("format", ""), "STRING"))
        else:
            found.add(_DATA_TYPE_OF_KIND.get(kind, "STRING"))
    for option in prop.get("anyOf", []) + prop.get("oneOf", []):
        found |= _data_types(option)
    return found


def data_type_of_property(prop: dict[str, t.Any]) -> str | None:
    """Gong dataType for a stream property, from its SCHEMA type and format.

    None when the property allows values of more than one dataType (``["string", "number"]``,
    an ``anyOf`` of a date-time and a plain string): then each value's own type decides, so
    ``"N/A"`` is sent as STRING rather than failing as a NUMBER.
    """
    found = _data_types(prop)
    return found.pop() if len(found) == 1 else None

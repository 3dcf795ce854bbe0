"""Checks a built body against the API's contract before anything is sent.

Two layers, both from ``event_schema``: the JSON Schema (types, required fields, enums,
int32 ranges, no unknown keys) and the reference's prose rules (person or trackingId,
anonymous persons, company association, custom-field values matching their dataType).

The schema check runs a compiled ``fastjsonschema`` validator first because it costs a few
microseconds per body; only a body that fails it is re-checked with ``jsonschema`` (built
once) to get every error with its field path. ``jsonschema`` stays the validator of record.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import typing as t
from urllib.parse import urlsplit

import fastjsonschema
import jsonschema

from target_gong_di.validation.contract import BODY_SCHEMA, CUSTOM_FIELD_LISTS


def iso_datetime(value: object) -> dt.datetime | None:
    """The moment of an ISO 8601 date-time with a time zone (``Z`` or an offset); else None.

    What a body's ``timestamp`` must be, and how the run reads it again to compare it.
    """
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def is_iso_datetime(value: object) -> bool:
    """True for an ISO 8601 date-time with a time zone (``Z`` or an offset)."""
    return iso_datetime(value) is not None


def _is_iso_date_or_datetime(value: str) -> bool:
    if is_iso_datetime(value):
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _is_duration(value: str) -> bool:
    return _is_number(value) and float(value) >= 0


def _is_boolean(value: str) -> bool:
    return value.lower() in {"true", "false"}


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


VALUE_PARSERS: dict[str, tuple[t.Callable[[str], bool], str]] = {
    "NUMBER": (_is_number, "a number"),
    "DURATION": (_is_duration, "a number of seconds"),
    "BOOLEAN": (_is_boolean, "true or false"),
    "DATE": (_is_iso_date_or_datetime, "an ISO 8601 date or date-time"),
    "URL": (_is_url, "an http(s) URL"),
}
"""How a custom field's string ``value`` must parse for each ``dataType`` (STRING: any),
and how to say so when it does not."""

_FORMATS = {"date-time": is_iso_datetime}
_fast_check = fastjsonschema.compile(BODY_SCHEMA, formats=_FORMATS)
_format_checker = jsonschema.FormatChecker(formats=())
_format_checker.checks("date-time")(is_iso_datetime)
_full_check = jsonschema.Draft202012Validator(BODY_SCHEMA, format_checker=_format_checker)


def _path(parts: t.Iterable[object], root: str) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or root


_DECIMAL_REPR = re.compile(r"Decimal\('([^']*)'\)")


def describe(error: jsonschema.ValidationError, root: str) -> str:
    """``path: message`` for a person: ``items[0].name``, numbers as written, not as ``Decimal``.

    The SDK reads every JSON number with a fraction as ``Decimal``, and jsonschema's messages
    show values by ``repr``; ``root`` names the document when the error is about all of it.
    """
    message = _DECIMAL_REPR.sub(r"\1", error.message)
    return f"{_path(error.path, root)}: {message}"


def schema_errors(body: t.Mapping[str, t.Any]) -> list[str]:
    """Every JSON Schema violation in ``body``, each prefixed with its field path.

    The body's ``field_check`` first: it passes most bodies in half the compiled
    validator's time, and leaves the rest to it.
    """
    if _BODY_CHECK(body):
        return []
    try:
        _fast_check(body)
    except fastjsonschema.JsonSchemaValueException:
        errors = sorted(_full_check.iter_errors(body), key=lambda e: list(map(str, e.path)))
        return [describe(error, "(body)") for error in errors]
    return []


def rule_errors(body: t.Mapping[str, t.Any]) -> list[str]:
    """Violations of the reference's prose rules; assumes the schema check passed.

    The schema check passed, so every field a rule reads is text, an object or a list (or
    absent): it has a value exactly when it is truthy (not None, "", [] or {}).
    """
    errors: list[str] = []
    person = body.get("person")
    tracked = bool(body.get("trackingId"))
    if person is not None and tracked:
        errors.append("person, trackingId: send either a person or a trackingId, not both")
    elif person is None and not tracked:
        errors.append("person, trackingId: one of them is required")

    content = body.get("content")
    if person is not None:
        stated_company = person.get("company")
        company = stated_company or {}
        if not (
            person.get("email")
            or person.get("name")
            or person.get("phoneNumber")
            or person.get("personBusinessContext")
        ):
            if not person.get("personId"):
                errors.append(
                    "person.personId: required for an anonymous person "
                    "(no name, email, phoneNumber or personBusinessContext)"
                )
            if not company.get("domain"):
                errors.append(
                    "person.company.domain: required for an anonymous person "
                    "(no name, email, phoneNumber or personBusinessContext)"
                )
        if stated_company is not None and not (
            company.get("domain") or company.get("companyBusinessContexts")
        ):
            errors.append(
                "person.company: needs a domain or companyBusinessContexts "
                "(crmAccountId / crmOpportunityId) to be associated"
            )

    for path, fields in (
        (_BODY_FIELDS, body.get(_BODY_FIELDS)),
        (_CONTENT_PATH, content.get(_CONTENT_FIELDS) if content is not None else None),
        (_PERSON_PATH, person.get(_PERSON_FIELDS) if person is not None else None),
    ):
        if not fields:
            continue
        for index, field in enumerate(fields):
            data_type = field.get("dataType", "STRING")
            parses, expected = VALUE_PARSERS.get(data_type, (None, ""))
            if parses is not None and not parses(field["value"]):
                errors.append(
                    f"{path}[{index}].value: {field['value']!r} of custom field "
                    f"{field['name']!r} is not {expected} "
                    f"(dataType {data_type})"
                )
    return errors


_BODY_FIELDS, _CONTENT_FIELDS, _PERSON_FIELDS = CUSTOM_FIELD_LISTS
_CONTENT_PATH = f"content.{_CONTENT_FIELDS}"
_PERSON_PATH = f"person.{_PERSON_FIELDS}"


def body_errors(body: t.Mapping[str, t.Any]) -> list[str]:
    """All reasons Gong would refuse ``body``; empty when it may be sent."""
    return schema_errors(body) or rule_errors(body)


def mapped_body_errors(body: t.Mapping[str, t.Any], *, passed: bool | None = None) -> list[str]:
    """``body_errors`` of a body a stream's mapping built, with its timestamp not parsed again.

    A mapping fits every text ``timestamp`` with ``to_utc_iso``, whose output always is an
    ISO 8601 date-time in UTC: the field check need only see that it is text. ``passed``
    is that check's verdict when the mapping made it as it built the body (``generated``),
    None to make it here. A body it does not pass is judged by ``body_errors``.
    """
    if passed is None:
        passed = _MAPPED_BODY_CHECK(body)
    return rule_errors(body) if passed else body_errors(body)


Check = t.Callable[[t.Any], bool]

_SCALAR_KEYWORDS = {"type", "minLength", "format", "minimum", "maximum", "enum"}


def field_check(schema: t.Mapping[str, t.Any] | None) -> Check | None:
    """A quick check of a value against one field's schema, true only for values it accepts.

    For the kinds of field the body has (text, a date-time, an enum, an int32, lists of
    them, closed objects of them): exact types only (``str``, ``int``, ``list``, ``dict``),
    so a value it passes passes the compiled validator too; any other value is for the
    compiled validator to judge. None for a schema with other keywords.
    """
    if not schema:
        return None
    kind = schema.get("type")
    if kind == "array" and schema.keys() == {"type", "items"}:
        return _list_check(field_check(schema["items"]))
    if kind == "object":
        return _object_check(schema)
    if not schema.keys() <= _SCALAR_KEYWORDS:
        return None
    if kind is None and schema.keys() == {"enum"}:
        allowed = frozenset(value for value in schema["enum"] if type(value) is str)
        return lambda value: type(value) is str and value in allowed
    if kind == "string" and schema.get("format", "date-time") == "date-time":
        shortest = schema.get("minLength", 0)
        dated = "format" in schema
        if schema.keys() - {"type", "minLength", "format"}:
            return None
        return lambda value: (
            type(value) is str and len(value) >= shortest and (not dated or is_iso_datetime(value))
        )
    if kind == "integer" and schema.keys() <= {"type", "minimum", "maximum"}:
        lowest = schema.get("minimum", -math.inf)
        highest = schema.get("maximum", math.inf)
        return lambda value: type(value) is int and lowest <= value <= highest
    return None


def _list_check(item_check: Check | None) -> Check | None:
    if item_check is None:
        return None
    return lambda value: type(value) is list and all(map(item_check, value))


def _object_check(schema: t.Mapping[str, t.Any]) -> Check | None:
    """A closed object (``additionalProperties: false``) whose every field has a check."""
    if schema.keys() - {"type", "properties", "required", "additionalProperties"} or (
        schema.get("additionalProperties") is not False
    ):
        return None
    checks = {key: field_check(prop) for key, prop in schema["properties"].items()}
    if None in checks.values():
        return None
    return object_check(t.cast("dict[str, Check]", checks), schema.get("required", ()))


def object_check(checks: dict[str, Check], required: t.Iterable[str]) -> Check:
    """A closed object: only these keys, each value passing its check, the required present."""
    needed = frozenset(required)

    def check(value: t.Any) -> bool:
        if type(value) is not dict:
            return False
        for key, item in value.items():
            item_check = checks.get(key)
            if item_check is None or not item_check(item):
                return False
        return needed.issubset(value)

    return check


def body_size_errors(payload: bytes, max_body_bytes: int) -> list[str]:
    """The body's size, when its encoding is over ``max_body_bytes``.

    Gong (its proxy) answers 413 to a body too large, on every try: refused before sending,
    the record is dead-lettered and the run goes on, instead of spending a request on it.
    """
    if len(payload) <= max_body_bytes:
        return []
    return [f"(body): is {len(payload):,} bytes encoded, over max_body_bytes={max_body_bytes}"]


_BODY_FIELD_CHECKS = t.cast(
    "dict[str, Check]",
    {key: field_check(prop) for key, prop in BODY_SCHEMA["properties"].items()},
)
_BODY_CHECK = object_check(_BODY_FIELD_CHECKS, BODY_SCHEMA["required"])
"""``field_check`` of a whole body (its ``$schema`` and ``title`` aside)."""
MAPPED_FIELD_CHECKS: dict[str, Check] = {
    **_BODY_FIELD_CHECKS,
    "timestamp": lambda value: type(value) is str,
}
"""The check of each of a mapped body's fields: a text timestamp is ``to_utc_iso``'s."""
_MAPPED_BODY_CHECK = object_check(MAPPED_FIELD_CHECKS, BODY_SCHEMA["required"])
"""``_BODY_CHECK`` for a body whose text timestamp is ``to_utc_iso``'s (``mapped_body_errors``)."""

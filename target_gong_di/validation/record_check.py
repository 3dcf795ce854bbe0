"""Checks each record against its stream's SCHEMA without stopping the run.

The SDK validates a record just before handing it to the sink and, by default, aborts the
run on the first invalid one. Here an invalid record is dead-lettered instead: this
validator remembers why it failed (and the record as the tap sent it, before the SDK parses
its dates) and the sink collects that with ``take_rejection``. As for bodies, a compiled
``fastjsonschema`` validator answers first and ``jsonschema`` explains only the failures,
except for the SCHEMAs fastjsonschema misreads (``multipleOf`` on the SDK's ``Decimal``s,
draft-04), which ``jsonschema`` checks alone.
"""

from __future__ import annotations

import datetime as dt
import math
import typing as t
from decimal import Decimal
from fractions import Fraction

import fastjsonschema
import jsonschema
import referencing
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR

from target_gong_di.exceptions import StreamSchemaError
from target_gong_di.sdk_hooks import datelike_type
from target_gong_di.validation.body_check import describe
from target_gong_di.validation.schema_refs import (
    IN_PLACE_KEYWORDS,
    REFERENCE_KEYWORDS,
    check_references,
    compiles_without_fetching,
    strings_under,
)


def _parses(parse: t.Callable[[str], object]) -> t.Callable[[object], bool]:
    """A format check that passes exactly what the SDK's own date parsing accepts."""

    def check(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return check


DATE_PARSERS: dict[str, t.Callable[[str], object]] = {
    "date-time": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
}
"""How date-like strings are read, as the SDK reads them (Python 3.11's full ISO 8601)."""

FAST_FORMATS = {name: _parses(parse) for name, parse in DATE_PARSERS.items()}
"""Date formats are checked by parsing them; other formats are not checked, as in the SDK."""

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
for _name, _check in FAST_FORMATS.items():
    FORMAT_CHECKER.checks(_name)(_check)


def _uses_multiple_of(schema: object) -> bool:
    """True when ``multipleOf`` appears anywhere in ``schema``.

    The SDK reads numbers as ``Decimal`` (schema and records alike), and fastjsonschema's
    compiled ``multipleOf`` divides them by a float literal, which raises ``TypeError``; such
    schemas (SQL taps emit ``multipleOf`` for every ``numeric`` column) go to jsonschema.
    """
    if isinstance(schema, dict):
        return "multipleOf" in schema or any(map(_uses_multiple_of, schema.values()))
    if isinstance(schema, list):
        return any(map(_uses_multiple_of, schema))
    return False


def _fraction(number: int | float | Decimal) -> Fraction:
    return Fraction(repr(number)) if isinstance(number, float) else Fraction(number)


def _exact_multiple_of(
    validator: jsonschema.protocols.Validator, divisor: t.Any, instance: t.Any, schema: t.Any
) -> t.Iterator[jsonschema.ValidationError]:
    """``multipleOf`` in exact arithmetic.

    jsonschema's own runs out of ``Decimal`` precision on ``multipleOf: 1e-38`` (what
    tap-postgres declares for a plain ``numeric``) and raises instead of answering.
    """
    if not validator.is_type(instance, "number"):
        return
    if isinstance(instance, float | Decimal) and not math.isfinite(instance):
        yield jsonschema.ValidationError(f"{instance} is not a finite number")
    elif (_fraction(instance) / _fraction(divisor)).denominator != 1:
        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {divisor}")


def _is_integer(checker: jsonschema.TypeChecker, instance: object) -> bool:
    """JSON Schema's integer, also for a whole number the SDK read as ``Decimal('7.0')``."""
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return jsonschema.Draft7Validator.TYPE_CHECKER.is_type(instance, "integer")


def _declared_draft(schema: dict[str, t.Any]) -> type[jsonschema.protocols.Validator]:
    """The draft the SCHEMA names in ``$schema``, else the SDK's default (Draft 7)."""
    return jsonschema.validators.validator_for(schema, default=DEFAULT_JSONSCHEMA_VALIDATOR)


def _draft_of(stream_name: str, schema: dict[str, t.Any]) -> type[jsonschema.protocols.Validator]:
    """The draft a tap's SCHEMA is valid in: the declared one, else Draft 4.

    Taps often write draft-04 without saying so (``"exclusiveMaximum": true`` from
    pipelinewise tap-postgres and tap-mysql), which is invalid in later drafts.
    """
    problems = []
    drafts: list[type[jsonschema.protocols.Validator]] = [
        _declared_draft(schema),
        jsonschema.Draft4Validator,
    ]
    for candidate in dict.fromkeys(drafts):
        try:
            candidate.check_schema(schema)
        except jsonschema.SchemaError as error:
            problems.append(error)
        else:
            return candidate
    where = "/".join(map(str, problems[0].path)) or "(schema)"
    raise StreamSchemaError(
        f"its SCHEMA is not valid JSON Schema at {where}: "
        f"{problems[0].message}; fix the tap's schema, or set validate_records to false "
        "to deliver without checking records against it",
        stream=stream_name,
    )


def _compiled(schema: dict[str, t.Any]) -> t.Callable[[t.Any], t.Any] | None:
    """The compiled fast check, or None where jsonschema alone must answer (slower, exact)."""
    if _uses_multiple_of(schema) or not compiles_without_fetching(schema):
        return None
    try:
        return fastjsonschema.compile(schema, formats=FAST_FORMATS)
    except fastjsonschema.JsonSchemaDefinitionException:
        return None


def date_parsers(
    properties: dict[str, t.Any], checked: t.Collection[str] | None = None
) -> dict[str, t.Callable[[str], object]]:
    """The parser of each date-like top-level property, as the SDK picks them.

    Date-time, date or time by the property's ``format``, also as a branch of ``anyOf``;
    worked out once per SCHEMA rather than per record. Only the ``checked`` properties (None:
    all) are parsed: a date no mapping reads is neither checked nor parsed.
    """
    kinds = {
        key: datelike_type(prop)
        for key, prop in properties.items()
        if checked is None or key in checked
    }
    return {key: DATE_PARSERS[kind] for key, kind in kinds.items() if kind in DATE_PARSERS}


def parse_dates(record: dict[str, t.Any], parsers: dict[str, t.Callable[[str], object]]) -> None:
    """Turn the record's date-like strings into ``datetime``/``date``/``time``, in place.

    Unlike the SDK, a value that does not parse is kept as it came rather than replaced
    with null or crashing on a non-string: ``RecordCheck`` has dead-lettered the invalid
    ones already, so what is left is valid by its SCHEMA (the plain-string branch of an
    ``anyOf``, an integer in a ``["string", "integer"]`` property).
    """
    for key, parse in parsers.items():
        value = record.get(key)
        if isinstance(value, str):
            try:
                record[key] = parse(value)
            except ValueError:
                continue  # valid by its SCHEMA all the same: kept as it came


def usable_draft(
    stream_name: str, schema: dict[str, t.Any], *, check_schema: bool = True
) -> type[jsonschema.protocols.Validator]:
    """The draft to read a stream's SCHEMA in; refuses a SCHEMA that cannot be used.

    Refused (``StreamSchemaError``, naming the stream) when no draft reads it or a ``$ref``
    leaves it, points at nothing or loops. With ``check_schema`` off (the SDK's
    ``validate_records: false``) only the ``$ref``s are checked, in the declared draft.
    """
    draft = _draft_of(stream_name, schema) if check_schema else _declared_draft(schema)
    check_references(stream_name, schema, draft)
    return draft


WHOLE_RECORD_KEYWORDS = frozenset(
    {
        "patternProperties",
        "propertyNames",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "minProperties",
        "maxProperties",
        "unevaluatedProperties",
        *IN_PLACE_KEYWORDS,
        *REFERENCE_KEYWORDS,
    }
)
"""Top-level keywords that may judge properties outside ``properties``: a SCHEMA with any
of them is checked whole, whatever the mapping reads."""

_DEFINITIONS = ("#/definitions/", "#/$defs/")


def restricted(schema: dict[str, t.Any], checked: t.Collection[str] | None) -> dict[str, t.Any]:
    """The SCHEMA as it applies to the ``checked`` top-level properties alone.

    Only those keep their ``properties`` entry and their place in ``required``; everything
    else (definitions, ``type``, ``$schema``) is kept. The whole SCHEMA is returned where a
    restriction could change what the checked properties are held to: ``checked`` is None
    (any property may be read), a top-level keyword judges other properties too
    (``WHOLE_RECORD_KEYWORDS``), a ``$ref`` points anywhere but the definitions (into
    ``#/properties/...`` or at the root), or ``additionalProperties`` would judge a
    checked property that ``properties`` does not declare.
    """
    properties = schema.get("properties")
    if (
        checked is None
        or not isinstance(properties, dict)
        or WHOLE_RECORD_KEYWORDS & schema.keys()
        or not all(
            reference.startswith(_DEFINITIONS)
            for reference in strings_under(schema, frozenset(REFERENCE_KEYWORDS))
        )
        or ("additionalProperties" in schema and not set(checked) <= properties.keys())
    ):
        return schema
    kept = {**schema, "properties": {k: v for k, v in properties.items() if k in checked}}
    kept.pop("additionalProperties", None)  # it judged only the properties left out
    required = [name for name in schema.get("required", ()) if name in checked]
    kept.pop("required", None)
    if required:  # (draft-04 refuses an empty list)
        kept["required"] = required
    return kept


class RecordCheck:
    """Checks records as the SDK's validator does, plus date formats and key properties.

    Returns the reasons instead of raising them, reads the draft-04 that taps often write,
    and checks ``multipleOf`` exactly. Only the ``checked`` top-level properties are held
    to the SCHEMA (None: all of them): what a mapping never reads never reaches Gong, and a
    bad value there must not cost the event. The SCHEMA is restricted once, here, so a
    record costs no more to check than before. With ``check_schema`` off (the SDK's
    ``validate_records: false``) only key properties are checked: an eventId may need them.
    """

    def __init__(
        self,
        schema: dict[str, t.Any],
        key_properties: t.Sequence[str],
        draft: type[jsonschema.protocols.Validator],
        *,
        checked: t.Collection[str] | None = None,
        check_schema: bool = True,
    ) -> None:
        self._key_properties = tuple(key_properties)
        self._check_schema = check_schema
        if not check_schema:
            return
        exact = jsonschema.validators.extend(
            draft,
            validators={"multipleOf": _exact_multiple_of},
            type_checker=draft.TYPE_CHECKER.redefine("integer", _is_integer),
        )
        applied = restricted(schema, None if checked is None else {*checked, *key_properties})
        # An empty registry: jsonschema's default one fetches what it cannot find.
        self._validator = exact(
            applied, format_checker=FORMAT_CHECKER, registry=referencing.Registry()
        )
        # fastjsonschema reads the declared draft only (draft-04's booleans it misreads).
        self._fast_check = _compiled(applied) if draft is _declared_draft(schema) else None

    def errors(self, record: dict[str, t.Any]) -> list[str]:
        """Why ``record`` cannot be used: its SCHEMA's rules, then missing key properties."""
        errors = self._schema_errors(record) if self._check_schema else []
        errors += [
            f"{key}: key property is missing from the record"
            for key in self._key_properties
            if key not in record
        ]
        return errors

    def _schema_errors(self, record: dict[str, t.Any]) -> list[str]:
        """Compiled check first; jsonschema only to say why a record fails."""
        if self._fast_check is not None:
            try:
                self._fast_check(record)
            except fastjsonschema.JsonSchemaValueException:
                pass
            else:
                return []
        return [describe(error, "(record)") for error in self._validator.iter_errors(record)]

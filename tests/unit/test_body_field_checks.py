"""The quick field checks pass only bodies the compiled validator passes.

``schema_errors`` asks ``field_check``s first and the compiled validator only when they do
not pass a body, so a body they pass must be one the compiled validator passes too: here
over the README's body and every one-field change of it (each field set to null, empty
text, numbers, booleans, lists, objects, bad dates, out-of-range integers, left out) and an
unknown key at every level. ``mapped_body_errors``, which takes a text timestamp for
``to_utc_iso``'s, says what ``body_errors`` says of every such body.
"""

from __future__ import annotations

import copy
import json
import typing as t
from decimal import Decimal

import fastjsonschema
import pytest
from readme_blocks import blocks

from target_gong_di.mapping.timestamps import to_utc_iso
from target_gong_di.validation.body_check import (
    _BODY_CHECK,
    _fast_check,
    body_errors,
    is_iso_datetime,
    mapped_body_errors,
    schema_errors,
)

REPLACEMENTS: list[t.Any] = [
    None,
    "",
    "x",
    "2026-13-01T00:00:00Z",
    "2026-11-20T08:15:02",
    "2026-11-20T08:15:02Z",
    0,
    7,
    2**31,
    -(2**31) - 1,
    1.0,
    Decimal("3"),
    True,
    [],
    ["a"],
    [1],
    {},
    {"name": "n", "value": "v"},
    "PC",
    "NPS",
    "STRING",
    "ACCOUNT",
]
LEFT_OUT = object()


def _paths(document: t.Any, path: tuple = ()) -> t.Iterator[tuple]:
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _paths(value, (*path, index))


def _changed(body: dict, path: tuple, value: t.Any) -> t.Any:
    changed = copy.deepcopy(body)
    if not path:
        return value
    owner = changed
    for part in path[:-1]:
        owner = owner[part]
    if value is LEFT_OUT:
        del owner[path[-1]]
    else:
        owner[path[-1]] = value
    return changed


def _bodies() -> list[t.Any]:
    body = json.loads(blocks("json", "body")[0])
    bodies = [body]
    for path in _paths(body):
        for value in [*REPLACEMENTS, LEFT_OUT]:
            if path or value is not LEFT_OUT:
                bodies.append(_changed(body, path, value))
        if isinstance(_lookup(body, path), dict):
            bodies.append(_changed(body, (*path, "unknownKey"), "x"))
    return bodies


def _lookup(body: t.Any, path: tuple) -> t.Any:
    for part in path:
        body = body[part]
    return body


def _compiled_passes(body: t.Any) -> bool:
    try:
        _fast_check(body)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


BODIES = _bodies()


def test_the_corpus_has_bodies_the_field_checks_pass_and_bodies_they_do_not() -> None:
    verdicts = {bool(_BODY_CHECK(body)) for body in BODIES}
    assert verdicts == {True, False}


@pytest.mark.parametrize("number", range(len(BODIES)))
def test_a_body_the_field_checks_pass_passes_the_compiled_validator(number: int) -> None:
    body = BODIES[number]
    if _BODY_CHECK(body):
        assert _compiled_passes(body)
    assert (schema_errors(body) == []) == _compiled_passes(body)


def _fitted_timestamp(body: t.Any) -> bool:
    """Whether the body's timestamp is what a mapping can build: not text, or ``to_utc_iso``'s."""
    stamp = body.get("timestamp") if isinstance(body, dict) else None
    return type(stamp) is not str or (is_iso_datetime(stamp) and to_utc_iso(stamp) == stamp)


MAPPED = [body for body in BODIES if _fitted_timestamp(body)]


@pytest.mark.parametrize("number", range(len(MAPPED)))
def test_a_mapped_body_has_the_errors_body_errors_finds(number: int) -> None:
    body = MAPPED[number]
    assert mapped_body_errors(body) == body_errors(body)


@pytest.mark.parametrize(
    "moment",
    ["2026-11-20T09:15:02+01:00", "2026-11-20", "0001-01-01T00:30:00+00:00", 1763630102, 1.5e12],
)
def test_every_timestamp_a_mapping_fits_is_an_iso_date_time(moment: t.Any) -> None:
    assert is_iso_datetime(to_utc_iso(moment))

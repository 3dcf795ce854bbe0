"""A template's generated build is its ``build``: the same bodies, the same errors.

A differential test: every mapping in the README, ``meltano.yml`` and the tests, and a set
written to reach every kind of node and field, is compiled; its generated function
(``mapping.generated``) and its template's ``build`` (the reference) are run on a corpus of
records drawn for the properties it reads: nulls, missing, empty text, wrong types, dates,
nested objects. Where the generated function says a body passed, ``mapped_body_errors``'s
own field check passes it too, so the check it spares is never one that would refuse.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import random
import re
import typing as t
import zlib
from decimal import Decimal

import pytest
import yaml
from readme_blocks import BLOCKS
from repo_paths import ROOT

from target_gong_di.exceptions import MappingConfigError, RecordMappingError
from target_gong_di.mapping import StreamSchema, compile_stream_mapping
from target_gong_di.mapping.expressions import CONTEXT_NAMES, FUNCTIONS
from target_gong_di.mapping.generated import generate_build
from target_gong_di.validation import BODY_SCHEMA
from target_gong_di.validation.body_check import _MAPPED_BODY_CHECK, mapped_body_errors

BODY_KEYS = set(BODY_SCHEMA["properties"]) | {"__event_id_namespace__"}


def _mappings_in(document: t.Any, found: list[dict[str, t.Any]]) -> None:
    """Every stream's mapping under a ``mappings`` key, anywhere in ``document``."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "mappings" and isinstance(value, dict):
                found.extend(spec for spec in value.values() if isinstance(spec, dict))
            _mappings_in(value, found)
    elif isinstance(document, list):
        for item in document:
            _mappings_in(item, found)


def _looks_like_a_mapping(value: t.Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) >= 2
        and all(isinstance(key, str) for key in value)
        and set(value) <= BODY_KEYS
    )


def _documented_mappings() -> list[dict[str, t.Any]]:
    found: list[dict[str, t.Any]] = []
    for language, _, text in BLOCKS:
        try:
            _mappings_in(json.loads(text) if language == "json" else yaml.safe_load(text), found)
        except (ValueError, yaml.YAMLError):
            continue  # a fragment, not a whole document
    _mappings_in(yaml.safe_load((ROOT / "meltano.yml").read_text()), found)
    for module in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Dict):
                try:
                    value = ast.literal_eval(node)
                except ValueError:
                    continue
                if _looks_like_a_mapping(value):
                    found.append(value)
    return found


WRITTEN = [
    {  # every kind of leaf in every kind of field
        "eventType": "'page viewed'",
        "timestamp": "viewed_at",
        "device": "device",
        "sessionId": "session",
        "trackingId": "tracking",
        "content": {
            "contentTitle": "title",
            "contentId": "str(id)",
            "contentLabel": ["label", "'fixed'", "tags"],
            "contentUrl": "url",
            "numericContentDetails": {
                "value": "score",
                "rangeFrom": "0",
                "rangeTo": "10",
                "numericType": "NPS",
            },
            "contentCustomFields": {"plan": "plan", "seats": "seats"},
        },
        "person": {
            "email": "email",
            "name": "name if name else None",
            "company": {
                "domain": "email.split('@')[-1]",
                "companyBusinessContexts": [{"objectType": "ACCOUNT", "objectId": "account"}],
            },
            "personBusinessContext": {"objectType": "kind", "objectId": "crm_id"},
            "location": "location",
        },
        "customFields": {"mobile": "mobile", "visits": "visits", "when": "viewed_at"},
    },
    {  # expressions that give wrong types, and a timestamp that is an expression
        "eventType": "kind",
        "timestamp": "viewed_at or seen_at",
        "content": {"contentTitle": "title", "contentLabel": "tags"},
        "person": "person",
        "trackingId": "tracking",
    },
    {  # constants of the wrong kind, an enum that is not one, a passthrough-like record read
        "eventType": "''",
        "timestamp": "'2026-11-20'",
        "device": "'TABLET'",
        "content": {"contentTitle": 3},
        "trackingId": "record.get('tracking')",
    },
    {"eventType": "'x'", "timestamp": "viewed_at", "content": {"contentId": "title"}},
    {  # custom fields in all three lists, typed by their properties or their values
        "eventType": "'x'",
        "timestamp": "viewed_at",
        "content": {"contentTitle": "title", "contentCustomFields": {"a": "plan"}},
        "person": {"email": "email", "personCustomFields": {"b": "score", "c": "tags"}},
        "customFields": {"d": "mobile", "e": "viewed_at", "f": "location"},
    },
    {"eventType": "'x'", "timestamp": "viewed_at", "content": "content", "trackingId": "'t'"},
]
"""Mappings that reach every node kind the generator writes, and its every check."""

MAPPINGS = [*WRITTEN, *_documented_mappings()]

VALUES: list[t.Any] = [
    None,
    "",
    "text",
    "ACCOUNT",
    "MOBILE",
    "ana@acme.example",
    "2026-11-20T09:15:02+01:00",
    "2026-11-20",
    "0000-00-00 00:00:00",
    0,
    7,
    2**40,
    1732094102,
    2.5,
    Decimal("12.30"),
    True,
    False,
    [],
    ["a", ""],
    [None, 3],
    {},
    {"email": "x@y.example", "name": "X"},
    {"contentTitle": "t", "nope": 1},
    dt.datetime(2026, 11, 20, 9, 15, 2, tzinfo=dt.timezone.utc),
    dt.datetime(2026, 11, 20, 9, 15, 2),
    dt.date(2026, 11, 20),
]
MISSING = object()
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _properties(spec: t.Any) -> set[str]:
    """Every name the mapping's expressions could read as a property."""
    texts = re.findall(r"'[^']*'|\"[^\"]*\"", json.dumps(spec))
    names = {name for text in texts for name in IDENTIFIER.findall(text)}
    return names - FUNCTIONS.keys() - CONTEXT_NAMES - {"None", "True", "False", "if", "else"}


def _compiled(spec: dict[str, t.Any]) -> tuple[t.Any, list[str]] | None:
    properties = sorted(_properties(spec) | {"id"})
    stream = StreamSchema({key: {} for key in properties}, ("id",))
    try:
        return compile_stream_mapping("corpus", spec, stream), properties
    except MappingConfigError:
        return None


def _records(spec: dict[str, t.Any], properties: list[str], count: int = 40) -> list[dict]:
    draw = random.Random(zlib.crc32(json.dumps(spec, sort_keys=True, default=str).encode()))
    records: list[dict[str, t.Any]] = [{"id": 1}, dict.fromkeys(properties)]
    for number in range(count):
        record: dict[str, t.Any] = {"id": number}
        for name in properties:
            value = draw.choice([MISSING, *VALUES])
            if value is not MISSING:
                record[name] = value
        records.append(record)
    return records


def _outcome(build: t.Callable[[dict], t.Any], record: dict[str, t.Any]) -> tuple[str, t.Any]:
    try:
        return ("body", build(copy.deepcopy(record)))
    except RecordMappingError as error:
        return ("error", str(error))


COMPILED = [(spec, found) for spec in MAPPINGS if (found := _compiled(spec)) is not None]


def test_the_corpus_holds_the_written_mappings_and_the_documented_ones() -> None:
    assert len(COMPILED) > len(WRITTEN) + 20
    assert all(_compiled(spec) is not None for spec in WRITTEN)


@pytest.mark.parametrize(("spec", "compiled"), COMPILED, ids=lambda v: str(v)[:50])
def test_the_generated_build_gives_the_templates_body_or_error_for_every_record(
    spec: dict[str, t.Any], compiled: tuple[t.Any, list[str]]
) -> None:
    mapping, properties = compiled
    if mapping.template is None:
        pytest.skip("passthrough: no template")
    generated = generate_build(mapping.template, "corpus")
    for record in _records(spec, properties):
        expected = _outcome(lambda r: mapping.template.build(r) or {}, record)
        got = _outcome(lambda r: generated(r)[0], record)
        assert got == expected, (generated.source, record)


@pytest.mark.parametrize(("spec", "compiled"), COMPILED, ids=lambda v: str(v)[:50])
def test_a_body_the_generated_build_passes_passes_the_field_check_it_spares(
    spec: dict[str, t.Any], compiled: tuple[t.Any, list[str]]
) -> None:
    mapping, properties = compiled
    for record in _records(spec, properties):
        try:
            body, passed = mapping.build_checked(copy.deepcopy(record))
        except RecordMappingError:
            continue
        if passed:
            assert _MAPPED_BODY_CHECK(body), (body, record)
        assert mapped_body_errors(body, passed=passed) == mapped_body_errors(body), body


SIMPLE = {
    "eventType": "'page viewed'",
    "timestamp": "viewed_at",
    "content": {"contentTitle": "title", "contentLabel": ["label"]},
    "trackingId": "tracking",
}
SIMPLE_RECORD = {"id": 1, "viewed_at": "2026-11-20T09:15:02Z", "title": "Home", "label": "a"}


def simple_mapping() -> t.Any:
    stream = StreamSchema(
        {key: {} for key in ["id", "viewed_at", "title", "label", "tracking"]}, ("id",)
    )
    return compile_stream_mapping("web", SIMPLE, stream)


def test_a_body_whose_every_value_fits_its_field_passes_as_it_is_built() -> None:
    body, passed = simple_mapping().build_checked({**SIMPLE_RECORD, "tracking": "t-1"})
    assert passed is True
    assert mapped_body_errors(body, passed=passed) == []


@pytest.mark.parametrize(
    "change",
    [{"title": {"a": 1}}, {"label": {"a": 1}}, {"title": None}, {"tracking": ["t"]}],
    ids=["an object for text", "an object in a list", "a required field left out", "a list"],
)
def test_a_body_with_a_value_that_does_not_fit_is_left_to_the_full_check(change) -> None:
    body, passed = simple_mapping().build_checked({**SIMPLE_RECORD, "tracking": "t-1", **change})
    assert passed is False
    assert mapped_body_errors(body, passed=passed) != []


def test_a_passthrough_body_is_checked_by_the_body_check_itself() -> None:
    stream = StreamSchema({"eventId": {}, "eventType": {}}, ())
    mapping = compile_stream_mapping("web", "passthrough", stream)
    assert mapping.build_checked({"eventId": "e1", "eventType": "x"})[1] is None

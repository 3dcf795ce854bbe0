"""Records through mappings the way a run takes them, in-process: what each record becomes.

The same steps as a run's stream (``run.stream_events``): the record against its SCHEMA,
its dates parsed, the body built by the compiled mapping, the body against Gong's contract.
A suggestion is judged by what it makes of every sampled record, dirty ones included.
"""

from __future__ import annotations

import copy
import typing as t
from dataclasses import dataclass

from target_gong_di.mapping import RecordMappingError, StreamSchema, compile_stream_mapping
from target_gong_di.mapping.compiler import StreamMapping
from target_gong_di.validation import RecordCheck, body_errors, date_parsers, parse_dates


@dataclass
class Outcome:
    """One record and what became of it: a valid body, or why there is none."""

    record: dict[str, t.Any]
    body: dict[str, t.Any] | None
    errors: list[str]


Parsers = dict[str, t.Callable[[str], object]]


def outcomes(
    messages: list[dict[str, t.Any]], mappings: dict[str, t.Any]
) -> dict[str, list[Outcome]]:
    """Per stream, the outcome of each of its records under ``mappings``."""
    streams: dict[str, tuple[RecordCheck, Parsers, StreamMapping]] = {}
    found: dict[str, list[Outcome]] = {}
    for message in messages:
        name = message["stream"]
        if message["type"] == "SCHEMA":
            properties = message["schema"]["properties"]
            keys = tuple(message["key_properties"])
            check = RecordCheck(name, message["schema"], keys)
            mapping = compile_stream_mapping(name, mappings[name], StreamSchema(properties, keys))
            streams[name] = (check, date_parsers(properties), mapping)
            found[name] = []
        elif message["type"] == "RECORD":
            check, parsers, mapping = streams[name]
            found[name].append(_outcome(message["record"], check, parsers, mapping))
    return found


def _outcome(
    record: dict[str, t.Any], check: RecordCheck, parsers: Parsers, mapping: StreamMapping
) -> Outcome:
    errors = check.errors(record)
    if errors:
        return Outcome(record, None, errors)
    parsed = copy.deepcopy(record)
    parse_dates(parsed, parsers)
    try:
        body = mapping.build(parsed)
    except RecordMappingError as error:
        return Outcome(record, None, [str(error)])
    errors = body_errors(body)
    return Outcome(record, None if errors else body, errors)

"""The dead-letter line: what a run writes for each record it could not deliver.

One definition serves both ends: ``dead_letter`` builds the line the run appends to the
dead-letter file (``files.JsonLinesFile``), and ``--replay`` (``commands.replay``) reads it
back through the same ``DeadLetter`` fields, so a field renamed or added here is renamed or
added for both.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from target_gong_di.mapping import to_utc_iso


class _Answer(t.TypedDict, total=False):
    """What Gong's answer added, when there was one (``api``) or a body was built."""

    body: t.Mapping[str, t.Any]
    requestId: str


class DeadLetter(_Answer):
    """One line of the dead-letter file, its fields in the order written."""

    stream: str
    stage: str
    errors: list[str]
    runId: str
    key: t.Mapping[str, t.Any]
    line: int | None
    record: t.Mapping[str, t.Any]
    schema: t.Mapping[str, t.Any]
    keyProperties: list[str]
    time: str


REPLAY_NEEDS = ("stream", "record", "schema")
"""The fields ``--replay`` cannot do without; lines written before dead letters carried their
SCHEMA lack ``schema`` (and may lack ``key`` and ``keyProperties``, read as empty)."""


def dead_letter(
    *,
    stream: str,
    record: t.Mapping[str, t.Any],
    stage: str,
    errors: list[str],
    run_id: str,
    key: t.Mapping[str, t.Any],
    line: int | None,
    schema: t.Mapping[str, t.Any],
    key_properties: t.Sequence[str],
    body: t.Mapping[str, t.Any] | None = None,
    request_id: str | None = None,
) -> DeadLetter:
    """The dead-letter entry for a record that could not be delivered.

    ``stage`` is where it failed: ``schema`` (the stream's SCHEMA), ``mapping`` (an
    expression raised), ``validation`` (the built body breaks the API's rules) or ``api``
    (Gong answered 400). ``run_id`` tells runs apart in a file that every run appends to,
    and ``key`` (the record's key-property values) and ``line`` (its line in the input)
    point at the record, so the same record rejected by two runs is recognisable. The
    stream's ``schema`` and ``key_properties`` make each line enough for ``--replay`` to
    rebuild the record with a fixed mapping, with nothing but the file and the config.
    """
    answer: _Answer = {}
    if body is not None:
        answer["body"] = body
    if request_id is not None:
        answer["requestId"] = request_id
    return {
        "stream": stream,
        "stage": stage,
        "errors": errors,
        "runId": run_id,
        "key": key,
        "line": line,
        "record": record,
        "schema": schema,
        "keyProperties": list(key_properties),
        **answer,
        "time": to_utc_iso(dt.datetime.now(dt.timezone.utc)),
    }

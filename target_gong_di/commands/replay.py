"""Turns a dead-letter file back into Singer messages, so fixed records can be sent again.

Each dead-letter line carries its stream, the record (as the tap sent it, or as parsed when
it failed later), and the stream's SCHEMA and key properties: enough to rebuild the record
with the current config and send it through the same checks, limiter, ledger and retries
as a tap's records. The file is only read; a line that is not a dead letter (the torn end
of a write cut short) is reported with its number and first bytes, and the rest replayed.
A record rejected by several runs appears once per run; it is replayed once (its latest
line), recognised by its stream and key values, or its whole content where the stream has
no key.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass
from pathlib import Path

from target_gong_di.encoding import to_json
from target_gong_di.exceptions import ReplayError
from target_gong_di.run import REPLAY_NEEDS, DeadLetter


@dataclass(frozen=True)
class ReplayInput:
    """The Singer messages to replay, and what was left out."""

    lines: list[str]
    entries: int
    """Dead-letter lines read."""
    repeats: int
    """Lines left out because a later line holds the same record."""
    unreadable: list[str]
    """One message per line that is not a dead letter (its number and first bytes)."""


UNREADABLE_PREFIX = 60
"""How many bytes of an unreadable line its message shows: enough to recognise it."""


def refuse_same_file(replayed: str, dead_letter_path: str) -> None:
    """New dead letters must not be appended to the file being replayed."""
    target = Path(dead_letter_path)
    if target.exists() and Path(replayed).resolve() == target.resolve():
        raise ReplayError(
            f"dead_letter_path is {dead_letter_path}, the file being replayed: set "
            "dead_letter_path to another file, so records that still fail are kept apart "
            "and the replayed file stays as it is"
        )


def replay_input(path: str) -> ReplayInput:
    """Singer SCHEMA and RECORD messages for every record in the dead-letter file at ``path``."""
    entries, unreadable = _entries(path)
    latest: dict[tuple[str, str], DeadLetter] = {}
    for entry in entries:
        identity = (entry["stream"], _identity(entry))
        latest.pop(identity, None)  # re-inserted last: replay in the order last seen
        latest[identity] = entry
    lines: list[str] = []
    schemas: dict[str, tuple[t.Any, t.Any]] = {}
    for entry in latest.values():
        stream = entry["stream"]
        schema = (entry["schema"], entry.get("keyProperties") or [])
        if schemas.get(stream) != schema:
            schemas[stream] = schema
            lines.append(
                _line(
                    {
                        "type": "SCHEMA",
                        "stream": stream,
                        "schema": schema[0],
                        "key_properties": schema[1],
                    }
                )
            )
        lines.append(_line({"type": "RECORD", "stream": stream, "record": entry["record"]}))
    return ReplayInput(lines, len(entries), len(entries) - len(latest), unreadable)


def _entries(path: str) -> tuple[list[DeadLetter], list[str]]:
    """The file's dead letters, and why each line that is not one was skipped.

    One bad line (the torn end of a write cut short, an edit by hand) costs only itself: the
    lines around it are replayed. The file is read as bytes, since a torn line may end
    inside a character.
    """
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        raise ReplayError(f"--replay {path}: cannot read it ({error.strerror})") from None
    entries: list[DeadLetter] = []
    unreadable: list[str] = []
    for number, line in enumerate(content.split(b"\n"), 1):
        if not line.strip():
            continue
        entry = _entry(line)
        if isinstance(entry, dict):
            entries.append(entry)
        else:
            start = line[:UNREADABLE_PREFIX].decode("utf-8", "backslashreplace")
            unreadable.append(f"--replay {path}, line {number}: {entry}; skipped: {start!r}")
    return entries, unreadable


def _entry(line: bytes) -> DeadLetter | str:
    """The dead letter on ``line``, or why it cannot be replayed."""
    try:
        entry = json.loads(line)
    except ValueError:  # UnicodeDecodeError included
        return "not JSON (a torn write, or edited)"
    if not isinstance(entry, dict):
        return "not a dead letter (not a JSON object)"
    missing = [name for name in REPLAY_NEEDS if name not in entry]
    if missing:
        return (
            f"not a dead letter this version can replay (no {', '.join(missing)}); it was "
            "written before dead letters carried their SCHEMA"
        )
    return t.cast("DeadLetter", entry)


def _identity(entry: DeadLetter) -> str:
    key = entry.get("key") or {}
    complete = bool(key) and all(value is not None for value in key.values())
    return _line(key) if complete else _line(entry["record"])


def _line(document: object) -> str:
    return to_json(document).decode("utf-8")

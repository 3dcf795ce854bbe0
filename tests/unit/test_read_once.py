"""``--validate-config --input`` parses its sample once: the dry run reads the same messages.

``read_streams`` hands each line with its message to the reader (``read_already``); the
reader returns those messages instead of parsing the lines again, and a line that is not
the next one it was handed is parsed as usual, as is every line after it.
"""

from __future__ import annotations

import collections
import json

from target_gong_di.commands.suggest import ReadLines, read_streams
from target_gong_di.run import SingerReader

SCHEMA = {"type": "SCHEMA", "stream": "s", "schema": {"properties": {}}, "key_properties": []}
LINES = [json.dumps(SCHEMA), json.dumps({"type": "RECORD", "stream": "s", "record": {"a": 1}})]


def _read_once() -> tuple[SingerReader, ReadLines]:
    lines: ReadLines = collections.deque()
    read_streams("\n".join(LINES), lines)
    reader = SingerReader()
    reader.read_already = collections.deque(lines)
    return reader, lines


def test_lines_in_step_are_not_parsed_again() -> None:
    reader, lines = _read_once()
    messages = [reader.deserialize_json(line + "\n") for line in LINES]
    assert all(message is read for message, (_, read) in zip(messages, lines, strict=True))


def test_a_line_out_of_step_is_parsed_and_ends_what_was_read_already() -> None:
    reader, _ = _read_once()
    other = {"type": "RECORD", "stream": "s", "record": {"b": 2}}
    assert reader.deserialize_json(json.dumps(other) + "\n") == other
    assert reader.read_already is None

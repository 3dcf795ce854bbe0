"""Reads Singer messages: fast where the input is strict JSON, forgiving where a tap is not.

The SDK's msgspec reader is a third faster than its stock one but refuses two things
Python taps do write: ``NaN``/``Infinity`` (``json.dumps``' default for a float column's NaN)
and lone UTF-16 surrogates. The stock reader accepts both, so refusing them would stop a
pipeline on a line that every other SDK target reads; such lines are read the stock way.

A line that cannot be used at all (not JSON, not UTF-8, nested too deeply, a RECORD whose
``record`` is not an object, ...) stops the run with an ``InputError`` whose one line names
the input line, the stream where known, and what is wrong, never a parser's traceback.
"""

from __future__ import annotations

import collections
import io
import json
import os
import stat
import sys
import typing as t

import msgspec
from singer_sdk.contrib.msgspec import MsgSpecReader, decoder
from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.singerlib.json import deserialize_json as stock_deserialize_json

from target_gong_di.exceptions import InputError
from target_gong_di.run.planning import InputPosition

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}

MESSAGE_FIELDS: dict[str, dict[str, type | None]] = {
    "SCHEMA": {"stream": str, "schema": dict},
    "RECORD": {"stream": str, "record": dict},
    "STATE": {"value": None},
    "BATCH": {"stream": str, "encoding": dict, "manifest": list},
    "ACTIVATE_VERSION": {"stream": str, "version": None},
}
"""What each Singer message must have, and of which JSON type (None: any)."""


def tolerant(file_input: t.IO[str]) -> t.IO[str]:
    """``file_input`` read as UTF-8 that keeps undecodable bytes (as surrogates).

    ``parse_line`` then names the line that is not UTF-8; strict decoding would fail while
    reading ahead, on no particular line.
    """
    buffer = getattr(file_input, "buffer", None)
    if buffer is None:  # already text (a StringIO): nothing left to decode
        return file_input
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="surrogateescape")


class RecordBeforeSchema(InputError, RecordsWithoutSchemaException):
    """A RECORD or BATCH of a stream with no SCHEMA yet; still the SDK's exception too."""


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), "a number")


def _unparsable(line: str, error: msgspec.DecodeError, stock: Exception) -> InputError:
    """Why neither reader could parse ``line``.

    Malformed JSON is said in msgspec's words: it counts bytes, where the stock reader
    names a "line 1" of a one-line document.
    """
    if "\x00" in line:
        return InputError(f"contains a NUL character (at character {line.index(chr(0))})")
    if isinstance(stock, RecursionError):
        return InputError("is nested too deeply to be read")
    if not isinstance(stock, json.JSONDecodeError):  # Python's limit on an int's digits
        return InputError(
            f"has an integer longer than the {sys.get_int_max_str_digits()} digits that can be read"
        )
    return InputError(f"is not valid JSON: {str(error).removeprefix('JSON is malformed: ')}")


def parse_line(line: str) -> object:
    """The line's JSON, or an ``InputError`` saying why it is none."""
    try:
        message = decoder.decode(line)
    except msgspec.DecodeError as error:
        try:
            message = stock_deserialize_json(line)
        except (ValueError, RecursionError) as stock:
            raise _unparsable(line, error, stock) from stock
    except UnicodeEncodeError as error:  # stdin's undecodable bytes, kept as surrogates
        raise InputError(f"is not valid UTF-8 (at character {error.start})") from error
    except RecursionError as error:
        raise InputError("is nested too deeply to be read") from error
    return message


def regular_file(stream: t.IO[str]) -> int | None:
    """The descriptor of ``stream`` when it is a regular file, whose size is known; else None.

    A pipe, a terminal or text in memory (``--validate-config``, ``--replay``) has no size
    to measure progress against.
    """
    try:
        descriptor = stream.fileno()
        return descriptor if stat.S_ISREG(os.fstat(descriptor).st_mode) else None
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None


def stream_of(message: object) -> str | None:
    """The stream a message names, where it names one."""
    stream = message.get("stream") if isinstance(message, dict) else None
    return stream if isinstance(stream, str) else None


def read_message(number: int, line: str) -> dict:
    """The Singer message on input line ``number``; an ``InputError`` names the line."""
    message = None
    try:
        message = parse_line(line)
        return check_message(message)
    except InputError as error:
        raise error.at(number, stream_of(message)) from error


def check_message(message: object) -> dict:
    """The Singer message; refuse one that lacks a field its type needs, or has a wrong one.

    The SDK would fail on them later, with texts such as ``pop expected at most 1
    argument`` for a RECORD whose ``record`` is a list.
    """
    if not isinstance(message, dict):
        raise InputError(f"is {_json_type(message)}, not a Singer message (an object)")
    kind = message.get("type")
    if kind not in MESSAGE_FIELDS:
        raise InputError(f"has type {kind!r}, which is not a Singer message type")
    for field, expected in MESSAGE_FIELDS[kind].items():
        if field not in message:
            raise InputError(f"{kind} message has no {field!r}")
        value = message[field]
        if expected is not None and not isinstance(value, expected):
            raise InputError(
                f"{kind}'s {field!r} is {_json_type(value)}, not {_JSON_TYPES[expected]}"
            )
    if kind == "SCHEMA" and not isinstance(message["schema"].get("properties"), dict):
        raise InputError("SCHEMA's schema has no 'properties' object")
    return message


class SingerReader(MsgSpecReader):
    """msgspec first; the SDK's stock reader for the lines msgspec refuses.

    ``line_number`` is the input line of the message being processed, and ``stream`` its
    stream: the SDK hands each line to ``deserialize_json`` and processes it before reading
    the next, so a rejected record can be pointed at by its line in the tap's output.
    """

    line_number = 0
    stream: str | None = None
    read_already: collections.deque[tuple[str, dict | None]] | None = None
    """The input's lines with their messages, read already (``--validate-config --input``
    reads its sample once, to find its streams first): not parsed again. None for a blank
    line, which is read as any other; a line out of step ends it."""
    _regular_file: int | None = None
    _characters_read = 0

    @property
    def default_input(self) -> t.IO[str]:  # type: ignore[override]
        """Standard input, read by ``tolerant``."""
        return tolerant(sys.stdin)

    def position(self) -> InputPosition | None:
        """How far into its input the reader is, when the input is a regular file.

        The offset is the characters of the lines read so far: the file's own offset runs
        a read buffer ahead of them, which in a small file is most of it. Characters are
        bytes in ASCII and fewer otherwise, so it only estimates (``ended`` says the end).
        """
        descriptor = self._regular_file
        if descriptor is None:
            return None
        try:
            return InputPosition(self._characters_read, os.fstat(descriptor).st_size)
        except OSError:  # closed at the end of the run
            return None

    def deserialize_json(self, line: str) -> dict:
        """One message; a line that is none raises ``InputError``.

        A well-formed RECORD, most lines, is told apart in a few type checks; anything else
        is read again by ``read_message``, which says what is wrong with it.
        """
        self.line_number += 1
        self._characters_read += len(line)
        if self.read_already:
            text, known = self.read_already.popleft()
            if known is not None and text == line.removesuffix("\n"):
                self.stream = stream_of(known)
                return known
            if text != line.removesuffix("\n"):
                self.read_already = None
        try:
            message = decoder.decode(line)
        except Exception:  # read again below, to say why
            message = None
        if (
            type(message) is dict
            and message.get("type") == "RECORD"
            and type(stream := message.get("stream")) is str
            and type(message.get("record")) is dict
        ):
            self.stream = stream
            return message
        self.stream = None  # until this line names one
        message = read_message(self.line_number, line)
        self.stream = stream_of(message)
        return message

    def process_lines(
        self, file_input: t.IO[str] | None, callbacks: dict[str, t.Callable[[dict], None]]
    ) -> t.Counter[str]:
        """Every line, each processed before the next is read; a bad one stops the run.

        Whatever a line makes fail is reported at that line (and stream): what the target
        and the SDK find wrong with it, and how deep it is nested.
        """
        source = tolerant(file_input) if file_input else self.default_input
        self._regular_file = regular_file(source)
        try:
            return super().process_lines(source, callbacks)
        except InputError as error:
            raise error.at(self.line_number, self.stream) from error
        except RecordsWithoutSchemaException as error:
            raise RecordBeforeSchema("comes before any SCHEMA of its stream").at(
                self.line_number, self.stream
            ) from error
        except InvalidInputLine as error:
            raise InputError(str(error)).at(self.line_number, self.stream) from error
        except RecursionError as error:
            raise InputError("is nested too deeply to be processed").at(
                self.line_number, self.stream
            ) from error
        except UnicodeDecodeError as error:  # a file opened with strict decoding
            raise InputError(
                f"the input after line {self.line_number} is not valid UTF-8"
            ) from error

"""Reads Singer messages: fast where the input is strict JSON, forgiving where a tap is not.

The SDK's msgspec reader is a third faster than its stock one but refuses two things
Python taps do write: ``NaN``/``Infinity`` (``json.dumps``' default for a float column's NaN)
and lone UTF-16 surrogates. The stock reader accepts both, so refusing them would stop a
pipeline on a line that every other SDK target reads; such lines are read the stock way.
"""

from __future__ import annotations

import msgspec
from singer_sdk.contrib.msgspec import MsgSpecReader, decoder
from singer_sdk.singerlib.encoding import SimpleSingerReader


class SingerReader(MsgSpecReader):
    """msgspec first; the SDK's stock reader for the lines msgspec refuses.

    ``line_number`` is the input line of the message being processed: the SDK hands each
    line to ``deserialize_json`` and processes it before reading the next, so a rejected
    record can be pointed at by its line in the tap's output.
    """

    line_number = 0

    def deserialize_json(self, line: str) -> dict:
        """One message; a line neither reader can parse raises the SDK's InvalidInputLine."""
        self.line_number += 1
        try:
            return decoder.decode(line)
        except msgspec.DecodeError:
            return SimpleSingerReader.deserialize_json(self, line)  # type: ignore[arg-type]

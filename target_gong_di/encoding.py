"""JSON text as the target writes it everywhere: request bodies, dead letters, dry runs.

Records reach the target with the SDK's Python types (``Decimal`` for numbers with a
fraction, ``datetime`` for date-time properties); written back they must read as the tap
wrote them, which the standard library's ``json`` cannot do for ``Decimal``.
"""

from __future__ import annotations

import json
import typing as t

import msgspec

_encode = msgspec.json.Encoder(enc_hook=str, decimal_format="number").encode


def to_json(document: object) -> bytes:
    """Compact UTF-8 JSON, with ``Decimal`` written as the number it was read from.

    Dates and times are written as ISO 8601 and NaN as null. Text that UTF-8 cannot carry
    (a lone surrogate the tap passed through) is written as a JSON escape instead, so a
    record that Gong will refuse can still be dead-lettered.
    """
    try:
        return _encode(document)
    except UnicodeEncodeError:
        return json.dumps(document, separators=(",", ":"), default=str).encode("ascii")


class JsonFunctions:
    """``json`` in mapping expressions: the SDK stream maps' ``json``, for the SDK's types.

    ``json.dumps(record['meta'])`` would fail on the ``Decimal`` and ``datetime`` values the
    SDK gives records; here they are written as above.
    """

    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(value: object, **options: t.Any) -> str:
        """JSON text of ``value``; with ``json.dumps`` options, numbers as text where needed."""
        if options:
            return json.dumps(value, default=str, **options)
        return to_json(value).decode("utf-8")

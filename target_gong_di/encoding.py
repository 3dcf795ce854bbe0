"""JSON text as the target writes it everywhere: request bodies, dead letters, dry runs.

Records reach the target with the SDK's Python types (``Decimal`` for numbers with a
fraction, ``datetime`` for date-time properties); written back they must read as the tap
wrote them, which the standard library's ``json`` cannot do for ``Decimal``.
"""

from __future__ import annotations

import json
import typing as t
import uuid

import msgspec

_encode = msgspec.json.Encoder(enc_hook=str, decimal_format="number").encode
_encode_sorted = msgspec.json.Encoder(enc_hook=str, decimal_format="number", order="sorted").encode


def to_json(document: object) -> bytes:
    """Compact UTF-8 JSON, with ``Decimal`` written as the number it was read from.

    Dates and times are written as ISO 8601 and NaN as null. Text that UTF-8 cannot carry
    (a lone surrogate the tap passed through) is written as a JSON escape instead, so a
    record that Gong will refuse can still be dead-lettered.
    """
    try:
        return _encode(document)
    except UnicodeEncodeError:
        return _encode_with_surrogates(document, _encode)


def to_canonical_json(document: object) -> bytes:
    """``to_json`` with every object's keys sorted: one text per body, whatever its key order.

    What the ledger hashes to tell a changed body from the one Gong already has.
    """
    try:
        return _encode_sorted(document)
    except UnicodeEncodeError:
        return _encode_with_surrogates(document, _encode_sorted)


_MARK = f"surrogate-{uuid.uuid4().hex}-"
"""Stands in for a text msgspec cannot encode; unique, so it cannot clash with real data."""


def _encode_with_surrogates(document: object, encode: t.Callable[[object], bytes]) -> bytes:
    """``to_json`` for a document holding lone surrogates.

    Each such text is swapped for a placeholder, the rest is encoded as usual, then each
    placeholder is replaced by its text's JSON escape, which is valid JSON.
    """
    texts: dict[bytes, bytes] = {}

    def swap(value: t.Any) -> t.Any:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                token = f"{_MARK}{len(texts)}."
                texts[token.encode()] = json.dumps(value)[1:-1].encode("ascii")
                return token
            return value
        if isinstance(value, dict):
            return {swap(key): swap(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [swap(item) for item in value]
        return value

    encoded = encode(swap(document))
    for token, escaped in texts.items():
        encoded = encoded.replace(token, escaped)
    return encoded


class JsonFunctions:
    """``json`` in mapping expressions: the SDK stream maps' ``json``, for the SDK's types.

    ``json.dumps(record['meta'])`` would fail on the ``Decimal`` and ``datetime`` values the
    SDK gives records; here they are written as above.
    """

    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(value: object, **options: t.Any) -> str:
        """JSON text of ``value`` as ``to_json`` writes it.

        Given ``json.dumps`` options (``indent``, ``sort_keys``...), it is ``json.dumps``
        itself, with any other value (``Decimal``, ``datetime``) written as its text.
        """
        if options:
            return json.dumps(value, default=str, **options)
        return to_json(value).decode("utf-8")

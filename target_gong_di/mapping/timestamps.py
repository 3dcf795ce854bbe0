"""Turns the many shapes a tap gives a point in time into one ISO 8601 UTC string.

Taps emit ISO strings with offsets, naive ISO strings, dates, epoch seconds or epoch
milliseconds, and the SDK hands date-time properties over as ``datetime`` objects. Gong
wants an ISO 8601 date-time; sending them all as UTC with a ``Z`` makes bodies comparable
and stable across reruns.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from target_gong_di.exceptions import TimestampError

_EPOCH_MILLIS_ABOVE = 100_000_000_000
"""Epoch numbers above this are milliseconds: as seconds it would be the year 5138."""
_UTC = dt.timezone.utc
_UTC_TEXT = msgspec.to_builtins
"""The RFC 3339 text of a UTC ``datetime``: ``isoformat()`` with ``Z`` for ``+00:00``, byte for
byte (``tests/unit/test_timestamps.py``), in a third of its time: every body has a timestamp."""


def to_utc_iso(value: object) -> str:
    """Normalise ``value`` to ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``; naive values are UTC."""
    if type(value) is dt.datetime and value.tzinfo is not None:  # the SDK's parsed date-time
        try:
            return _UTC_TEXT(value.astimezone(_UTC))
        except OverflowError:
            pass  # said below, as for any other value
    moment = _to_datetime(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    try:
        moment = moment.astimezone(_UTC)
    except OverflowError as error:
        shown = moment.isoformat()
        raise TimestampError(f"{shown!r} falls outside the years 1-9999 in UTC") from error
    return _UTC_TEXT(moment)


def _to_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise TimestampError(f"{value!r} is a boolean, not a point in time")
    if isinstance(value, int | float | Decimal):
        return _from_epoch(float(value))
    if isinstance(value, str):
        return _from_text(value.strip())
    raise TimestampError(f"{value!r} ({type(value).__name__}) is not a point in time")


def _from_epoch(number: float) -> dt.datetime:
    seconds = number / 1000 if abs(number) > _EPOCH_MILLIS_ABOVE else number
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError) as error:
        raise TimestampError(f"{number!r} is out of range as epoch time") from error


def _from_text(text: str) -> dt.datetime:
    """ISO 8601 first, so a basic-format date such as ``20261120`` is not read as epoch."""
    try:
        return dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError as error:
        raise TimestampError(f"{text!r} is not an ISO 8601 date-time or epoch time") from error
    return _from_epoch(number)

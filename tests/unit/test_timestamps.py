"""A body's timestamp text: ``isoformat`` in UTC with ``Z``, byte for byte, however it is made.

``to_utc_iso`` writes the text with msgspec, which is faster than ``isoformat``; a body's
text is part of its hash in the ledger, so a msgspec release that wrote one differently
would make every re-synced event look changed. These tests fail first.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from target_gong_di.mapping.timestamps import to_utc_iso

UTC = dt.timezone.utc
OFFSETS = [
    UTC,
    dt.timezone(dt.timedelta(hours=1)),
    dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
    dt.timezone(dt.timedelta(hours=14)),
    dt.timezone(dt.timedelta(minutes=9, seconds=21)),  # a local mean time, to the second
    dt.timezone(dt.timedelta(hours=2, microseconds=1)),
]
MOMENTS = [
    dt.datetime(2026, 11, 20, 9, 15, 2, microsecond)
    for microsecond in (0, 1, 10, 123_000, 500_000, 999_999)
] + [
    dt.datetime(1, 1, 1, 23, 59, 59),
    dt.datetime(999, 12, 31, 23, 0, 0),
    dt.datetime(1970, 1, 1),
    dt.datetime(9999, 12, 31, 0, 0, 0, 1),
]


def isoformat_in_utc(moment: dt.datetime) -> str:
    """What a body's timestamp text is defined as."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("moment", "offset"),
    list(itertools.product(MOMENTS, OFFSETS)),
    ids=str,
)
def test_an_aware_datetime_is_written_as_isoformat_in_utc(moment, offset):
    aware = moment.replace(tzinfo=offset)
    try:
        expected = isoformat_in_utc(aware)
    except OverflowError:
        pytest.skip("outside the years 1-9999 in UTC")
    assert to_utc_iso(aware) == expected


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_naive_datetime_is_read_as_utc_and_written_as_isoformat(moment):
    assert to_utc_iso(moment) == isoformat_in_utc(moment.replace(tzinfo=UTC))


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_text_with_an_offset_is_written_as_isoformat_in_utc(moment):
    text = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=-3))).isoformat()
    try:
        expected = isoformat_in_utc(dt.datetime.fromisoformat(text))
    except OverflowError:
        pytest.skip("outside the years 1-9999 in UTC")
    assert to_utc_iso(text) == expected


def test_epoch_milliseconds_keep_their_milliseconds():
    assert to_utc_iso(1_714_550_400_123) == "2024-05-01T08:00:00.123000Z"

"""What a sampled property holds, for ``--suggest-mappings``: decided by most of its values.

Real tables hold a few dirty values among many good ones: one ``not-an-email`` among 190
addresses, one ``not a url``, a zero date. A property is what a large majority
(``MAJORITY``) of its non-null sampled values say it is; where the values are split, or
where there are none (a catalog), its name decides. One bad value then no longer hides an
email column or makes a URL column a title.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field

from target_gong_di.mapping import TimestampError, bare_name, to_utc_iso

MAJORITY = 0.9
"""The share of non-null sampled values that decides what a property holds."""
NAME_DECIDES = 0.5
"""Below ``MAJORITY`` but at least this share, a property named for the kind is that kind."""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://\S+$")
DOMAIN = re.compile(r"^(?!https?://)[a-z0-9-]+(\.[a-z0-9-]+)+$", re.IGNORECASE)
EPOCH_SECONDS = (10**9, 10**10)  # 2001-09-09 to 2286-11-20
EPOCH_MILLISECONDS = (10**12, 10**13)

TimeKind = t.Literal["date-time", "epoch", "date"]
TIME_KIND_SCORES: dict[TimeKind, int] = {"date-time": 3, "epoch": 2, "date": 1}
"""A date-time says when the event happened; a date only which day."""


@dataclass
class StreamSample:
    """One stream as the file describes it: properties, key properties, sample records.

    ``table`` is the table the stream reads, without the ``<database>-`` or ``<schema>-``
    that SQL taps put in front of it: the name that stays when the tap or schema changes.
    ``tap_stream_id`` is a catalog entry's own key, which some taps write instead of
    ``name`` in their messages; ``sql_types`` its columns' ``sql-datatype`` metadata, which
    tells a DATE column from a DATETIME where both are ``format: date-time``.
    """

    name: str
    properties: dict[str, t.Any]
    key_properties: tuple[str, ...]
    records: list[dict[str, t.Any]] = field(default_factory=list)
    table: str = ""
    tap_stream_id: str = ""
    sql_types: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.table = self.table or bare_name(self.name)

    def values(self, name: str) -> list[t.Any]:
        """The non-null sample values of a top-level property."""
        return [record[name] for record in self.records if record.get(name) is not None]

    def has_gaps(self, name: str) -> bool:
        """True when a sampled record lacks the property, has it null or empty."""
        return any(record.get(name) in (None, "") for record in self.records)


def types(prop: dict[str, t.Any]) -> set[str]:
    """The JSON types a SCHEMA property allows, null aside (``anyOf`` branches included)."""
    kinds = prop.get("type", [])
    found = {kinds} if isinstance(kinds, str) else set(kinds)
    for option in prop.get("anyOf", []):
        found |= types(option)
    return found - {"null"}


def share(values: list[t.Any], test: t.Callable[[t.Any], bool]) -> float | None:
    """The share of ``values`` that pass ``test``; None when there are no values."""
    if not values:
        return None
    return sum(1 for value in values if test(value)) / len(values)


def decided(fraction: float | None, named: bool) -> bool:
    """A large majority of the values decides; split values or none, the name."""
    if fraction is None:
        return named
    return fraction >= MAJORITY or (named and fraction >= NAME_DECIDES)


def looks_like(sample: StreamSample, name: str, pattern: re.Pattern[str], hint: str) -> bool:
    """A string property whose values mostly match ``pattern`` (or named like ``hint``)."""
    if "string" not in types(sample.properties[name]):
        return False
    fraction = share(sample.values(name), lambda v: isinstance(v, str) and bool(pattern.match(v)))
    return decided(fraction, hint in name.lower())


def _as_time(value: t.Any) -> str | None:
    """ISO dates and date-times, naive ones too (the target reads them as UTC), as UTC text."""
    if not isinstance(value, str) or value.strip().isdigit():
        return None
    try:
        return to_utc_iso(value)
    except TimestampError:
        return None


def _is_time(value: t.Any) -> bool:
    return _as_time(value) is not None


def _is_epoch(value: t.Any) -> bool:
    return isinstance(value, int | float) and any(
        low <= value < high for low, high in (EPOCH_SECONDS, EPOCH_MILLISECONDS)
    )


def _is_day(value: t.Any) -> bool:
    """A date, or a date-time at midnight: how SQL taps send a DATE column."""
    moment = _as_time(value)
    return moment is not None and (len(value.strip()) == 10 or moment.endswith("T00:00:00Z"))


def time_kind(sample: StreamSample, name: str) -> TimeKind | None:
    """What point in time a property holds, if any: by its format and values, else its name."""
    prop = sample.properties[name]
    kinds = types(prop)
    values = sample.values(name)
    if "string" in kinds:
        if prop.get("format") == "date" or sample.sql_types.get(name, "").lower() == "date":
            return "date"
        if prop.get("format") == "date-time" or decided(share(values, _is_time), False):
            fraction = share(values, _is_day)
            return "date" if fraction is not None and fraction >= MAJORITY else "date-time"
    if kinds and kinds <= {"integer", "number"}:
        lowered = name.lower()
        named = lowered.endswith(("_ms", "_epoch", "_at")) or "timestamp" in lowered
        if decided(share(values, _is_epoch), named):
            return "epoch"
    return None


def nullable(prop: dict[str, t.Any]) -> bool:
    """True when the SCHEMA allows null (SQL taps leave it out for NOT NULL columns)."""
    kinds = prop.get("type", [])
    return "null" in ([kinds] if isinstance(kinds, str) else kinds)


def time_coverage(sample: StreamSample, name: str, kind: TimeKind) -> float | None:
    """The share of sampled records whose value is a usable point in time; None with none.

    Nulls and zero dates (``0000-00-00``) leave a body without its timestamp.
    """
    if not sample.records:
        return None
    usable = _is_epoch if kind == "epoch" else _is_time
    return sum(1 for record in sample.records if usable(record.get(name))) / len(sample.records)

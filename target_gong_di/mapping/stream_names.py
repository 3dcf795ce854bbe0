"""Stream names as taps write them, and the mapping entry a user most likely meant.

SQL taps name a stream ``<schema>-<table>`` (``public-feature_usage``), while people write
mappings for the table (``feature_usage``). An unmapped stream's error names the close
match and why they differ, so the fix is one rename instead of a search.
"""

from __future__ import annotations

import difflib
import typing as t

from target_gong_di.mapping.compiler import MappingConfigError
from target_gong_di.mapping.entry_options import EVENT_ID_NAMESPACE


def bare_name(stream_name: str) -> str:
    """The table name of a SQL tap's ``<schema>-<table>`` stream; other names as they are."""
    return stream_name.split("-", 1)[1] if "-" in stream_name else stream_name


def close_match(stream_name: str, mapped: t.Iterable[str]) -> str | None:
    """The mapped stream name a user most likely meant for ``stream_name``, if any."""
    names = list(mapped)
    same_table = [name for name in names if bare_name(name) == bare_name(stream_name)]
    if same_table:
        return same_table[0]
    found = difflib.get_close_matches(stream_name, names, n=1, cutoff=0.8)
    return found[0] if found else None


def unmapped_stream_error(
    stream_name: str, mapped: t.Iterable[str], confirmed: t.Mapping[str, int] | None = None
) -> MappingConfigError:
    """The error for a stream with no entry in ``mappings``, naming its close match.

    ``confirmed`` is the ledger's count of events per stream name: when one is similar,
    the error says how to keep those events' eventIds (``ledger_hint``).
    """
    names = sorted(mapped)
    message = (
        f"stream {stream_name!r} has no entry in mappings (mapped streams: "
        f'{", ".join(names)}); add one, or "passthrough"'
    )
    match = close_match(stream_name, names)
    if match is not None:
        message += f"; did you mean {match!r}? Rename that entry to {stream_name!r}"
        if bare_name(stream_name) != stream_name or bare_name(match) != match:
            message += (
                f" (SQL taps prefix the schema: table {bare_name(stream_name)!r} is "
                f"stream {stream_name!r})"
            )
    return MappingConfigError(message + ledger_hint(stream_name, confirmed or {}))


def ledger_hint(stream_name: str, confirmed: t.Mapping[str, int]) -> str:
    """What keeps the eventIds of events the ledger confirmed under a similar stream name.

    A new stream name (a tap variant, a schema move, an alias) derives new eventIds, and
    every row would reach Gong a second time; the similar name with the most events is
    named, with the namespace that keeps its eventIds. '' when none is similar.
    """
    if confirmed.get(stream_name):
        return (
            f"; the ledger holds {_events(confirmed[stream_name])} confirmed under this "
            f"stream; to keep their eventIds give it the {EVENT_ID_NAMESPACE} its former "
            "entry had, if any"
        )
    by_count = sorted(confirmed, key=lambda name: -confirmed[name])
    similar = close_match(stream_name, by_count)
    if similar is None:
        return ""
    return (
        f"; the ledger holds {_events(confirmed[similar])} confirmed under stream "
        f"{similar!r}; to keep their eventIds map this stream with "
        f'"{EVENT_ID_NAMESPACE}": "{similar}" (or the namespace that entry used)'
    )


def _events(count: int) -> str:
    return f"{count:,} event" if count == 1 else f"{count:,} events"

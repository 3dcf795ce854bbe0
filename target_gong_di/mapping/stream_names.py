"""Stream names as taps write them, and the mapping entry a user most likely meant.

SQL taps disagree on what a table's stream is called: MeltanoLabs' tap-postgres and the
pipelinewise taps write ``<schema>-<table>`` or ``<database>-<table>``
(``public-feature_usage``, ``shop-nps_answers``), singer-io's tap-mysql the bare table
(``nps_answers``) although its catalog's ``tap_stream_id`` has the prefix, and people write
mappings for the table. An unmapped stream's error names the close match and which way
the names differ, so the fix is one rename instead of a search.
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


def _prefix(stream_name: str) -> str:
    """``shop-`` of ``shop-nps_answers``; empty for a bare name."""
    return stream_name[: -len(bare_name(stream_name))] if "-" in stream_name else ""


def _why_they_differ(stream_name: str, entry: str) -> str:
    """Which way a stream's name and the entry meant for the same table differ, if they do."""
    table = bare_name(stream_name)
    if bare_name(entry) != table:
        return ""
    if _prefix(stream_name) and not _prefix(entry):
        return (
            f" (this tap puts the table's database or schema in front: table {table!r} "
            f"is stream {stream_name!r})"
        )
    if _prefix(entry) and not _prefix(stream_name):
        return (
            f" (this tap names the stream by its bare table name, without the "
            f"{_prefix(entry)!r} a catalog's tap_stream_id puts in front)"
        )
    return f" (the same table {table!r} under another database or schema)"


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
        message += _why_they_differ(stream_name, match)
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

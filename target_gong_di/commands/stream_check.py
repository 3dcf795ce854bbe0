"""``--validate-config --input``: every stream of a catalog or a tap's sample, checked at once.

Run as a pipeline, the target stops at the first stream it cannot map, so a user fixing
three stream names learns of them one run at a time. Here each stream in the input is
compiled against its mapping before any record is read, and every problem is reported, as
is each mapping entry that no stream in the input uses.
"""

from __future__ import annotations

import typing as t

from target_gong_di.commands.suggest import StreamSample
from target_gong_di.mapping import (
    MappingConfigError,
    StreamSchema,
    compile_stream_mapping,
    unmapped_stream_error,
)

if t.TYPE_CHECKING:
    from target_gong_di.settings import Settings

DROPPED = (None, "__NULL__")
"""``stream_maps`` values that remove a stream: it needs no mapping."""
ALIAS = "__alias__"
"""The ``stream_maps`` key that renames a stream: its mapping entry is under the alias."""


def stream_errors(
    streams: list[StreamSample],
    settings: Settings,
    stream_maps: t.Mapping[str, t.Any],
    confirmed: t.Callable[[], t.Mapping[str, int]],
) -> list[str]:
    """One line per stream that has no mapping or whose mapping does not fit its SCHEMA.

    ``confirmed`` reads the ledger's events per stream name, only once a stream is unmapped.
    """
    errors = []
    for stream in streams:
        if stream.name in stream_maps and stream_maps[stream.name] in DROPPED:
            continue
        try:
            if stream.name not in settings.mappings:
                raise unmapped_stream_error(stream.name, settings.mappings, confirmed())
            compile_stream_mapping(
                stream.name,
                settings.mappings[stream.name],
                StreamSchema(stream.properties, stream.key_properties),
            )
        except MappingConfigError as error:
            errors.append(str(error))
    return errors


def unused_entries(
    streams: list[StreamSample], settings: Settings, stream_maps: t.Mapping[str, t.Any]
) -> list[str]:
    """One line per mapping entry no stream of the input uses, by its name or its alias.

    A misspelled or stale entry is otherwise silent: its stream's records are refused as
    unmapped, or the entry simply waits for a stream that never comes.
    """
    names = {stream.name for stream in streams}
    names |= {
        stream_maps[name][ALIAS]
        for name in names
        if isinstance(stream_maps.get(name), dict) and ALIAS in stream_maps[name]
    }
    shown = ", ".join(sorted(names)) or "none"
    return [
        f"mappings: no stream in the input uses the entry {name!r} (streams in the input: "
        f"{shown}); is it misspelled, or is its stream missing from this input?"
        for name in settings.mappings
        if name not in names
    ]

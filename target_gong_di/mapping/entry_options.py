"""A mapping entry's options: its dunder keys, told apart from the body it describes.

A mapping entry is shaped like the body, but a key written ``__like_this__`` (as SDK stream
maps write ``__alias__``) is an option of the entry, never a body field. The one option is
``__event_id_namespace__``: the name derived eventIds are built from instead of the stream
name, so the same row keeps its eventId when a tap variant, a schema move or an alias
renames its stream. Any other dunder key is refused by name, so a misspelled option cannot
silently fall back to the stream name and send every event again.
"""

from __future__ import annotations

import typing as t

from target_gong_di.mapping.expressions import MappingConfigError

EVENT_ID_NAMESPACE = "__event_id_namespace__"
OPTIONS = (EVENT_ID_NAMESPACE,)
"""Every option a mapping entry may carry."""


def is_option_key(key: str) -> bool:
    """Whether ``key`` is written like an option (``__name__``) rather than a body field."""
    return len(key) > 4 and key.startswith("__") and key.endswith("__")


def split_options(stream_name: str, spec: dict[str, t.Any]) -> tuple[dict[str, t.Any], str]:
    """The entry's body part, and the namespace its derived eventIds are built from.

    The namespace is the stream name unless ``__event_id_namespace__`` sets it; raises
    MappingConfigError naming an unknown option or a namespace that is not a name.
    """
    body = {key: value for key, value in spec.items() if not is_option_key(key)}
    unknown = sorted(key for key in spec.keys() - body.keys() if key not in OPTIONS)
    if unknown:
        raise MappingConfigError(
            f"stream {stream_name!r}: {unknown[0]!r} is not an option of a mapping entry "
            f"(options: {', '.join(OPTIONS)}); SDK stream maps such as __alias__ go in "
            "stream_maps"
        )
    namespace = spec.get(EVENT_ID_NAMESPACE, stream_name)
    if not isinstance(namespace, str) or not namespace.strip():
        raise MappingConfigError(
            f"stream {stream_name!r}: {EVENT_ID_NAMESPACE} must be a non-empty name, such "
            f"as the stream name the events were first sent under, not {namespace!r}"
        )
    return body, namespace

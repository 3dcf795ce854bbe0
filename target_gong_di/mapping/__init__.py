"""From a record to a body: a stream's mapping compiled once, applied to each record.

Owns the expression language (``expressions``), the mapping compiler (``compiler``), the
conversion of values to what the API wants (``conversion``, ``timestamps``) and how taps
name streams (``stream_names``). Imports ``validation`` (the body's contract) and the base
modules; nothing here sends, stores or writes anything.
"""

from target_gong_di.mapping.compiler import (
    PASSTHROUGH,
    MappingConfigError,
    RecordMappingError,
    StreamSchema,
    check_mapping,
    compile_stream_mapping,
)
from target_gong_di.mapping.entry_options import EVENT_ID_NAMESPACE
from target_gong_di.mapping.expressions import without_secrets
from target_gong_di.mapping.stream_names import bare_name, unmapped_stream_error
from target_gong_di.mapping.timestamps import TimestampError, to_utc_iso

__all__ = [
    "EVENT_ID_NAMESPACE",
    "PASSTHROUGH",
    "MappingConfigError",
    "RecordMappingError",
    "StreamSchema",
    "TimestampError",
    "bare_name",
    "check_mapping",
    "compile_stream_mapping",
    "to_utc_iso",
    "unmapped_stream_error",
    "without_secrets",
]

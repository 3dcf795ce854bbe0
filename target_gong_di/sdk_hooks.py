"""Every private singer-sdk method the target overrides, in one place, each for one reason.

singer-sdk 0.54 has no public hook for these; ``tests/unit/test_sdk_hooks.py`` is the canary that
fails, naming the SDK version, if an upgrade changes the calls they rely on. Each override
only hands over to a public method of the target or sink, where the behaviour lives.

- A record reaches ``Sink.process_record`` as the tap sent it: the SDK's own schema check
  would stop the run on an invalid record, its key-property check on a missing key, and
  its date parsing would null or crash on dates it cannot read. The target dead-letters
  such records instead, so ``StreamEvents.accept`` checks and parses them itself.
- STATE goes to the ``Checkpoints`` watermark, not to the SDK's "latest state" that it
  writes after a drain: the ``StateWriter`` is the one writer of stdout.
- SIGTERM and SIGINT stop delivery and checkpoint instead of draining everything, which at
  Gong's rate could take longer than an orchestrator waits.
- Which properties are dates is decided as the SDK decides it, by its private
  ``get_datelike_property_type``, so the target parses exactly the values the SDK would.
- ``listen`` (final in the SDK) runs inside ``delivering``: delivery and STATE forwarding
  are open for exactly as long as the target reads, and a stop is checkpointed however
  the run is started (``invoke`` or a test calling ``listen``).
- Two SDK log lines say nothing a user can act on (``QuietSdkLines``): the target ignores
  every ACTIVATE_VERSION by design, and "Skipping parse of env var settings" is logged
  once per target built, twice by ``--validate-config --input``. They are matched by the
  SDK's exact format strings.
- A RECORD of a stream that no stream map changes goes straight to its raw sink's
  ``process_record``, with only the SDK's steps that do something for such a sink
  (``RECORD_STEPS``): the SDK's own path copies the record, looks its sink up twice,
  validates and parses nothing (``get_validator`` is None, dates are parsed later) and
  asks whether a sink that holds no records is full, for about a third of a dry run's time.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import typing as t

from singer_sdk import Target
from singer_sdk.helpers._typing import get_datelike_property_type
from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.sinks import BatchSink, Sink

if t.TYPE_CHECKING:
    from types import FrameType

VERIFIED_SDK = "0.54"
"""The singer-sdk release line these overrides were checked against."""


def datelike_type(property_schema: dict[str, t.Any]) -> str | None:
    """``date-time``, ``date`` or ``time`` when the SDK parses this property as such."""
    return get_datelike_property_type(property_schema)


QUIET_SDK_MESSAGES = frozenset(
    {
        "`ACTIVATE_VERSION` messages are not enabled for '%s'. Ignoring.",
        "Skipping parse of env var settings...",
    }
)
"""The SDK's format strings (``target_base``, ``plugin_base``) of the lines not shown."""


class QuietSdkLines(logging.Filter):
    """Drops exactly the SDK's log lines in ``QUIET_SDK_MESSAGES``; every other line passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a record logged with one of those format strings."""
        return record.msg not in QUIET_SDK_MESSAGES


def quiet_sdk_lines(logger: logging.Logger) -> None:
    """Keep the SDK's lines in ``QUIET_SDK_MESSAGES`` out of ``logger`` (the plugin's own)."""
    if not any(isinstance(existing, QuietSdkLines) for existing in logger.filters):
        logger.addFilter(QuietSdkLines())


RECORD_STEPS = (
    ("_assert_line_requires", "kept: a RECORD without stream or record takes the SDK's path"),
    ("_assert_sink_exists", "kept: a stream with no SCHEMA takes the SDK's path"),
    ("copy", "skipped: one stream map, so no other map reads the record"),
    ("transform", "skipped: the stream's one map is the identity (no stream map, no flattening)"),
    ("_assert_sink_exists", "kept: the stream has a sink, or the SDK's path raises"),
    ("get_sink", "skipped: the active sink, found once"),
    ("_get_context", "kept"),
    ("_add_sdc_metadata_to_record", "kept: with add_record_metadata the SDK's path is taken"),
    ("_remove_sdc_metadata_from_record", "kept for a record with any of SDC_METADATA"),
    ("_validate_and_parse", "skipped: no validator and no date parsing (RawRecordSink)"),
    ("preprocess_record", "skipped unless a sink overrides it: the Sink's own returns the record"),
    ("_singer_validate_message", "skipped: RawRecordSink's does nothing"),
    ("tally_record_read", "kept"),
    ("process_record", "kept"),
    ("increment", "kept: the SDK's record_count metric"),
    ("_after_process_record", "kept where it logs (DEBUG)"),
    ("info", "skipped with drain_one: a sink that holds no records is never full"),
    ("drain_one", "skipped: as above"),
    ("_handle_max_record_age", "kept"),
)
"""What the SDK's ``Target._process_record_message`` calls, in order, and what
``StateAndSignalTarget`` does with each on its raw path; ``tests/unit/test_sdk_hooks.py``
fails when the SDK's calls are no longer these."""


SDC_METADATA = frozenset(
    {
        "_sdc_extracted_at",
        "_sdc_received_at",
        "_sdc_batched_at",
        "_sdc_deleted_at",
        "_sdc_sequence",
        "_sdc_table_version",
        "_sdc_sync_started_at",
    }
)
"""What ``Sink._remove_sdc_metadata_from_record`` takes out of a record: a record with none
of them (most) skips its seven ``pop`` calls."""


class RawRecordSink(BatchSink):
    """A sink whose ``process_record`` gets each record unchecked and unparsed."""

    holds_records = True
    """False for a sink whose ``process_record`` keeps nothing to drain (never full)."""

    def _parse_timestamps_in_record(
        self, record: dict, schema: dict, treatment: DatetimeErrorTreatmentEnum
    ) -> None:
        """Dates are parsed in ``process_record``, after the record has been checked."""

    def _singer_validate_message(self, record: dict) -> None:
        """Missing key properties dead-letter the record in ``process_record``."""


class _RawRoute(t.NamedTuple):
    """A stream whose records may skip the SDK's per-record steps, and its sink."""

    maps: list[t.Any]
    sink: Sink
    raw: bool
    logs_each: bool


class StateAndSignalTarget(Target):
    """A target that hands STATE messages and stop signals to public methods."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """The SDK's target, with no stream's raw route worked out yet."""
        self._raw_routes: dict[str, _RawRoute] = {}
        super().__init__(*args, **kwargs)

    def _process_record_message(self, message_dict: dict) -> None:
        """A record of a stream no stream map changes goes to its raw sink (``RECORD_STEPS``)."""
        record = message_dict.get("record")
        route = self._raw_route(message_dict.get("stream")) if record is not None else None
        if route is None or not route.raw or not isinstance(record, dict):
            super()._process_record_message(message_dict)
            return
        sink = route.sink
        context = sink._get_context(record)
        if not SDC_METADATA.isdisjoint(record):
            sink._remove_sdc_metadata_from_record(record)
        sink.tally_record_read()
        sink.process_record(record, context)
        sink.record_counter_metric.increment()
        if route.logs_each:
            sink._after_process_record(context)
        self._handle_max_record_age()

    def _raw_route(self, stream_name: t.Any) -> _RawRoute | None:
        """The stream's route, worked out again whenever its maps or its sink change."""
        routes = self._raw_routes
        maps = self.mapper.stream_maps.get(stream_name)
        sink = self._sinks_active.get(stream_name)
        if maps is None or sink is None:
            return None
        route = routes.get(stream_name)
        if route is None or route.maps is not maps or route.sink is not sink:
            route = routes[stream_name] = _RawRoute(
                maps, sink, _takes_raw_records(stream_name, maps, sink), _logs_each(sink)
            )
        return route

    def listen(self, file_input: t.IO[str] | None = None) -> None:  # type: ignore[misc]
        """Read and deliver everything, inside ``delivering``."""
        with self.delivering():
            super().listen(file_input)

    def _process_state_message(self, message_dict: dict) -> None:
        self._assert_line_requires(message_dict, requires={"value"})
        self.state_received(message_dict["value"])

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested(signum)

    @abc.abstractmethod
    def delivering(self) -> contextlib.AbstractContextManager[None]:
        """Delivery is open while this context is; a stop inside it is checkpointed."""

    @abc.abstractmethod
    def state_received(self, state: dict[str, t.Any]) -> None:
        """A STATE message arrived after every record read so far."""

    @abc.abstractmethod
    def stop_requested(self, signum: int) -> None:
        """SIGTERM or SIGINT arrived (runs in the main thread, as a signal handler)."""


def _takes_raw_records(stream_name: str, maps: list[t.Any], sink: Sink) -> bool:
    """True when every step ``RECORD_STEPS`` skips would do nothing for this stream."""
    sink_class = type(sink)
    return (
        len(maps) == 1
        and type(maps[0]) is SameRecordTransform
        and not maps[0].flattening_enabled
        and maps[0].stream_alias == stream_name
        and isinstance(sink, RawRecordSink)
        and not sink.holds_records
        and sink._validator is None
        and not sink.include_sdc_metadata_properties
        and sink_class.preprocess_record is Sink.preprocess_record
        and sink_class._singer_validate_message is RawRecordSink._singer_validate_message
        and sink_class._parse_timestamps_in_record is RawRecordSink._parse_timestamps_in_record
    )


def _logs_each(sink: Sink) -> bool:
    """True when the SDK's after-record hook would do something: log at DEBUG, or more."""
    if type(sink)._after_process_record is not Sink._after_process_record:
        return True
    return sink.logger.isEnabledFor(logging.DEBUG)

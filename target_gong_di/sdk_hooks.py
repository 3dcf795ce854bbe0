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
"""

from __future__ import annotations

import abc
import contextlib
import logging
import typing as t

from singer_sdk import Target
from singer_sdk.helpers._typing import get_datelike_property_type
from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
from singer_sdk.sinks import BatchSink

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


class RawRecordSink(BatchSink):
    """A sink whose ``process_record`` gets each record unchecked and unparsed."""

    def _parse_timestamps_in_record(
        self, record: dict, schema: dict, treatment: DatetimeErrorTreatmentEnum
    ) -> None:
        """Dates are parsed in ``process_record``, after the record has been checked."""

    def _singer_validate_message(self, record: dict) -> None:
        """Missing key properties dead-letter the record in ``process_record``."""


class StateAndSignalTarget(Target):
    """A target that hands STATE messages and stop signals to public methods."""

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

"""The SDK's side of a stream: hands each record to its ``StreamEvents`` as it is read.

Gong takes one event per request, so records never wait in a batch: ``process_record``
sends (or dead-letters) each one at once and ``current_size`` stays 0, so the SDK never
drains. The sink is a ``BatchSink`` only because the SDK hands a tap's BATCH messages'
records to ``process_batch``; they take the same path, one by one.
"""

from __future__ import annotations

import typing as t

from target_gong_di.exceptions import GongDIError, InputError
from target_gong_di.run import StreamEvents
from target_gong_di.sdk_hooks import RawRecordSink

if t.TYPE_CHECKING:
    from singer_sdk.helpers._batch import BaseBatchFileEncoding

    from target_gong_di.target import TargetGongDI


class GongDISink(RawRecordSink):
    """Turns a stream's records into digital interactions, each as soon as it is read."""

    holds_records = False

    def __init__(
        self,
        target: TargetGongDI,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        super().__init__(target, stream_name, schema, key_properties)
        self._input = target.lifecycle.input
        self.events = StreamEvents(
            target.lifecycle.open_run(),
            stream_name,
            schema,
            tuple(key_properties or ()),
            self.logger,
            check_schema=self.validate_schema,
        )
        # The stream's records that earlier runs could not deliver, sent again first.
        self.events.retry_pending()

    @property
    def current_size(self) -> int:
        """Always 0: no record is held back, so the SDK has nothing to drain."""
        return 0

    @property
    def process_activate_version_messages(self) -> bool:
        """Never: Gong's interactions are append-only events, with no table version to swap."""
        return False

    def get_validator(self) -> None:
        """None: ``StreamEvents`` checks each record and dead-letters it instead of stopping."""

    def process_record(self, record: dict, context: dict) -> None:
        """Send the record's body now, or dead-letter it."""
        self.events.accept(record)

    def process_batch_files(self, encoding: BaseBatchFileEncoding, files: t.Sequence[str]) -> None:
        """Read a BATCH message's files one by one, so one that cannot be read is named.

        Missing, not JSON Lines, not gzip: the run stops at the BATCH's line, naming the file.
        Meanwhile the progress line knows what remains of the BATCH (``BatchManifest``).
        """
        with self._input.reading_batch(files):
            for file in files:
                try:
                    super().process_batch_files(encoding, [file])
                except GongDIError:
                    raise  # the target's own verdict on a record, a stop: already one line
                except (OSError, ValueError) as error:
                    reason = getattr(error, "strerror", None) or str(error)
                    raise InputError(f"BATCH file {file} cannot be read: {reason}") from error

    def process_batch(self, context: dict) -> None:
        """A BATCH message's records, read from its files, go the same way as RECORDs."""
        records = context.get("records", ())
        self._input.batch_file_loaded(len(records))
        for record in records:
            self.events.accept(record)


class DroppedStreamSink(RawRecordSink):
    """For a stream that ``stream_maps`` removes (``null`` or ``__NULL__``).

    The SDK still opens a sink for it, but filters its records out before any sink sees
    them; such a stream needs no entry in ``mappings``.
    """

    def get_validator(self) -> None:
        """Nothing is checked: no record of this stream is kept."""

    def process_batch(self, context: dict) -> None:
        """A BATCH message's records for this stream are dropped, as its RECORDs are."""

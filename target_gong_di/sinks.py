"""One sink per stream: record → body → validated → batched → delivered or dead-lettered.

The SDK calls ``process_record`` for each record as it is read and ``process_batch`` when
the target drains. Everything that can be decided without Gong (schema, mapping,
validation) is decided per record, so a batch holds only bodies that may be sent.
"""

from __future__ import annotations

import typing as t

from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
from singer_sdk.sinks import BatchSink

from target_gong_di.jsonlines import dead_letter
from target_gong_di.mapping import (
    RecordMappingError,
    StreamSchema,
    compile_stream_mapping,
)
from target_gong_di.record_check import RecordCheck, date_parsers, parse_dates
from target_gong_di.stream_names import unmapped_stream_error
from target_gong_di.validation import body_errors

if t.TYPE_CHECKING:
    from target_gong_di.delivery import Outcome
    from target_gong_di.target import TargetGongDI

Event = tuple[int, dict, dict]
"""A record ready to send: its number in the run, the record, and its body."""


class GongDISink(BatchSink):
    """Turns a stream's records into digital interactions and delivers them in batches."""

    fail_on_record_validation_exception = False

    def __init__(
        self,
        target: TargetGongDI,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        super().__init__(target, stream_name, schema, key_properties)
        settings = target.settings
        if stream_name not in settings.mappings:
            raise unmapped_stream_error(stream_name, settings.mappings)
        self.mapping = compile_stream_mapping(
            stream_name,
            settings.mappings[stream_name],
            StreamSchema(schema.get("properties", {}), tuple(key_properties or ())),
            source_system_name=settings.source_system_name,
            expression_config=target.expression_config,
        )
        self._date_parsers = date_parsers(schema.get("properties", {}))
        self._client = target.client
        self._dead_letters = target.dead_letters
        self._dry_run_file = target.dry_run_file
        self._checkpoints = target.checkpoints
        self.counts = target.report.counts_for(stream_name)
        self._report = target.report
        self._run_id = target.run_id
        self._reader = target.message_reader
        self._lines: dict[int, int] = {}
        """Input line of each record waiting in the batch, for a later API rejection."""

    @property
    def is_full(self) -> bool:
        """Never: the target drains all sinks together so STATE follows every batch."""
        return False

    @property
    def process_activate_version_messages(self) -> bool:
        """Never: Gong's interactions are append-only events, with no table version to swap."""
        return False

    def _parse_timestamps_in_record(
        self, record: dict, schema: dict, treatment: DatetimeErrorTreatmentEnum
    ) -> None:
        """Parse dates as the SDK does, keeping values that do not parse (see parse_dates).

        The SDK passes ``schema`` and ``treatment`` by keyword; the parsers were worked out
        from the schema once, and no value is ever replaced, so neither is needed here. (The
        SDK's "No schema for record field" warning goes too: a mapping may only name
        properties in the SCHEMA, so unknown fields are never read.)
        """
        del schema, treatment
        parse_dates(record, self._date_parsers)

    def get_validator(self) -> RecordCheck | None:
        """Check records against the SCHEMA without stopping the run on failures."""
        self._record_check = (
            RecordCheck(self.stream_name, self.schema, self.key_properties)
            if self.validate_schema
            else None
        )
        return self._record_check

    def preprocess_record(self, record: dict, context: dict) -> dict:
        """Let a rejected record through the SDK's key-property check to be dead-lettered.

        The SDK stops the run when a record lacks a key property; ``RecordCheck`` has already
        kept such a record as received, so its missing keys are filled with None here.
        """
        if self._record_check is not None and self._record_check.has_rejection:
            return {**dict.fromkeys(self.key_properties), **record}
        return record

    def process_record(self, record: dict, context: dict) -> None:
        """Build and validate the body now; keep it for the batch or dead-letter it."""
        number = self._checkpoints.record_received()
        rejection = self._record_check.take_rejection() if self._record_check else None
        if rejection is not None:
            self._reject(number, rejection.record, "schema", rejection.errors)
            return
        try:
            body = self.mapping.build(record)
        except RecordMappingError as error:
            self._reject(number, record, "mapping", [str(error)])
            return
        errors = body_errors(body)
        if errors:
            self._reject(number, record, "validation", errors, body=body)
            return
        self._lines[number] = self._reader.line_number
        context.setdefault("events", []).append((number, record, body))

    def process_batch(self, context: dict) -> None:
        """Deliver the batch; return only when every event in it is settled.

        A tap's BATCH message arrives here too, as ``records`` read from its files and not yet
        checked or parsed: each goes through the same steps as a RECORD message's record.
        """
        if "records" in context:
            context = self._events_of_batch_file(context["records"])
        events: list[Event] = context.get("events", [])
        if self._client is None:
            self._dry_run_file.append(*(body for _, _, body in events))
            self._checkpoints.settled(*(number for number, _, _ in events))
            self.counts.add("dry_run_written", len(events))
            self._dry_run_file.sync()
        elif events:

            def settle(index: int, outcome: Outcome) -> None:
                number, record, body = events[index]
                self.counts.count(outcome)
                if outcome.status == "rejected":
                    errors = list(outcome.errors)
                    self._reject(
                        number, record, "api", errors, body=body, request_id=outcome.request_id
                    )
                else:
                    self._checkpoints.settled(number)

            self._client.send_all([body for _, _, body in events], settle)
        for number, _, _ in events:
            self._lines.pop(number, None)
        self._dead_letters.sync()

    def _events_of_batch_file(self, records: list[dict]) -> dict:
        context: dict = {}
        for record in records:
            parsed = self._validate_and_parse(record)
            self.process_record(self.preprocess_record(parsed, context), context)
        return context

    def _reject(
        self, number: int, record: dict, stage: str, errors: list[str], **extra: t.Any
    ) -> None:
        key = {name: record.get(name) for name in self.key_properties}
        line = self._lines.pop(number, None) or self._reader.line_number
        self._dead_letters.append(
            dead_letter(
                stream=self.stream_name,
                record=record,
                stage=stage,
                errors=errors,
                run_id=self._run_id,
                key=key,
                line=line,
                **extra,
            )
        )
        self._checkpoints.settled(number)
        self.counts.add("dead_lettered")
        self._report.rejected(self.stream_name, stage, errors, key, line)


class DroppedStreamSink(BatchSink):
    """For a stream that ``stream_maps`` removes (``null`` or ``__NULL__``).

    The SDK still opens a sink for it, but filters its records out before any sink sees
    them; such a stream needs no entry in ``mappings``.
    """

    def get_validator(self) -> None:
        """Nothing is checked: no record of this stream is kept."""

    def process_batch(self, context: dict) -> None:
        """A BATCH message's records for this stream are dropped, as its RECORDs are."""

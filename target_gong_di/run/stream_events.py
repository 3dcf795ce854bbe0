"""One stream's records become events: checked, mapped, validated, then sent or dead-lettered.

``StreamEvents.accept`` reads top to bottom as the life of a record: it is numbered, checked
against its stream's SCHEMA (and key properties), its dates parsed, its body built and
validated; a body that may be sent goes to the delivery pipeline at once (or to the dry-run
file), anything else is kept pending in the ledger and, unless it was pending for the same
reason already, written to the dead-letter file. ``settle`` hears how a sent event ended;
``retry`` sends a pending record of an earlier run again, through the same steps. What it
needs from the run comes in one ``RunContext``, so it can be built on its own.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

from target_gong_di.delivery import Event, Outcome
from target_gong_di.encoding import to_json
from target_gong_di.exceptions import TooManyRejected
from target_gong_di.ledger import API_STAGE, Rejection, body_hash
from target_gong_di.mapping import (
    RecordMappingError,
    StreamSchema,
    compile_stream_mapping,
    unmapped_stream_error,
)
from target_gong_di.run.dead_letters import dead_letter
from target_gong_di.run.pending_retry import refused_unchanged
from target_gong_di.run.report import records
from target_gong_di.validation import (
    RecordCheck,
    association_warnings,
    body_size_errors,
    date_parsers,
    iso_datetime,
    mapped_body_errors,
    parse_dates,
    usable_draft,
)

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.delivery import DeliveryPipeline
    from target_gong_di.ledger import DeliveryLedger, PendingRecord
    from target_gong_di.run.checkpoints import Checkpoints
    from target_gong_di.run.dry_run import DryRunOutput
    from target_gong_di.run.files import JsonLinesFile
    from target_gong_di.run.pending_retry import PendingRetries, RetriedRecord
    from target_gong_di.run.report import RunReport
    from target_gong_di.settings import Settings


class Refusal(t.NamedTuple):
    """Why a record builds no body that may be sent: the stage, the errors, the body if any."""

    stage: str
    errors: list[str]
    body: dict[str, t.Any] | None = None

    @property
    def extra(self) -> dict[str, t.Any]:
        """What the dead-letter line adds: the body, when one was built."""
        return {} if self.body is None else {"body": self.body}


@dataclass(frozen=True)
class RunContext:
    """What every stream shares in one run: settings, ledgers, files and the pipeline."""

    settings: Settings
    checkpoints: Checkpoints
    dead_letters: JsonLinesFile
    dry_run: DryRunOutput
    report: RunReport
    ledger: DeliveryLedger
    pipeline: DeliveryPipeline | None
    """None in a dry run: bodies go to ``dry_run`` instead."""
    expression_config: dict[str, t.Any]
    """What ``config`` means in expressions (``stream_map_config`` and non-secret settings)."""
    run_id: str
    """Tells this run's dead letters from other runs' in the same file."""
    input_line: t.Callable[[], int]
    """The input line of the message being read, to point at a rejected record."""
    send_sample: int | None = None
    """``--send-sample N``: each delivered event is logged, and once the pipeline has sent N
    the rest of the input is only read (no body built, nothing dead-lettered), as it is once
    the day's requests are spent with ``on_daily_limit: finish``."""
    skip_before: dt.datetime | None = None
    """``skip_events_before`` as a moment: a body whose timestamp is earlier is not sent."""
    pending: PendingRetries | None = None
    """Rejected records kept in the ledger and retried (``pending_retry``); None keeps none."""


class StreamEvents:
    """Turns one stream's records into events, under one SCHEMA."""

    def __init__(
        self,
        run: RunContext,
        stream_name: str,
        schema: dict[str, t.Any],
        key_properties: t.Sequence[str],
        logger: logging.Logger,
        *,
        check_schema: bool = True,
    ) -> None:
        settings = run.settings
        if stream_name not in settings.mappings:
            raise unmapped_stream_error(
                stream_name, settings.mappings, run.ledger.events_per_stream()
            )
        # The SCHEMA itself first: a mapping cannot be judged against an unusable one.
        draft = usable_draft(stream_name, schema, check_schema=check_schema)
        properties = schema.get("properties", {})
        self.stream_name = stream_name
        self.mapping = compile_stream_mapping(
            stream_name,
            settings.mappings[stream_name],
            StreamSchema(properties, tuple(key_properties)),
            source_system_name=settings.source_system_name,
            expression_config=run.expression_config,
        )
        # Only what the mapping reads reaches Gong: only that is checked and its dates parsed.
        reads = self.mapping.reads
        self._check = RecordCheck(
            schema, key_properties, draft, checked=reads, check_schema=check_schema
        )
        self.key_properties = tuple(key_properties)
        self.schema = schema
        self._date_parsers = date_parsers(properties, reads)
        self._run = run
        self._logger = logger
        self.counts = run.report.counts_for(stream_name)

    def retry_pending(self) -> None:
        """Send again the stream's records that earlier runs could not deliver."""
        if self._run.pending is not None:
            self._run.pending.retry(self)

    def accept(self, record: dict[str, t.Any]) -> None:
        """Take one record as the tap sent it: send its body, or dead-letter it."""
        number = self._run.checkpoints.record_received()
        self.counts.add("received")
        if self._run.pipeline is not None and self._run.pipeline.sends_nothing_more:
            # The sample is sent, or the day's requests are: a later run sends this record.
            return
        line = self._run.input_line()
        built = self._body(number, line, record)
        if built is None:
            self._check_rejections()
            return
        body, payload = built
        if self._too_old(body):
            # Settled without a request, a dead letter or a ledger entry: it was not wanted.
            self.counts.add("too_old")
            self._run.checkpoints.settled(number)
            return
        if self._run.pipeline is None:
            self._run.dry_run.add(number, body, self.counts, payload)
        else:
            event = Event(number, record, body, payload, self, line, hash=body_hash(body))
            self._run.pipeline.submit(event)

    def _body(
        self, number: int, line: int, record: dict[str, t.Any]
    ) -> tuple[dict[str, t.Any], bytes] | None:
        """The record's valid body and its encoding; None once the record is dead-lettered."""
        built = self._build(record)
        if isinstance(built, Refusal):
            self._reject(number, line, record, built.stage, built.errors, **built.extra)
            return None
        for field_name, problem, example in association_warnings(built[0]):
            self._run.report.value_warning(self.stream_name, field_name, problem, example)
        return built

    def _build(self, record: dict[str, t.Any]) -> tuple[dict[str, t.Any], bytes] | Refusal:
        """The record's valid body and its encoding, or why there is none.

        Its dates are parsed in place.
        """
        errors = self._check.errors(record)
        if errors:
            return Refusal("schema", errors)
        parse_dates(record, self._date_parsers)
        try:
            body, passed = self.mapping.build_checked(record)
        except RecordMappingError as error:
            return Refusal("mapping", [str(error)])
        payload = to_json(body)
        errors = mapped_body_errors(body, passed=passed) + body_size_errors(
            payload, self._run.settings.max_body_bytes
        )
        if errors:
            return Refusal("validation", errors, body)
        return body, payload

    def _too_old(self, body: dict[str, t.Any]) -> bool:
        """Whether the valid ``body``'s timestamp is before ``skip_events_before``."""
        horizon = self._run.skip_before
        if horizon is None:
            return False
        moment = iso_datetime(body["timestamp"])
        return moment is not None and moment < horizon  # a valid body always has one

    def retry(self, pending: PendingRecord, owner: RetriedRecord) -> None:
        """Send a pending record again, rebuilt with today's config; ``owner`` settles it.

        Not numbered: no STATE waits for it. A body Gong refused (400) is not sent again
        until it has changed.
        """
        record = pending.record()
        built = self._build(record)
        if isinstance(built, Refusal):
            owner.failed(record, built.stage, built.errors, **built.extra)
            return
        body, payload = built
        if refused_unchanged(pending, body):
            owner.failed(record, pending.stage, list(pending.errors), body=body)
            return
        t.cast("DeliveryPipeline", self._run.pipeline).submit(
            Event(0, record, body, payload, owner, 0)
        )

    def would_pass(self, pending: PendingRecord) -> bool:
        """Whether a pending record would now be sent (a dry run's count)."""
        built = self._build(pending.record())
        return not isinstance(built, Refusal) and not refused_unchanged(pending, built[0])

    def settle(self, event: Event, outcome: Outcome) -> None:
        """Count how a sent event ended; a 400 dead-letters its record.

        A confirmation enters the ledger before the record counts as settled, so any STATE
        covering it finds it there (the STATE forwarder flushes the ledger first).
        """
        self.count_and_confirm(event, outcome)
        if outcome.stored_by_this_run and self._run.send_sample is not None:
            # What a first send to the real Gong is checked by, event by event, in Gong.
            self._logger.info(
                "Sample: sent eventId %r of stream '%s', key %s; Gong's requestId %s%s",
                event.event_id,
                self.stream_name,
                self._key(event.record),
                outcome.request_id,
                "" if outcome.status == "delivered" else " (409 to a retry: stored before)",
            )
        if outcome.status == "rejected":
            self._reject(
                event.number,
                event.line,
                event.record,
                "api",
                list(outcome.errors),
                body=event.body,
                request_id=outcome.request_id,
            )
            self._raise_past_rejection_limit()
        else:
            self._run.checkpoints.settled(event.number)

    def count_and_confirm(self, event: Event, outcome: Outcome) -> None:
        """Count how a sent event ended; one Gong has (200, 409) enters the ledger."""
        self.counts.count(outcome)
        if outcome.status in {"delivered", "duplicate"}:
            status = t.cast('t.Literal["delivered", "duplicate"]', outcome.status)
            self._run.ledger.confirm(
                self.stream_name, event.body, status, outcome.request_id, event.ledger_hash()
            )

    def settle_known(self, events: list[Event], outcome: Outcome) -> None:
        """``settle`` of events the ledger has, counted and checkpointed all at once.

        Unchanged or changed after delivery: nothing to confirm, log or dead-letter.
        """
        self.counts.add(outcome.status, len(events))
        self._run.checkpoints.settled(*(event.number for event in events))

    def throttled(self) -> None:
        """Count a 429 answered to one of this stream's events, as it arrives."""
        self.counts.add("throttled")

    def _reject(
        self, number: int, line: int, record: dict, stage: str, errors: list[str], **extra: t.Any
    ) -> None:
        """Keep the record pending; a dead-letter line unless it is pending for this already."""
        rejection = self.rejection(record, stage, errors, extra.get("body"))
        pending = self._run.pending
        if pending is None or pending.needs_line(rejection):
            self.dead_letter(record, stage, errors, line, **extra)
        if pending is not None:
            pending.keep(rejection)
        self._run.checkpoints.settled(number)
        self.counts.add("dead_lettered")

    def rejection(
        self, record: dict, stage: str, errors: list[str], body: dict | None
    ) -> Rejection:
        """The record's rejection as the ledger keeps it pending.

        For a 400, with the hash of the body Gong refused.
        """
        refused = body_hash(body) if stage == API_STAGE and body is not None else None
        keys = self.key_properties
        return Rejection(self.stream_name, record, self.schema, keys, stage, tuple(errors), refused)

    def dead_letter(
        self, record: dict, stage: str, errors: list[str], line: int | None, **extra: t.Any
    ) -> None:
        """Append the record's dead-letter line; its rejection is told in the summary."""
        key = self._key(record)
        self._run.dead_letters.append(
            dead_letter(
                stream=self.stream_name,
                record=record,
                stage=stage,
                errors=errors,
                run_id=self._run.run_id,
                key=key,
                line=line,
                schema=self.schema,
                key_properties=self.key_properties,
                **extra,
            )
        )
        self._run.report.rejected(self.stream_name, stage, errors, key, line)

    def _key(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """The record's key_properties values: which record it is, in the tap's terms."""
        return {name: record.get(name) for name in self.key_properties}

    def _check_rejections(self) -> None:
        """Past ``max_rejected_records``: deliver what was read before, then stop the run.

        On the reading thread, what came before is delivered and checkpointed first, as at
        the end of input.
        """
        if self._past_rejection_limit() and self._run.pipeline is not None:
            self._run.pipeline.wait_until_settled()
        self._raise_past_rejection_limit()

    def _past_rejection_limit(self) -> bool:
        limit = self._run.settings.max_rejected_records
        return limit is not None and self._run.report.total("dead_lettered") > limit

    def _raise_past_rejection_limit(self) -> None:
        """Raise ``TooManyRejected`` once more records than allowed were dead-lettered.

        From a delivery thread (Gong's 400s) this stops the pipeline; the stop is
        checkpointed like any other.
        """
        if not self._past_rejection_limit():
            return
        rejected = self._run.report.total("dead_lettered")
        verb = "was" if rejected == 1 else "were"
        raise TooManyRejected(
            f"{records(rejected)} {verb} dead-lettered, more than max_rejected_records="
            f"{self._run.settings.max_rejected_records}; see {self._run.settings.dead_letter_path}"
        )

"""The Singer target: wires settings, sinks, delivery and STATE together.

Data flows one way: the SDK reads messages, each stream's ``GongDISink`` maps and validates
records, the shared ``GongClient`` delivers them, and STATE goes out only when every record
before it is settled: after each full drain of the sinks, and, when a run ends early, the
newest safe STATE from the ``Checkpoints`` ledger.
"""

from __future__ import annotations

import logging
import os
import sys
import typing as t

import click
from singer_sdk import Target
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.mapper import RemoveRecordTransform

from target_gong_di import ledger_commands
from target_gong_di.checkpoints import Checkpoints
from target_gong_di.delivery import DeliveryStopped, GongClient
from target_gong_di.jsonlines import JsonLinesFile
from target_gong_di.ledger import LedgerError
from target_gong_di.mapping import MappingConfigError
from target_gong_di.reader import SingerReader
from target_gong_di.record_check import StreamSchemaError
from target_gong_di.run_report import RunReport, records
from target_gong_di.settings import CONFIG_SCHEMA, SECRET_SETTINGS, ConfigError, Settings
from target_gong_di.sinks import DroppedStreamSink, GongDISink

if t.TYPE_CHECKING:
    from types import FrameType

    from singer_sdk.sinks import Sink


def _without_secret_values(message: str) -> str:
    """A config error about a secret setting, with the offending value left out."""
    for name in SECRET_SETTINGS:
        if f"config['{name}']" in message or f"'{name}'" in message:
            return f"{name}: must be a string (its value is not shown: it is a secret)"
    return message


class TooManyRejected(DeliveryStopped):
    """More records were dead-lettered than ``max_rejected_records`` allows."""


class Interrupted(DeliveryStopped):
    """SIGTERM or SIGINT: finish what is in flight, checkpoint, stop."""


class TargetGongDI(Target):
    """Delivers Singer records to Gong's Digital Interactions API."""

    name = "target-gong-di"
    config_jsonschema = CONFIG_SCHEMA
    default_sink_class = GongDISink
    message_reader_class = SingerReader
    """msgspec-based, falling back to the stock reader (reading JSON is a third of the floor)."""

    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """GongDISink, or DroppedStreamSink for a stream that ``stream_maps`` removes."""
        maps = self.mapper.stream_maps.get(stream_name, [])
        if any(isinstance(stream_map, RemoveRecordTransform) for stream_map in maps):
            return DroppedStreamSink
        return super().get_sink_class(stream_name)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK's command, plus ``--validate-config`` and the ledger flags."""
        command = super().get_singer_command()
        command.params.append(
            click.Option(
                ["--validate-config"],
                is_flag=True,
                help=(
                    "Check the config and its mappings, then exit; with --input, also build "
                    "and validate a body for every record there. Sends nothing."
                ),
            )
        )
        command.params.extend(ledger_commands.OPTIONS)
        return command

    @classmethod
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: t.Any = None,
        file_input: t.IO[str] | None = None,
        validate_config: bool = False,
        ledger_counts: bool = False,
        ledger_forget: str | None = None,
        ledger_forget_all: bool = False,
    ) -> None:
        """Run the target; or only check config and mappings, or look at or undo the ledger.

        A refused mapping, a stopped delivery or a ledger that cannot be opened ends the run
        with its one-line reason and exit code 1, not a traceback: the message already names
        the stream, field, setting or cause.
        """
        try:
            if ledger_counts or ledger_forget or ledger_forget_all:
                # They send nothing, so like a dry run they need no credentials.
                settings = cls._configured(config, dry_run=True).settings
                click.echo(
                    ledger_commands.run(
                        settings,
                        counts=ledger_counts,
                        forget=ledger_forget,
                        forget_all=ledger_forget_all,
                    )
                )
            elif validate_config:
                cls._validate(config, file_input)
            else:
                super().invoke(
                    about=about, about_format=about_format, config=config, file_input=file_input
                )
        except (MappingConfigError, StreamSchemaError, DeliveryStopped, LedgerError) as error:
            cls.logger.error("%s", error)  # noqa: TRY400 - the message is the whole story
            sys.exit(1)

    @classmethod
    def _configured(cls, config: t.Any, **overrides: t.Any) -> TargetGongDI:
        """The target with the command line's config, checked.

        Settings come from the config files, then ``overrides``, then the environment.
        """
        return cls(
            config={**(config.config if config else {}), **overrides},
            parse_env_config=bool(config and config.parse_env),
        )

    @classmethod
    def _validate(cls, config: t.Any, file_input: t.IO[str] | None) -> None:
        configured = cls._configured(config)
        if file_input is None:
            cls.logger.info(
                "Config is valid; streams mapped: %s", ", ".join(configured.settings.mappings)
            )
            return
        # The merged config (files and environment), forced into a dry run that keeps nothing.
        checked = {**configured.config, "dry_run": True}
        checked.update(dry_run_path=os.devnull, dead_letter_path=os.devnull)
        target = cls(config=checked)
        target.listen(file_input)
        rejected = target.report.total("dead_lettered")
        if rejected:
            raise SystemExit(f"{records(rejected)} would be dead-lettered; see the warnings above")
        cls.logger.info("Config is valid and every record in the input builds a valid body")

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict) -> None:
        """The SDK's built-in settings, without ``load_method``.

        Gong keeps every event it accepts; there is no upsert or overwrite to choose, so the
        setting would only mislead in ``--about`` and Meltano.
        """
        super().append_builtin_config(config_jsonschema)
        config_jsonschema["properties"].pop("load_method", None)

    def __init__(self, **kwargs: t.Any) -> None:
        try:
            super().__init__(**kwargs)
        except ConfigValidationError as error:
            raise ConfigValidationError(
                error.args[0] if error.args else "Config validation failed",
                errors=[_without_secret_values(message) for message in error.errors],
                schema=error.schema,
            ) from None
        # Sinks drain one after another: their requests already run concurrently in the
        # shared GongClient, and parallel draining would add joblib's polling to each batch.
        self.max_parallelism = 1
        try:
            self.settings = Settings.from_config(self.config)
        except ConfigError as error:
            raise ConfigValidationError(
                "Config validation failed", errors=error.errors, schema=CONFIG_SCHEMA
            ) from None
        # As in SDK stream maps, `config` is `stream_map_config`; the non-secret settings are
        # readable too, where `stream_map_config` does not use the same name.
        self.expression_config = {
            **{
                key: value
                for key, value in self.config.items()
                if key not in {*SECRET_SETTINGS, "mappings"}
            },
            **(self.config.get("stream_map_config") or {}),
        }
        self.checkpoints = Checkpoints()
        self.dead_letters = JsonLinesFile(self.settings.dead_letter_path, durable=True)
        self.dry_run_file = JsonLinesFile(self.settings.dry_run_path, durable=False)
        self.client = None if self.settings.dry_run else GongClient(self.settings, self.logger)
        self.report = RunReport(
            self.logger, self.metrics_logger, self.settings.progress_interval_seconds
        )
        self._forwarded_state: dict[str, t.Any] | None = None

    def listen(self, file_input: t.IO[str] | None = None) -> None:
        """Read and deliver everything; if the run stops early, checkpoint what is safe."""
        self.report.start_progress(lambda: self.client.in_flight if self.client else 0)
        try:
            super().listen(file_input)
        except DeliveryStopped:
            self._forward_state(self.checkpoints.safe_state)
            self._finish()
            raise

    def process_endofpipe(self) -> None:
        """Deliver what is left, forward the last STATE, and log the run summary."""
        super().process_endofpipe()
        self._check_rejections()
        self._finish()

    def _finish(self) -> None:
        if self.client is not None:
            self.client.close()
        self.dead_letters.close()
        self.dry_run_file.close()
        self.report.finish(
            self.settings.dead_letter_path,
            self.settings.dry_run_path if self.settings.dry_run else None,
        )

    # The SDK's message hooks, extended.

    def _process_state_message(self, message_dict: dict) -> None:
        """Note where the STATE falls among the records, so the ledger knows when it is safe."""
        super()._process_state_message(message_dict)
        self.checkpoints.state_received(message_dict["value"])

    def _handle_max_record_age(self) -> None:
        """Drain all sinks once a batch's worth of records waits, so STATE follows it.

        The SDK calls this after every record; on its own it drains only on age (and a
        full sink alone, which writes no STATE), so a batch is counted across streams.
        """
        pending = sum(sink.current_size for sink in self._sinks_active.values())
        if pending >= self.settings.batch_size:
            self.drain_all()
        else:
            super()._handle_max_record_age()
        self._check_rejections()

    def _write_state_message(self, state: dict) -> None:
        """Forward STATE once the dead letters it counts on are on disk."""
        self._forward_state(state)

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: send nothing new, let in-flight requests finish, checkpoint, exit 1.

        Unlike the SDK's default this does not drain: a batch could take minutes at Gong's
        rate, longer than an orchestrator waits after SIGTERM.
        """
        self.logger.warning(
            "Received signal %d: finishing in-flight requests, then stopping", signum
        )
        abandoned = 0
        if self.client is not None:
            self.client.stop(Interrupted(f"stopped by signal {signum}"))
            grace = 2 * self.settings.request_timeout_seconds
            if not self.client.wait_idle(grace):
                abandoned = self.client.in_flight
                self.logger.warning(
                    "Requests still unanswered after %.0fs: %d; stopping without them",
                    grace,
                    abandoned,
                )
        try:
            self._forward_state(self.checkpoints.safe_state)
            self._finish()
            self.logger.error(
                "Stopped by signal %d; %d records were not settled and will be sent again "
                "when the tap resumes from the last STATE forwarded",
                signum,
                self.checkpoints.unsettled,
            )
        finally:
            if abandoned:
                # Their threads still wait on the server, and a normal exit would join them.
                logging.shutdown()
                sys.stdout.flush()
                os._exit(1)
        sys.exit(1)

    # Helpers.

    def _forward_state(self, state: dict[str, t.Any] | None) -> None:
        if state is None or state == self._forwarded_state:
            return
        if self.settings.dry_run:
            # Nothing was sent: a bookmark saved now would make the real run skip it all.
            self._forwarded_state = state
            return
        self.dead_letters.sync()
        super()._write_state_message(state)
        self._forwarded_state = state

    def _check_rejections(self) -> None:
        limit = self.settings.max_rejected_records
        if limit is None:
            return
        rejected = self.report.total("dead_lettered")
        if rejected > limit:
            self.drain_all()  # deliver and checkpoint what came before, then stop
            raise TooManyRejected(
                f"{rejected} records were dead-lettered, more than max_rejected_records={limit}; "
                f"see {self.settings.dead_letter_path}"
            )

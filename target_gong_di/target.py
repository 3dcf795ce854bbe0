"""The Singer target: wires settings, streams, delivery and STATE together.

Data flows one way: the SDK reads messages, each stream's sink hands its records to a
``StreamEvents`` (check, map, validate), bodies stream through the shared
``DeliveryPipeline`` to Gong, and the ``StateForwarder`` writes each STATE once every
record before it is settled (``Checkpoints``). When a run stops early (a signal, the
quota, too many rejects, a failure) requests in flight finish, the newest safe STATE goes
out, and the run exits non-zero.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import threading
import typing as t

import click
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.mapper import PluginMapper, RemoveRecordTransform

from target_gong_di.commands import ledger_flags
from target_gong_di.commands.replay import refuse_same_file, replay_input
from target_gong_di.commands.stream_check import stream_errors
from target_gong_di.commands.suggest import catalog_of, print_suggestion, read_streams
from target_gong_di.delivery.assembly import open_delivery, retry_policy
from target_gong_di.delivery.oauth import open_credentials
from target_gong_di.exceptions import (
    ConfigError,
    DeliveryStopped,
    GongDIError,
    Interrupted,
    LedgerError,
    OutputFileError,
    QuotaExhausted,
)
from target_gong_di.ledger.run_view import DeliveryLedger
from target_gong_di.ledger.store import open_ledger
from target_gong_di.mapping.compiler import MappingConfigError
from target_gong_di.mapping.expressions import without_secrets
from target_gong_di.run.checkpoints import Checkpoints
from target_gong_di.run.dry_run import DryRunOutput
from target_gong_di.run.files import JsonLinesFile, new_run_id
from target_gong_di.run.reader import SingerReader, tolerant
from target_gong_di.run.report import RunReport, records
from target_gong_di.run.state_writer import StateForwarder
from target_gong_di.run.stream_events import RunContext
from target_gong_di.sdk_hooks import StateAndSignalTarget
from target_gong_di.setting_checks import unknown_setting_warnings
from target_gong_di.settings import CONFIG_SCHEMA, SECRET_SETTINGS, Settings, expression_config
from target_gong_di.sinks import DroppedStreamSink, GongDISink

if t.TYPE_CHECKING:
    from singer_sdk.sinks import Sink


IGNORED_BUILTIN_SETTINGS = ("load_method",)
"""SDK built-in settings the target does not advertise, but accepts without a warning:
an orchestrator may pass them to every target."""

STOP_PICKUP_SECONDS = 2.0
"""How long a delivery stop waits for the main thread to notice it. The main thread may be
blocked reading a quiet tap; then the stop is carried out without it."""


def _without_secret_values(message: str) -> str:
    """A config error about a secret setting, with the offending value left out."""
    for name in SECRET_SETTINGS:
        if f"config['{name}']" in message or f"'{name}'" in message:
            return f"{name}: must be a string (its value is not shown: it is a secret)"
    return message


_SDK_SETTING_ERROR = re.compile(r"(?P<problem>.*) in config\['(?P<name>[^'\]]+)'\]")
"""How the SDK words a schema error about one setting: ``<problem> in config['<name>']``."""


def _readable_config_error(message: str) -> str:
    """An SDK schema error in the target's own wording: ``<setting>: <problem>``.

    Secret settings lose their value first. The SDK reads numbers as ``Decimal``, so its
    ``Decimal('1E+308') is greater than the maximum of 3600 in config['request_timeout_seconds']``
    becomes ``request_timeout_seconds: 1E+308 is greater than the maximum of 3600``.
    """
    message = _without_secret_values(message)
    match = _SDK_SETTING_ERROR.fullmatch(message)
    if match is None:
        return message
    problem = re.sub(r"Decimal\('([^']*)'\)", r"\1", match["problem"])
    return f"{match['name']}: {problem}"


class TargetGongDI(StateAndSignalTarget):
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

    def get_sink(
        self,
        stream_name: str,
        *,
        record: dict | None = None,
        schema: dict | None = None,
        key_properties: t.Sequence[str] | None = None,
    ) -> Sink:
        """The stream's sink; a changed SCHEMA first waits for the events already read.

        A new SCHEMA may change what the stream's records mean, so its records are not
        mixed with the old one's in flight.
        """
        existing = super().get_sink(stream_name) if self.sink_exists(stream_name) else None
        changed = existing is not None and (
            existing.original_schema != schema or existing.key_properties != key_properties
        )
        if schema is not None and changed and self.run.pipeline is not None:
            self.run.pipeline.wait_until_settled()
        return super().get_sink(
            stream_name, record=record, schema=schema, key_properties=key_properties
        )

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
        command.params.append(
            click.Option(
                ["--suggest-mappings"],
                type=click.Path(exists=True, dir_okay=False),
                help=(
                    "Print starter mappings as JSON for the streams of FILE, a Singer catalog "
                    "(tap --discover) or a sample of a tap's output; what to fill in goes to "
                    "stderr."
                ),
            )
        )
        command.params.extend(ledger_flags.OPTIONS)
        command.params.append(
            click.Option(
                ["--replay"],
                type=click.Path(exists=True, dir_okay=False),
                metavar="DEAD_LETTER_FILE",
                help=(
                    "Rebuild every record of a dead-letter file with the current config and "
                    "send it as a run would (same checks, rate limit, ledger, retries); what "
                    "still fails goes to dead_letter_path. The file is only read."
                ),
            )
        )
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
        suggest_mappings: str | None = None,
        ledger_counts: bool = False,
        ledger_forget: str | None = None,
        ledger_forget_all: bool = False,
        replay: str | None = None,
    ) -> None:
        """Run the target; or only check config and mappings, or look at or undo the ledger.

        A refused mapping, a stopped delivery or a ledger that cannot be opened ends the run
        with its one-line reason and exit code 1, not a traceback: the message already names
        the stream, field, setting or cause.
        """
        try:
            if suggest_mappings:
                print_suggestion(suggest_mappings)
            elif ledger_counts or ledger_forget or ledger_forget_all:
                # They send nothing, so like a dry run they need no credentials.
                settings = cls._configured(config, dry_run=True).settings
                click.echo(
                    ledger_flags.run(
                        settings,
                        counts=ledger_counts,
                        forget=ledger_forget,
                        forget_all=ledger_forget_all,
                    )
                )
            elif validate_config:
                cls._validate(config, file_input)
            elif replay:
                cls._replay(config, replay)
            else:
                super().invoke(
                    about=about, about_format=about_format, config=config, file_input=file_input
                )
        except GongDIError as error:
            cls._exit_with(error)

    @classmethod
    def _exit_with(cls, error: Exception) -> t.NoReturn:
        """Exit 1 with the error's one line; where it was raised only at DEBUG."""
        cls.logger.error("%s", error)
        cls.logger.debug("Raised at:", exc_info=error)
        sys.exit(1)

    @classmethod
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> t.Any:
        """The ``--config`` files, read; one missing or not JSON ends the run in one line.

        The line names the file; its contents, which may hold secrets, are never shown.
        """
        try:
            return super().cb_config(ctx, param, value)
        except OSError as error:  # the SDK's text names the file
            cls._exit_with(ConfigError([f"--config: {str(error).splitlines()[0]}"]))
        except ValueError as error:
            files = ", ".join(value)
            cls._exit_with(ConfigError([f"--config {files}: not valid JSON: {error}"]))

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
        text = tolerant(file_input).read()
        errors = stream_errors(
            read_streams(text), configured.settings, configured.config.get("stream_maps") or {}
        )
        if errors:
            raise MappingConfigError("\n".join(errors))
        if catalog_of(text) is not None:
            cls.logger.info("Config is valid; every stream in the catalog is mapped")
            return
        # The merged config (files and environment), forced into a dry run that keeps nothing.
        checked = {**configured.config, "dry_run": True}
        checked.update(dry_run_path=os.devnull, dead_letter_path=os.devnull)
        target = cls(config=checked, warn_unknown_settings=False)  # warned above
        target.listen(io.StringIO(text))
        rejected = target.report.total("dead_lettered")
        if rejected:
            raise SystemExit(f"{records(rejected)} would be dead-lettered; see the warnings above")
        cls.logger.info("Config is valid and every record in the input builds a valid body")

    @classmethod
    def _replay(cls, config: t.Any, path: str) -> None:
        target = cls._configured(config)
        refuse_same_file(path, target.settings.dead_letter_path)
        replayed = replay_input(path)
        for unreadable in replayed.unreadable:
            cls.logger.warning("%s", unreadable)
        target.listen(io.StringIO("".join(line + "\n" for line in replayed.lines)))
        total = target.report.total
        cls.logger.info(
            "Replay of %s: %d delivered, %d still rejected (see %s), %d skipped: %d already "
            "in the ledger, %d changed after delivery, %d duplicates, %d repeated lines of "
            "a record replayed once; %d unreadable lines skipped (each named above)",
            path,
            total("delivered") + total("dry_run_written"),
            total("dead_lettered"),
            target.settings.dead_letter_path,
            total("unchanged")
            + total("changed_after_delivery")
            + total("duplicates")
            + replayed.repeats,
            total("unchanged"),
            total("changed_after_delivery"),
            total("duplicates"),
            replayed.repeats,
            len(replayed.unreadable),
        )

    def setup_mapper(self) -> None:
        """The SDK's stream maps, whose ``config`` has no key named like a secret either.

        Their ``config`` is ``stream_map_config``; as in the target's own mappings
        (``expression_config``), a secret-looking key in it is not readable.
        """
        self.mapper = PluginMapper(
            plugin_config={
                **self.config,
                "stream_map_config": without_secrets(self.config.get("stream_map_config") or {}),
            },
            logger=self.logger,
        )

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict) -> None:
        """The SDK's built-in settings, without ``load_method``.

        Gong keeps every event it accepts; there is no upsert or overwrite to choose, so the
        setting would only mislead in ``--about`` and Meltano.
        """
        super().append_builtin_config(config_jsonschema)
        for name in IGNORED_BUILTIN_SETTINGS:
            config_jsonschema["properties"].pop(name, None)

    def __init__(self, *, warn_unknown_settings: bool = True, **kwargs: t.Any) -> None:
        """Check the config; ``warn_unknown_settings`` False when a caller already warned."""
        try:
            super().__init__(**kwargs)
        except ConfigValidationError as error:
            raise ConfigValidationError(
                error.args[0] if error.args else "Config validation failed",
                errors=[_readable_config_error(message) for message in error.errors],
                schema=error.schema,
            ) from None
        if warn_unknown_settings:
            known = {*self.config_jsonschema["properties"], *IGNORED_BUILTIN_SETTINGS}
            for warning in unknown_setting_warnings(self.config, known):
                self.logger.warning("%s", warning)
        try:
            self.settings = Settings.from_config(self.config)
        except ConfigError as error:
            raise ConfigValidationError(
                "Config validation failed", errors=error.errors, schema=CONFIG_SCHEMA
            ) from None
        self.report = RunReport(
            self.logger, self.metrics_logger, self.settings.progress_interval_seconds
        )
        self.run_id = new_run_id()
        self.expression_config = expression_config(self.config)
        self._run: RunContext | None = None
        self._forwarder: StateForwarder | None = None
        self._stop_lock = threading.Lock()
        self._stopping = False
        self._stopped = threading.Event()
        """Set once the one stop (or end of input) has checkpointed and closed everything."""

    @property
    def run(self) -> RunContext:
        """What this run's streams share, opened when first needed (the first SCHEMA)."""
        if self._run is None:
            self._run = self._open_run()
        return self._run

    # The run.

    def _open_run(self) -> RunContext:
        """Open the ledger, delivery and STATE forwarding for one run.

        A real run whose ledger remembers Gong's quota as spent stops here, before it
        reads a record or spends a request on a 429.
        """
        settings = self.settings
        credentials, api_url = (
            (None, settings.api_url)
            if settings.dry_run
            else open_credentials(settings, retry_policy(settings), self.logger)
        )
        ledger = DeliveryLedger(
            open_ledger(settings.ledger_url, read_only=settings.dry_run),
            api_url,
            settings.daily_request_budget,
        )
        if not settings.dry_run:
            try:
                ledger.check_quota()
            except QuotaExhausted:
                ledger.close()
                raise
        checkpoints = Checkpoints()
        dead_letters = JsonLinesFile.dead_letters(settings.dead_letter_path, self.logger)
        run = RunContext(
            settings=settings,
            checkpoints=checkpoints,
            dead_letters=dead_letters,
            dry_run=DryRunOutput(
                JsonLinesFile.dry_run_output(settings.dry_run_path, self.logger),
                ledger,
                checkpoints,
            ),
            report=self.report,
            ledger=ledger,
            pipeline=(
                None
                if credentials is None
                else open_delivery(
                    settings,
                    ledger,
                    self.logger,
                    credentials=credentials,
                    api_url=api_url,
                    on_stop=self._delivery_stopped,
                )
            ),
            expression_config=self.expression_config,
            run_id=self.run_id,
            input_line=lambda: t.cast("SingerReader", self.message_reader).line_number,
        )
        if not settings.dry_run:

            def before_state() -> None:
                try:
                    dead_letters.sync()  # the STATE counts on the dead letters before it
                except OutputFileError as error:
                    # Not this STATE, nor any later one: the run stops, its cause this error.
                    if run.pipeline is not None:
                        run.pipeline.stop(error)
                    raise
                try:
                    ledger.flush()  # and, to save requests later, on the confirmations
                except LedgerError as error:
                    # Gong has every event the STATE covers: forwarding it loses nothing,
                    # and a later run settles the unrecorded ones with a 409 each.
                    self.logger.warning("%s; STATE forwarded all the same", error)
                    # A ledger that cannot take the confirmations (locked, frozen, gone)
                    # cannot be trusted with the next ones either: end the run rather than
                    # stall behind it, each STATE a statement timeout later.
                    if run.pipeline is not None:
                        run.pipeline.stop(error)

            self._forwarder = StateForwarder(checkpoints, before_state, self.logger)
            self._forwarder.start()
        return run

    @contextlib.contextmanager
    def delivering(self) -> t.Iterator[None]:
        """Open the run for as long as the target reads; on a stop, checkpoint and raise."""
        pipeline_in_flight = self.run.pipeline
        self.report.start_progress(
            lambda: pipeline_in_flight.in_flight if pipeline_in_flight else 0
        )
        try:
            yield
        except DeliveryStopped as cause:
            self._stop(cause)
            raise
        except Exception as error:
            # Bad input (a SCHEMA refused, a line unreadable): what was read before it is
            # delivered and checkpointed first, as at the end of input.
            bad_input = DeliveryStopped(str(error))
            try:
                if self.run.pipeline is not None:
                    self.run.pipeline.wait_until_settled()
            except DeliveryStopped as stopped:
                bad_input = stopped
            self._stop(bad_input)
            raise

    def process_endofpipe(self) -> None:
        """Wait until every event is settled, forward the last STATE, log the summary."""
        super().process_endofpipe()
        if self.run.pipeline is not None:
            self.run.pipeline.wait_until_settled()
        with self._stop_lock:
            self._stopping = True  # a late signal has nothing left to stop
        try:
            self._finish()
        finally:
            self._stopped.set()

    def state_received(self, state: dict[str, t.Any]) -> None:
        """Place the STATE after the records read so far; it goes out once they settle."""
        self.run.checkpoints.state_received(state)

    def stop_requested(self, signum: int) -> None:
        """SIGTERM/SIGINT: unwind the main thread into the stop path (see ``delivering``)."""
        if self._stopping:
            self.logger.warning("Received signal %d: already stopping", signum)
            return
        self.logger.warning(
            "Received signal %d: finishing in-flight requests, then stopping", signum
        )
        raise Interrupted(f"stopped by signal {signum}")

    def _delivery_stopped(self, cause: DeliveryStopped) -> None:
        """Make sure a stop from a worker thread ends the run.

        The main thread may be blocked reading a quiet tap and never ask the pipeline again.
        """

        def stop_without_main_thread() -> None:
            threading.Event().wait(STOP_PICKUP_SECONDS)
            if self._stop(cause):
                self.logger.error("%s", cause)
                logging.shutdown()
                os._exit(1)

        threading.Thread(target=stop_without_main_thread, name="gong-di-stop", daemon=True).start()

    def _stop(self, cause: DeliveryStopped) -> bool:
        """Send nothing new, let in-flight requests finish, forward the safe STATE, close.

        Runs once (False for any later caller), from the main thread or the stop thread.
        """
        with self._stop_lock:
            if self._stopping:
                # The other thread's stop is under way: let it finish before this caller
                # exits the process, or the last STATE could be cut off.
                self._stopped.wait(4 * self.settings.request_timeout_seconds)
                return False
            self._stopping = True
        try:
            return self._stop_once(cause)
        finally:
            self._stopped.set()

    def _stop_once(self, cause: DeliveryStopped) -> bool:
        if self._run is None:  # stopped before listening: nothing was opened
            return True
        pipeline = self.run.pipeline
        abandoned = 0
        if pipeline is not None:
            pipeline.stop(cause)
            grace = 2 * self.settings.request_timeout_seconds
            if not pipeline.wait_idle(grace):
                abandoned = pipeline.in_flight
                self.logger.warning(
                    "Requests still unanswered after %.0fs: %d; stopping without them",
                    grace,
                    abandoned,
                )
        try:
            self._finish(cause)
            if isinstance(cause, Interrupted):
                self.logger.error(
                    "Stopped by signal; %s not settled and will be sent again when the tap "
                    "resumes from the last STATE forwarded",
                    records(self.run.checkpoints.unsettled),
                )
        finally:
            if abandoned:
                # Their threads still wait on the server, and a normal exit would join them.
                self.logger.error("%s", cause)
                logging.shutdown()
                sys.stdout.flush()
                os._exit(1)
        return True

    def _finish(self, cause: DeliveryStopped | None = None) -> None:
        """Forward the last safe STATE and close everything, the run's ``cause`` of a stop.

        A file that cannot be closed whole fails a run that would otherwise succeed; in a
        run already stopping, it is logged beside the stop's own cause, if that is another.
        """
        if self._forwarder is not None:
            self._forwarder.close()
        if self.run.pipeline is not None:
            self.run.pipeline.close()
        failure: OutputFileError | None = None
        for output in (self.run.dead_letters, self.run.dry_run):
            try:
                output.close()
            except OutputFileError as error:
                failure = failure or error
        try:
            self.run.ledger.close()
        except LedgerError as error:
            # The STATE already out is safe without these confirmations: Gong has the
            # events, and a later run settles each with a 409. The stop's cause is the error.
            self.logger.warning("%s; the last confirmations are not recorded", error)
        self.report.finish(
            self.settings.dead_letter_path,
            self.settings.dry_run_path if self.settings.dry_run else None,
        )
        if failure is None:
            return
        if cause is None:
            raise failure
        if str(failure) != str(cause):
            self.logger.error("%s", failure)

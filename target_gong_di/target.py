"""The Singer target: the SDK's ``Target``, with each of its hooks handed to one stage.

Data flows one way: the SDK reads messages, each stream's sink hands its records to a
``StreamEvents`` (check, map, validate: ``run.stream_events``), bodies stream through the
shared ``DeliveryPipeline`` to Gong (``delivery``), and the ``StateWriter`` writes each
STATE once every record before it is settled (``run.state_writer``). Opening, stopping and
finishing a run belong to ``run.lifecycle``; the side tools (``--validate-config``,
``--replay``, the ledger flags) to ``commands.options``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import typing as t

import click
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.mapper import PluginMapper, RemoveRecordTransform

from target_gong_di.commands import OPTIONS, SideTools
from target_gong_di.exceptions import (
    ConfigError,
    GongDIError,
)
from target_gong_di.mapping import without_secrets
from target_gong_di.redaction import without_secret_values
from target_gong_di.run import RunLifecycle, RunReport, SingerReader, new_run_id
from target_gong_di.sdk_hooks import StateAndSignalTarget, quiet_sdk_lines
from target_gong_di.setting_checks import unknown_setting_warnings
from target_gong_di.settings import CONFIG_SCHEMA, SECRET_SETTINGS, Settings, expression_config
from target_gong_di.sinks import DroppedStreamSink, GongDISink

if t.TYPE_CHECKING:
    from singer_sdk.sinks import Sink


IGNORED_BUILTIN_SETTINGS = ("load_method",)
"""SDK built-in settings the target does not advertise, but accepts without a warning:
an orchestrator may pass them to every target."""


_SDK_SETTING_ERROR = re.compile(r"(?P<problem>.*) in config\['(?P<name>[^'\]]+)'\]")
"""How the SDK words a schema error about one setting: ``<problem> in config['<name>']``."""


def _readable_config_error(message: str) -> str:
    """An SDK schema error in the target's own wording: ``<setting>: <problem>``.

    Secret settings lose their value first. The SDK reads numbers as ``Decimal``, so its
    ``Decimal('1E+308') is greater than the maximum of 3600 in config['request_timeout_seconds']``
    becomes ``request_timeout_seconds: 1E+308 is greater than the maximum of 3600``.
    """
    message = without_secret_values(message, SECRET_SETTINGS)
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
        pipeline = self.lifecycle.open_run().pipeline
        if schema is not None and changed and pipeline is not None:
            pipeline.wait_until_settled()
        return super().get_sink(
            stream_name, record=record, schema=schema, key_properties=key_properties
        )

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK's command, plus the side tools' options (``commands.options``)."""
        command = super().get_singer_command()
        command.params.extend(OPTIONS)
        return command

    @classmethod
    def invoke(
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: t.Any = None,
        file_input: t.IO[str] | None = None,
        **side_tool_flags: t.Any,
    ) -> None:
        """Run the target, or the side tool a flag asks for.

        A refused mapping, a stopped delivery or a ledger that cannot be opened ends the run
        with its one-line reason and exit code 1, not a traceback: the message already names
        the stream, field, setting or cause.
        """
        try:
            if not SideTools(cls, cls.logger).run(config, file_input, **side_tool_flags):
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

    def __init__(
        self,
        *,
        warn_unknown_settings: bool = True,
        send_sample: int | None = None,
        **kwargs: t.Any,
    ) -> None:
        """Check the config; ``warn_unknown_settings`` False when a caller already warned.

        ``send_sample`` is ``--send-sample N``: a run that delivers at most N new events
        and forwards no STATE (``RunLifecycle``).
        """
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
        self.lifecycle = RunLifecycle(
            self.settings,
            self.report,
            self.logger,
            expression_config=self.expression_config,
            run_id=self.run_id,
            input_line=lambda: t.cast("SingerReader", self.message_reader).line_number,
            send_sample=send_sample,
        )

    # The SDK's hooks into the run (``sdk_hooks``), each handed to the lifecycle.

    def delivering(self) -> contextlib.AbstractContextManager[None]:
        """Open the run for as long as the target reads; on a stop, checkpoint and raise."""
        return self.lifecycle.delivering()

    def process_endofpipe(self) -> None:
        """Wait until every event is settled, forward the last STATE, log the summary."""
        super().process_endofpipe()
        self.lifecycle.end_of_input()

    def state_received(self, state: dict[str, t.Any]) -> None:
        """Place the STATE after the records read so far; it goes out once they settle."""
        self.lifecycle.state_received(state)

    def stop_requested(self, signum: int) -> None:
        """SIGTERM/SIGINT: unwind the main thread into the stop path."""
        self.lifecycle.signal_received(signum)


# At import, before any target is built: the SDK logs one of them in PluginBase.__init__.
quiet_sdk_lines(logging.getLogger(TargetGongDI.name))

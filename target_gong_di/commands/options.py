"""The command's own options beside the SDK's, and the side tool each of them runs.

``target-gong-di`` is the SDK's command plus ``--validate-config``, ``--suggest-mappings``,
``--replay``, ``--send-sample`` and the ledger flags. Each is a side tool: it reads the
config like a run, does its one job and exits, and none of them writes Singer messages to
stdout (``--send-sample`` is a run that sends at most N new events and forwards no STATE).
The target class stays the SDK's shape (its ``invoke`` hands over here), and these tools
know it only as something that can be configured and can ``listen``.
"""

from __future__ import annotations

import collections
import functools
import io
import os
import typing as t

import click

from target_gong_di.commands import ledger_flags
from target_gong_di.commands.replay import refuse_same_file, replay_input
from target_gong_di.commands.stream_check import stream_errors, unused_entries
from target_gong_di.commands.suggest import (
    ReadLines,
    catalog_of,
    print_suggestion,
    read_streams,
)
from target_gong_di.exceptions import ConfigError
from target_gong_di.mapping import MappingConfigError
from target_gong_di.run import records, tolerant

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.run import RunReport, SingerReader
    from target_gong_di.settings import Settings

OPTIONS = (
    click.Option(
        ["--validate-config"],
        is_flag=True,
        help=(
            "Check the config and its mappings, then exit; with --input, also build "
            "and validate a body for every record there. Sends nothing."
        ),
    ),
    click.Option(
        ["--suggest-mappings"],
        type=click.Path(exists=True, dir_okay=False),
        help=(
            "Print starter mappings as JSON for the streams of FILE, a Singer catalog "
            "(tap --discover) or a sample of a tap's output; what to fill in goes to "
            "stderr."
        ),
    ),
    *ledger_flags.OPTIONS,
    click.Option(
        ["--replay"],
        type=click.Path(exists=True, dir_okay=False),
        metavar="DEAD_LETTER_FILE",
        help=(
            "Rebuild every record of a dead-letter file with the current config and "
            "send it as a run would (same checks, rate limit, ledger, retries); what "
            "still fails goes to dead_letter_path. The file is only read."
        ),
    ),
    click.Option(
        ["--send-sample"],
        type=click.IntRange(min=1),
        metavar="N",
        help=(
            "A safe first send: a run as usual (same config, checks, ledger, rate limit, "
            "retries, dead letters) that sends at most N events Gong does not have yet, "
            "then reads the rest of the input without sending it. Events already in the "
            "ledger, events Gong answers 409 (except to a retry) and records dead-lettered "
            "(refused here or by Gong) do not count toward N. Logs each sent event's "
            "eventId, stream, key values and Gong's requestId; forwards no STATE, so an "
            "ordinary run afterwards sends the rest and the ledger keeps it from sending "
            "the sample again."
        ),
    ),
)
"""Appended to the SDK's options, in this order, as ``--help`` lists them."""


class Runnable(t.Protocol):
    """A configured target, as the side tools use it."""

    settings: Settings
    report: RunReport

    @property
    def message_reader(self) -> object:
        """What reads its input: a ``SingerReader``."""

    @property
    def config(self) -> t.Mapping[str, t.Any]:
        """The merged config: files, then overrides, then the environment."""

    def listen(self, file_input: t.IO[str] | None = None) -> None:
        """Read Singer messages and deliver them (or dry-run them) as a run does."""


class SideTools:
    """The side tools, for one target class (``make`` builds a configured target)."""

    def __init__(self, make: t.Callable[..., Runnable], logger: logging.Logger) -> None:
        self._make = make
        self._logger = logger

    def run(
        self,
        config: t.Any,
        file_input: t.IO[str] | None,
        *,
        validate_config: bool = False,
        suggest_mappings: str | None = None,
        ledger_counts: bool = False,
        ledger_pending: bool = False,
        ledger_forget: str | None = None,
        ledger_forget_all: bool = False,
        replay: str | None = None,
        send_sample: int | None = None,
    ) -> bool:
        """Run the tool a flag asks for; False when none does (a run, or ``--about``)."""
        if suggest_mappings:
            print_suggestion(suggest_mappings)
        elif ledger_counts or ledger_pending or ledger_forget or ledger_forget_all:
            # They send nothing, so like a dry run they need no credentials.
            settings = self._configured(config, dry_run=True).settings
            text = ledger_flags.run(
                settings,
                counts=ledger_counts,
                pending=ledger_pending,
                forget=ledger_forget,
                forget_all=ledger_forget_all,
            )
            if text:  # no pending record is no line at all, not an empty one
                click.echo(text)
        elif validate_config:
            self._validate(config, file_input)
        elif replay:
            self._replay(config, replay)
        elif send_sample:
            self._send_sample(config, file_input, send_sample)
        else:
            return False
        return True

    def _configured(self, config: t.Any, **overrides: t.Any) -> Runnable:
        """The target with the command line's config, checked.

        Settings come from the config files, then ``overrides``, then the environment.
        """
        return self._make(
            config={**(config.config if config else {}), **overrides},
            parse_env_config=bool(config and config.parse_env),
        )

    def _built(self, config: t.Any, **run_kind: t.Any) -> Runnable:
        """The target with the command line's config, built for a kind of run.

        ``run_kind`` is what the SDK's own ``invoke`` has no way to pass: ``send_sample``,
        ``replaying``.
        """
        return self._make(
            config=config.config if config else {},
            parse_env_config=bool(config and config.parse_env),
            **run_kind,
        )

    def _send_sample(self, config: t.Any, file_input: t.IO[str] | None, count: int) -> None:
        """A run that sends at most ``count`` new events and forwards no STATE.

        The target itself counts and logs (``RunLifecycle``); here it is only built with
        the limit.
        """
        target = self._built(config, send_sample=count)
        if target.settings.dry_run:
            raise ConfigError(["--send-sample sends to Gong: it cannot run with dry_run on"])
        target.listen(file_input)

    def _validate(self, config: t.Any, file_input: t.IO[str] | None) -> None:
        configured = self._configured(config)
        if file_input is None:
            self._logger.info(
                "Config is valid; streams mapped: %s", ", ".join(configured.settings.mappings)
            )
            return
        text = tolerant(file_input).read()
        settings = configured.settings
        lines: ReadLines = collections.deque()
        streams = read_streams(text, lines)
        stream_maps = configured.config.get("stream_maps") or {}
        for unused in unused_entries(streams, settings, stream_maps):
            self._logger.warning("%s", unused)
        errors = stream_errors(
            streams,
            settings,
            stream_maps,
            functools.cache(lambda: ledger_flags.events_per_stream(settings)),
        )
        if errors:
            raise MappingConfigError("\n".join(errors))
        if catalog_of(text) is not None:
            self._logger.info("Config is valid; every stream in the catalog is mapped")
            return
        # The merged config (files and environment), forced into a dry run that keeps nothing.
        checked = {**configured.config, "dry_run": True}
        checked.update(dry_run_path=os.devnull, dead_letter_path=os.devnull)
        target = self._make(config=checked, warn_unknown_settings=False)  # warned above
        t.cast("SingerReader", target.message_reader).read_already = lines  # parsed once
        target.listen(io.StringIO(text))
        rejected = target.report.total("dead_lettered")
        if rejected:
            raise SystemExit(f"{records(rejected)} would be dead-lettered; see the warnings above")
        self._logger.info("Config is valid and every record in the input builds a valid body")

    def _replay(self, config: t.Any, path: str) -> None:
        target = self._built(config, replaying=True)
        refuse_same_file(path, target.settings.dead_letter_path)
        replayed = replay_input(path)
        for unreadable in replayed.unreadable:
            self._logger.warning("%s", unreadable)
        target.listen(io.StringIO("".join(line + "\n" for line in replayed.lines)))
        total = target.report.total
        self._logger.info(
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

"""Opening a run: the ledger, the credentials, delivery and the STATE writer, in that order.

``open_context`` builds what a run's streams share (``RunContext``) and stops before a
record is read when the ledger remembers Gong's quota as spent, unless ``on_daily_limit:
finish`` says to read the input to the end sending nothing. A ``--send-sample`` run and a
dry run start no STATE writer.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from target_gong_di.delivery import open_credentials, retry_policy
from target_gong_di.exceptions import DeliveryStopped, QuotaExhausted
from target_gong_di.ledger import DeliveryLedger, open_ledger
from target_gong_di.run.checkpoints import Checkpoints
from target_gong_di.run.dry_run import DryRunOutput
from target_gong_di.run.files import JsonLinesFile
from target_gong_di.run.pending_retry import PendingRetries, pending_mode
from target_gong_di.run.planning import skip_before
from target_gong_di.run.state_writer import StateWriter
from target_gong_di.run.stream_events import RunContext

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.delivery import DeliveryPipeline
    from target_gong_di.run.report import RunReport
    from target_gong_di.settings import Settings
    from target_gong_di.stop import Stop


def open_context(
    settings: Settings,
    report: RunReport,
    logger: logging.Logger,
    *,
    expression_config: dict[str, t.Any],
    run_id: str,
    input_line: t.Callable[[], int],
    started_at: dt.datetime,
    deliver: t.Callable[..., DeliveryPipeline],
    stop: Stop,
    on_stop: t.Callable[[DeliveryStopped], None],
    send_sample: int | None,
    replaying: bool,
) -> tuple[RunContext, StateWriter | None]:
    """The run's shared context and its STATE writer (None when it forwards no STATE)."""
    writer: StateWriter | None = None
    credentials, api_url = (
        (None, settings.api_url)
        if settings.dry_run
        else open_credentials(settings, retry_policy(settings), logger)
    )
    ledger = DeliveryLedger(
        open_ledger(settings.ledger_url, read_only=settings.dry_run),
        api_url,
        settings.daily_request_budget,
    )
    spent: QuotaExhausted | None = None
    if not settings.dry_run:
        try:
            ledger.check_quota()
        except QuotaExhausted as error:
            if settings.on_daily_limit != "finish":
                ledger.close()
                raise
            spent = error  # read the input to the end, sending nothing (below)
    checkpoints = Checkpoints()
    dead_letters = JsonLinesFile.dead_letters(settings.dead_letter_path, logger)
    pipeline = (
        None
        if credentials is None
        else deliver(
            settings,
            ledger,
            logger,
            credentials=credentials,
            api_url=api_url,
            stop=stop,
            on_stop=on_stop,
            send_limit=send_sample,
        )
    )
    if pipeline is not None and spent is not None:
        pipeline.stop(spent)
    if pipeline is not None and send_sample is None:
        writer = StateWriter(
            checkpoints,
            dead_letters=dead_letters,
            ledger=ledger,
            stop_run=pipeline.stop,
            logger=logger,
        )
        writer.start()
    mode = pending_mode(
        dry_run=settings.dry_run,
        replaying=replaying,
        sample=send_sample is not None,
    )
    pending = PendingRetries(
        ledger,
        logger,
        run_id=run_id,
        limit=settings.max_pending_per_stream,
        mode=mode,
    )
    context = RunContext(
        settings=settings,
        checkpoints=checkpoints,
        dead_letters=dead_letters,
        dry_run=DryRunOutput(
            JsonLinesFile.dry_run_output(settings.dry_run_path, logger),
            ledger,
            checkpoints,
        ),
        report=report,
        ledger=ledger,
        pipeline=pipeline,
        expression_config=expression_config,
        run_id=run_id,
        input_line=input_line,
        send_sample=send_sample,
        skip_before=skip_before(settings.skip_events_before, started_at, logger),
        pending=pending,
    )
    return context, writer

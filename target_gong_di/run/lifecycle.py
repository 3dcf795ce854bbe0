"""One run's life: open it, stop it at most once, finish it; the target's hooks call in here.

Opening (``open_run``, carried out by ``opening``) takes the ledger, the credentials, delivery
and the STATE writer, in that order, and stops before reading a record when the ledger
remembers Gong's quota as spent. A run ends one of two ways, and each way runs once:

- the end of input (``end_of_input``): every event settles, the last safe STATE goes out,
  the summary is logged;
- a stop (``stop``), from bad input, a delivery thread, or a signal: nothing new is sent,
  requests in flight get a grace of ``2 x request_timeout_seconds`` to finish, the newest
  safe STATE goes out, everything is closed, and the run exits non-zero.

The day's limit (``DailyLimitReached``) with ``on_daily_limit: finish`` is neither: sending
stops, but the run reads on (each record numbered, no body built, so no STATE after it is
safe) and ends at the end of input, with the same grace and the newest safe STATE, one
warning, and exit code 0. The run summary (``run_summary_path``) hears how each way ended.

Both are carried out by whoever claims the run's one ``Stop`` first. A delivery thread
that stops the run only asks; the main thread carries the stop out when it next hands the
pipeline a record, or a stop thread does it ``STOP_PICKUP_SECONDS`` later if the main
thread is blocked reading a quiet tap. A stop the main thread begins starts no thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import os
import sys
import threading
import time
import typing as t

from target_gong_di.delivery import open_delivery
from target_gong_di.exceptions import (
    DailyLimitReached,
    DeliveryStopped,
    Interrupted,
    LedgerError,
    OutputFileError,
)
from target_gong_di.run.opening import open_context
from target_gong_di.run.planning import (
    InputPosition,
    InputProgress,
    InputWatch,
    backlog_line,
)
from target_gong_di.run.report import records
from target_gong_di.run.state_writer import StateWriter
from target_gong_di.run.stream_events import RunContext
from target_gong_di.stop import Stop

if t.TYPE_CHECKING:
    from target_gong_di.delivery import DeliveryPipeline
    from target_gong_di.ledger import Standing
    from target_gong_di.run.report import RunReport
    from target_gong_di.run.summary import RunSummary
    from target_gong_di.settings import Settings

STOP_PICKUP_SECONDS = 2.0
"""How long a delivery stop waits for the main thread to notice it. The main thread may be
blocked reading a quiet tap; then the stop is carried out without it."""


@contextlib.contextmanager
def startup_set_aside() -> t.Iterator[None]:
    """While the run reads, what start-up made is left out of the cyclic collector's passes.

    A run allocates a few dicts per record, so the collector runs often, and each of its full
    passes walked every object start-up made (the SDK, its validators, the compiled mappings)
    again: about a tenth of a dry run's CPU (50k records, 9 whole-process pairs: 0.90x).
    ``gc.freeze`` sets them aside; ``gc.unfreeze`` puts them back when the run ends, so
    nothing is kept from the collector for longer than the run.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class RunLifecycle:
    """Opens one run, and ends it once: at the end of input or by a stop."""

    def __init__(
        self,
        settings: Settings,
        report: RunReport,
        logger: logging.Logger,
        *,
        expression_config: dict[str, t.Any],
        run_id: str,
        input_line: t.Callable[[], int],
        input_position: t.Callable[[], InputPosition | None] = lambda: None,
        deliver: t.Callable[..., DeliveryPipeline] = open_delivery,
        send_sample: int | None = None,
        summary: RunSummary | None = None,
        replaying: bool = False,
    ) -> None:
        """Hold what the run needs; nothing is opened before ``open_run``.

        ``input_position`` says how far the reader is into an input of known size, for the
        progress line's remaining records and ETA. ``deliver`` opens the pipeline
        (``open_delivery``'s arguments); tests pass one whose client answers from a script,
        to drive the stop paths without HTTP.
        ``send_sample`` (``--send-sample N``): deliver at most N new events and forward no
        STATE at all, so the tap's bookmark stays where it was and an ordinary run later
        reads the same input again and sends the rest (the ledger settles the sample).
        ``summary`` is written before a stop that must end the process at once.
        ``replaying`` (``--replay``): retry no pending record, as the replayed file names
        them, and dead-letter every record that still fails (``pending_retry``).
        """
        self._summary = summary
        self._send_sample = send_sample
        self._started_at = dt.datetime.now(dt.timezone.utc)
        """What a ``skip_events_before`` duration counts back from."""
        self._replaying = replaying
        self._deliver = deliver
        self._settings = settings
        self._report = report
        self._logger = logger
        self._expression_config = expression_config
        self._run_id = run_id
        self._input_line = input_line
        self.input = InputWatch(input_position, lambda: self.open_run().checkpoints)
        """How much input is left, for the progress line; BATCH files are announced to it."""
        finish = settings.on_daily_limit == "finish"
        self.stop = Stop(finishes_at=(DailyLimitReached,) if finish else ())
        self._context: RunContext | None = None
        self._writer: StateWriter | None = None
        self._standing: Standing | None = None

    # Opening.

    def open_run(self) -> RunContext:
        """What this run's streams share; opened by the first caller, the same one after."""
        if self._context is None:
            self._context = self._open()
        return self._context

    def _open(self) -> RunContext:
        context, self._writer = open_context(
            self._settings,
            self._report,
            self._logger,
            expression_config=self._expression_config,
            run_id=self._run_id,
            input_line=self._input_line,
            started_at=self._started_at,
            deliver=self._deliver,
            stop=self.stop,
            on_stop=self._delivery_stopped,
            send_sample=self._send_sample,
            replaying=self._replaying,
        )
        return context

    @property
    def requests(self) -> int:
        """Requests this run sent, retries and 429s included."""
        return 0 if self._context is None else self._context.ledger.requests

    @property
    def ended_well_at(self) -> DeliveryStopped | None:
        """The daily limit the run finished at (``on_daily_limit: finish``), if it did."""
        return self.stop.cause if self.stop.finishing else None

    # While reading.

    @contextlib.contextmanager
    def delivering(self) -> t.Iterator[None]:
        """Open the run for as long as the target reads; on a stop, checkpoint and raise."""
        pipeline = self.open_run().pipeline
        self._report.start_progress(
            lambda: pipeline.in_flight if pipeline else 0,
            self._input_progress,
        )
        try:
            with startup_set_aside():
                yield
        except DeliveryStopped as cause:
            self._stop(cause)
            raise
        except Exception as error:
            # Bad input (a SCHEMA refused, a line unreadable): what was read before it is
            # delivered and checkpointed first, as at the end of input.
            bad_input = DeliveryStopped(str(error))
            try:
                if pipeline is not None:
                    pipeline.wait_until_settled(self._grace())
            except DeliveryStopped as stopped:
                bad_input = stopped
            self._stop(bad_input)
            raise

    def _input_progress(self) -> InputProgress | None:
        """What remains of the input, for the progress line; None once nothing more settles.

        A sample run, and one finishing at the daily limit, read the rest of their input
        without settling it: its records would "remain" forever.
        """
        if self._send_sample is not None or self.stop.finishing:
            return None
        return self.input.progress()

    def state_received(self, state: dict[str, t.Any]) -> None:
        """Place the STATE after the records read so far; it goes out once they settle.

        What waits for the ledger check is checked now, not when its chunk fills.
        """
        context = self.open_run()
        context.checkpoints.state_received(state)
        if context.pipeline is not None:
            context.pipeline.hurry()

    def signal_received(self, signum: int) -> None:
        """SIGTERM/SIGINT: unwind the main thread into the stop path (see ``delivering``)."""
        if self.stop.claimed:
            self._logger.warning("Received signal %d: already stopping", signum)
            return
        self._logger.warning(
            "Received signal %d: finishing in-flight requests, then stopping", signum
        )
        raise Interrupted(signum)

    # Ending.

    def end_of_input(self) -> None:
        """Wait until every event is settled, forward the last STATE, log the summary."""
        context = self.open_run()
        self.input.ended = True  # every record is read: what remains is counted
        if context.pipeline is not None:
            context.pipeline.wait_until_settled()
        if not self.stop.claim():
            # A stop thread got there first: its stop is the run's end (``delivering``
            # waits for it to finish, and the run exits non-zero).
            raise self.stop.cause or DeliveryStopped("stopped while the input ended")
        try:
            if self.stop.finishing:
                self._finish_at_daily_limit(t.cast("DailyLimitReached", self.stop.cause))
            else:
                self._finish()
        finally:
            self.stop.finished.set()
        if self._send_sample is not None:
            sent = context.pipeline.limit_delivered if context.pipeline else 0
            self._report.log_sample(context.checkpoints.received, sent, self._send_sample)

    def _finish_at_daily_limit(self, cause: DailyLimitReached) -> None:
        """The input is read; end well: answers in flight, the safe STATE, one warning."""
        context = self.open_run()
        deadline = time.monotonic() + self._grace()
        abandoned = self._let_in_flight_finish(context.pipeline)
        try:
            self._finish(None, deadline)  # a file not closed whole still fails the run
        except OutputFileError as failure:
            if abandoned:
                self._logger.error("%s", failure)  # noqa: TRY400 - one line, no traceback
                self._exit_now(1, failure)
            raise
        self._report.log_daily_limit(cause, context.checkpoints.unsettled, self._standing)
        if abandoned:
            self._exit_now(0, None)

    def _delivery_stopped(self, cause: DeliveryStopped) -> None:
        """Make sure a stop that a delivery thread asked for ends the run.

        The main thread may be blocked reading a quiet tap and never ask the pipeline
        again; a stop the main thread began (it has claimed it) needs no thread.
        """
        if self.stop.claimed:
            return

        if self.stop.finishing:
            return  # the main thread reads on and finishes at the end of input

        def stop_without_main_thread() -> None:
            threading.Event().wait(STOP_PICKUP_SECONDS)
            if self._stop(cause):
                self._logger.error("%s", cause)
                self._exit_now(1, cause)

        threading.Thread(target=stop_without_main_thread, name="gong-di-stop", daemon=True).start()

    def _stop(self, cause: DeliveryStopped) -> bool:
        """Send nothing new, let in-flight requests finish, forward the safe STATE, close.

        Runs once (False for any later caller), from the main thread or the stop thread.
        """
        if not self.stop.claim():
            # The other thread's stop is under way: let it finish before this caller exits
            # the process, or the last STATE could be cut off.
            self._wait_for_the_other_stop()
            return False
        try:
            return self._stop_once(cause)
        finally:
            self.stop.finished.set()

    def _wait_for_the_other_stop(self) -> None:
        self.stop.finished.wait(4 * self._settings.request_timeout_seconds)

    def _grace(self) -> float:
        """How long any one step of a stop may wait: for answers, for the STATE writer."""
        return 2 * self._settings.request_timeout_seconds

    def _stop_once(self, cause: DeliveryStopped) -> bool:
        if self._context is None:  # stopped before listening: nothing was opened
            return True
        pipeline = self._context.pipeline
        deadline = time.monotonic() + self._grace()  # for the whole stop, not for each step
        if pipeline is not None:
            pipeline.stop(cause)
        abandoned = self._let_in_flight_finish(pipeline)
        try:
            self._finish(cause, deadline)
            if isinstance(cause, Interrupted):
                self._logger.error(
                    "Stopped by signal; %s not settled and will be sent again when the tap "
                    "resumes from the last STATE forwarded",
                    records(self._context.checkpoints.unsettled),
                )
        finally:
            if abandoned:
                self._logger.error("%s", cause)
                self._exit_now(1, cause)
        return True

    def _let_in_flight_finish(self, pipeline: DeliveryPipeline | None) -> int:
        """Wait for the answers in flight, for the grace at most; how many never came."""
        grace = self._grace()
        if pipeline is None or pipeline.wait_idle(grace):
            return 0
        abandoned = pipeline.in_flight
        self._logger.warning(
            "Requests still unanswered after %.0fs: %d; stopping without them", grace, abandoned
        )
        return abandoned

    def _exit_now(self, code: int, cause: DeliveryStopped | None) -> t.NoReturn:
        """End the process without joining threads that still wait on the server."""
        if self._summary is not None:
            self._summary.write(code, cause)
        logging.shutdown()
        sys.stdout.flush()
        os._exit(code)

    def _close_ledger(self, context: RunContext, written: bool) -> dict[str, int] | None:
        """Release the run's pending claims and close the ledger; what is still pending.

        Only after the last STATE is ``written`` are confirmations flushed and pending
        records counted: a stop that gave up on the STATE writer leaves both to a later run.
        """
        pending: dict[str, int] | None = None
        try:
            if context.pending is not None and written:
                pending = context.pending.finish()
        except LedgerError as error:
            self._logger.warning("%s; the records pending are not counted", error)
        try:
            self._standing = context.ledger.standing()
            if self._summary is not None:
                self._summary.standing(self._standing)
        except LedgerError as error:
            self._logger.warning("%s; the run summary does not say what was spent", error)
        try:
            context.ledger.close(flush=written)
        except LedgerError as error:
            # The STATE already out is safe without these confirmations: Gong has the
            # events, and a later run settles each with a 409. The stop's cause is the error.
            self._logger.warning("%s; the last confirmations are not recorded", error)
        return pending

    def _finish(self, cause: DeliveryStopped | None = None, deadline: float | None = None) -> None:
        """Forward the last safe STATE and close everything, the run's ``cause`` of a stop.

        A stop finishes by its ``deadline``: a STATE writer still waiting on the ledger then
        is given up (the tap resumes from the STATE before), and the ledger is closed
        without a last flush. A file that cannot be closed whole fails a run that would
        otherwise succeed; in a run already stopping, it is logged beside the stop's own
        cause, if that is another.
        """
        context = self.open_run()

        def remaining() -> float:
            return self._grace() if deadline is None else max(0.0, deadline - time.monotonic())

        written = self._writer is None or self._writer.close(remaining())
        if not written:
            self._logger.warning(
                "The last STATE could not be written within %.0fs; the tap resumes from "
                "the one before it",
                self._grace(),
            )
        if context.pipeline is not None:
            context.pipeline.close(remaining())
        failure: OutputFileError | None = None
        for output in (context.dead_letters, context.dry_run):
            try:
                output.close()
            except OutputFileError as error:
                failure = failure or error
        pending = self._close_ledger(context, written)
        self._report.finish(
            self._settings.dead_letter_path,
            self._settings.dry_run_path if self._settings.dry_run else None,
            pending,
        )
        if self._settings.dry_run and cause is None:  # what a whole input needs, for planning
            requests = self._report.total("dry_run_written")
            self._logger.info("%s", backlog_line(requests, self._settings.daily_request_budget))
        if failure is None:
            return
        if cause is None:
            raise failure
        if str(failure) != str(cause):
            self._logger.error("%s", failure)

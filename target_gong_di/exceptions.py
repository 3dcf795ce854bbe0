"""Every error the target raises on purpose, under one base class.

A ``GongDIError`` ends the run with its one-line message and exit code 1, never a
traceback: each message already names the setting, stream, record or answer at fault.
``DeliveryStopped`` and its kinds stop a run that has started delivering; the run then
forwards the newest STATE whose records are all settled before it exits. A
``DailyLimitReached`` is the one kind that may end a run well (``on_daily_limit: finish``):
the day's requests are spent, which for a team with more events than Gong's quota is a
normal day, not a failure.
"""

from __future__ import annotations

import datetime as dt


class GongDIError(Exception):
    """Base of the target's own errors; the message is the whole story."""


class ConfigError(GongDIError, ValueError):
    """The config cannot work; each of ``errors`` names its setting."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class InputError(GongDIError, ValueError):
    """A line of the tap's output cannot be used; the run stops at it.

    Raised with what is wrong (``reason``); the reader adds where (``at``), so the one line
    names the input line and, where known, the stream.
    """

    def __init__(self, reason: str, *, line: int | None = None, stream: str | None = None) -> None:
        self.reason = reason
        self.line = line
        self.stream = stream
        where = [f"input line {line}"] if line is not None else []
        where += [f"stream {stream!r}"] if stream is not None else []
        super().__init__(": ".join([*where, reason]))

    def at(self, line: int, stream: str | None) -> InputError:
        """The same error, placed at ``line`` of ``stream`` unless it already knows better."""
        return type(self)(
            self.reason,
            line=self.line if self.line is not None else line,
            stream=self.stream if self.stream is not None else stream,
        )


class StreamSchemaError(InputError):
    """A stream's SCHEMA cannot be used to check its records."""


class MappingConfigError(GongDIError, ValueError):
    """A mapping in the config cannot work for a stream; raised before any record is sent."""


class RecordMappingError(GongDIError, ValueError):
    """One record could not be turned into a body; the record is dead-lettered."""


class TimestampError(GongDIError, ValueError):
    """The value cannot be read as a point in time."""


class ReplayError(GongDIError):
    """The dead-letter file cannot be replayed as asked."""


class DeliveryStopped(GongDIError):
    """The run cannot go on; no STATE past the unsettled events may be forwarded."""


class AuthRejected(DeliveryStopped):
    """Gong answered 401 or 403: wrong credentials, scope or base URL."""


class ConsentNeeded(DeliveryStopped):
    """Gong answered ``invalid_grant``: the refresh token is spent or revoked; consent again."""


class RetriesExhausted(DeliveryStopped):
    """An event kept failing (5xx, timeout, dropped connection) through every retry."""


class DailyLimitReached(DeliveryStopped):
    """The day's requests are spent: ``daily_request_budget``, or Gong's daily quota.

    ``limit`` names which, as the run summary's ``stop_reason`` says it ("<limit> reached");
    ``resets_at`` is when requests may be sent again, where known.
    """

    def __init__(self, message: str, *, limit: str, resets_at: dt.datetime | None) -> None:
        super().__init__(message)
        self.limit = limit
        self.resets_at = resets_at


GONG_QUOTA = "Gong's daily quota"
"""What ``QuotaExhausted.limit`` says."""


class QuotaExhausted(DailyLimitReached):
    """Gong asked to wait longer than ``max_retry_after_seconds``: its daily quota is spent.

    Also raised when the ledger remembers that answer and its time is still ahead.
    """

    def __init__(self, message: str, resets_at: dt.datetime | None) -> None:
        super().__init__(message, limit=GONG_QUOTA, resets_at=resets_at)


class ThrottledTooLong(DeliveryStopped):
    """Gong answered only short 429s for longer than ``max_retry_after_seconds``.

    Not the daily quota (Gong names that with one long Retry-After): a limit other
    integrations share, or a misbehaving proxy, so the run fails even with
    ``on_daily_limit: finish``.
    """


class TooManyRejected(DeliveryStopped):
    """More records were dead-lettered than ``max_rejected_records`` allows."""


class Interrupted(DeliveryStopped):
    """SIGTERM or SIGINT: finish what is in flight, checkpoint, stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


class LedgerError(DeliveryStopped):
    """The ledger cannot be opened or used; the text names ``ledger_url``, never its password.

    During a run that stops delivery: nothing may be sent that the ledger cannot record.
    """


class BudgetExhausted(DailyLimitReached):
    """One more request would exceed today's ``daily_request_budget`` for this ``api_url``."""

    def __init__(self, api_url: str, spent: int, budget: int, resets_at: dt.datetime) -> None:
        super().__init__(
            f"daily_request_budget={budget} for {api_url} is spent: {spent} requests today "
            f"(UTC); it resets at {resets_at:%Y-%m-%d %H:%M} UTC",
            limit="daily_request_budget",
            resets_at=resets_at,
        )
        self.api_url = api_url
        self.spent = spent
        self.budget = budget


class OutputFileError(DeliveryStopped):
    """The dead-letter file or the dry-run output could not be written or synced.

    The run stops: a record whose dead letter is not on disk, whole, is not settled, so no
    STATE may cover it. The text names the file and the cause (``No space left on
    device``), never just an errno.
    """


class LedgerUnreachable(DeliveryStopped):
    """The PostgreSQL ledger that paces every process failed or answered too slowly.

    Going on alone could start requests beyond the rate the processes share, so the run
    stops, with its STATE, instead.
    """

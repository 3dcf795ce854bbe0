"""Every error the target raises on purpose, under one base class.

A ``GongDIError`` ends the run with its one-line message and exit code 1, never a
traceback: each message already names the setting, stream, record or answer at fault.
``DeliveryStopped`` and its kinds stop a run that has started delivering; the run then
forwards the newest STATE whose records are all settled before it exits.
"""

from __future__ import annotations


class GongDIError(Exception):
    """Base of the target's own errors; the message is the whole story."""


class ConfigError(GongDIError, ValueError):
    """The config cannot work; each of ``errors`` names its setting."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class StreamSchemaError(GongDIError, ValueError):
    """A stream's SCHEMA cannot be used to check its records."""


class DeliveryStopped(GongDIError):
    """The run cannot go on; no STATE past the unsettled events may be forwarded."""


class AuthRejected(DeliveryStopped):
    """Gong answered 401 or 403: wrong credentials, scope or base URL."""


class ConsentNeeded(DeliveryStopped):
    """Gong answered ``invalid_grant``: the refresh token is spent or revoked; consent again."""


class RetriesExhausted(DeliveryStopped):
    """An event kept failing (5xx, timeout, dropped connection) through every retry."""


class QuotaExhausted(DeliveryStopped):
    """Gong asked to wait longer than ``max_retry_after_seconds`` (e.g. the daily quota)."""


class TooManyRejected(DeliveryStopped):
    """More records were dead-lettered than ``max_rejected_records`` allows."""


class Interrupted(DeliveryStopped):
    """SIGTERM or SIGINT: finish what is in flight, checkpoint, stop."""

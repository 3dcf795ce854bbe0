"""The run summary file (``run_summary_path``): what one run did, for an orchestrator to read.

Written after every run, also one that stopped or never started (a config error: then with
what can be known), as one JSON object that replaces the previous file atomically (a temp
file in the same directory, then ``os.replace``): a reader sees the old summary or the new
one, never half of one. A summary that cannot be written is a warning only: the run's exit
code and its own error stay what they are.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import threading
import typing as t

from target_gong_di.exceptions import DailyLimitReached, GongDIError, Interrupted
from target_gong_di.mapping import to_utc_iso
from target_gong_di.redaction import blank
from target_gong_di.run.files import new_run_id

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.ledger import Standing
    from target_gong_di.run.lifecycle import RunLifecycle
    from target_gong_di.run.report import RunReport

STREAM_FIELDS = (
    "delivered",
    "duplicates",
    "unchanged",
    "changed_after_delivery",
    "dead_lettered",
    "too_old",
    "not_sent",
    "retries",
    "throttled",
)
"""Each stream's figures in the summary, in this order."""


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return to_utc_iso(moment)


def stop_reason(error: BaseException | None) -> str | None:
    """Why a run stopped, in one sentence; None for a run that read its input to the end."""
    if error is None:
        return None
    if isinstance(error, DailyLimitReached):
        return f"{error.limit} reached"
    if isinstance(error, Interrupted):
        return f"interrupted by signal {error.signum}"
    errors = getattr(error, "errors", None)  # the SDK's ConfigValidationError lists each
    if errors:
        return "; ".join(map(str, errors))
    if isinstance(error, SystemExit):
        return None if error.code in (None, 0) else str(error.code)
    if isinstance(error, GongDIError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class RunSummary:
    """One invocation's summary: started when it starts, written once when it ends."""

    def __init__(
        self,
        path: str | None,
        logger: logging.Logger,
        *,
        secrets: t.Iterable[str] = (),
        budget: int | None = None,
    ) -> None:
        """``secrets``: values no text of the file may show; ``budget`` as configured."""
        self._path = path
        self._logger = logger
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._started = dt.datetime.now(dt.timezone.utc)
        self._lock = threading.Lock()
        self._written = False
        self.run_id = new_run_id()
        self._budget = budget
        self._report: RunReport | None = None
        self._run: RunLifecycle | None = None
        self._standing: Standing | None = None

    def attach(self, report: RunReport, path: str | None, run: RunLifecycle) -> None:
        """The run whose figures the summary tells.

        ``path`` is the one its settings say: they read the environment too, which the
        config as given may lack.
        """
        self._report = report
        self._path = path
        self._run = run

    def standing(self, standing: Standing) -> None:
        """Where the day's limits stood as the run closed its ledger."""
        self._standing = standing

    def write(self, exit_code: int, error: BaseException | None = None) -> None:
        """Write the summary, once: the first caller (the one that exits) wins."""
        with self._lock:
            if self._written or self._path is None:
                return
            self._written = True
        if error is None and self._run is not None:
            error = self._run.ended_well_at
        reason = stop_reason(error)
        summary = {
            "run_id": self.run_id,
            "started_at": _iso(self._started),
            "finished_at": _iso(dt.datetime.now(dt.timezone.utc)),
            "exit_code": exit_code,
            "stop_reason": None if reason is None else blank(reason, self._secrets),
            "requests": 0 if self._run is None else self._run.requests,
            "streams": self._streams(),
            **self._limits(),
        }
        try:
            self._replace(json.dumps(summary, indent=2) + "\n")
        except OSError as failure:
            self._logger.warning(
                "run_summary_path %s: the run summary could not be written: %s",
                self._path,
                failure.strerror or failure,
            )

    def _streams(self) -> dict[str, dict[str, int]]:
        if self._report is None:
            return {}
        streams = {}
        for name, stream_counts in sorted(self._report.streams.items()):
            counts = {**stream_counts.as_dict(), "not_sent": stream_counts.not_sent()}
            streams[name] = {each: counts[each] for each in STREAM_FIELDS}
        return streams

    def _limits(self) -> dict[str, t.Any]:
        standing = self._standing
        if standing is None:
            return {
                "budget": {"limit": self._budget, "spent_today": None, "resets_at": None},
                "quota_spent_until": None,
            }
        return {
            "budget": {
                "limit": standing.limit,
                "spent_today": standing.spent_today,
                "resets_at": _iso(standing.resets_at),
            },
            "quota_spent_until": _iso(standing.quota_spent_until),
        }

    def _replace(self, text: str) -> None:
        """``text`` as the file's whole content, atomically, in the file's own directory."""
        path = os.path.abspath(self._path or "")
        descriptor, temporary = tempfile.mkstemp(
            prefix=".run-summary-", suffix=".tmp", dir=os.path.dirname(path)
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

"""One pace for every process delivering to the same Gong company, kept in PostgreSQL.

Gong's limit (3 calls a second by default) holds for all of a company's integrations
together. When ``ledger_url`` is a PostgreSQL database, every process using it paces its
request starts through one row per ``api_url`` in ``gong_di_pacing``: the next free start
slot, until when a 429 paused everyone, and the pace (a share of the configured rate, lowered
by each 429 and regained over about a minute, as ``RateLimiter`` does in one process).

Why a "next free slot" row rather than pyrate-limiter's ``PostgresBucket``: the bucket counts
requests in a window and admits a window's quota at once, a burst each second that Gong's
sliding count answers with 429s, and it has no shared pause. The row spaces starts evenly
with one statement per request (one round trip; the row is locked only while that statement
runs, in autocommit), and a process reserves a slot only when its dispatcher has a request
ready, so none can book far ahead of the others: each busy process gets about its share, and
one killed with SIGKILL leaks at most its one reserved interval and holds no lock.

Times come from the database's clock (``clock_timestamp()``, as seconds since the epoch in
``clock.now``) and each process only uses
differences from the database's "now", so machines whose clocks disagree agree on the slots.
A 429 is told to the others at once by ``NOTIFY``: a process that reserved its slot before
the pause gives it up and takes one after it, as ``RateLimiter`` does between threads.
"""

from __future__ import annotations

import threading
import typing as t

from target_gong_di.delivery.pacing import RATE_MARGIN, RECOVERY_PER_SECOND, SLOWDOWN
from target_gong_di.exceptions import LedgerError, LedgerUnreachable
from target_gong_di.ledger import (
    POSTGRES_SCHEMES,
    POSTGRES_STATEMENT_TIMEOUT_SECONDS,
    SETTING,
    bounded,
    open_ledger,
    postgres_connect,
)
from target_gong_di.redaction import redact, redact_url

if t.TYPE_CHECKING:
    import psycopg

STATEMENT_TIMEOUT_SECONDS = POSTGRES_STATEMENT_TIMEOUT_SECONDS
"""Longest wait for the pacing row (or the server) before the run stops: one UPDATE takes
well under a millisecond, so a wait this long means the database is down or overloaded."""
LISTEN_POLL_SECONDS = 0.5
"""How often the pause listener looks up from its socket to see whether it should close."""
PAUSE_CHANNEL = "gong_di_pause"

JOIN = """
    INSERT INTO gong_di_pacing (api_url, next_slot, paused_until, pace, pace_at)
    SELECT %(api_url)s, now, now, 1.0, now
    FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS now) AS clock
    ON CONFLICT (api_url) DO NOTHING
"""
"""The row of ``api_url``, made by the first process that paces requests to it."""

RESERVE = """
    UPDATE gong_di_pacing AS p SET
        pace = least(1.0, p.pace + %(recovery)s * greatest(0.0, clock.now - p.pace_at)),
        pace_at = clock.now,
        next_slot = greatest(p.next_slot, clock.now) + %(interval)s
            / least(1.0, p.pace + %(recovery)s * greatest(0.0, clock.now - p.pace_at))
    FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS now) AS clock
    WHERE p.api_url = %(api_url)s
    RETURNING p.next_slot - %(interval)s / p.pace - clock.now, p.pace
"""
"""Take the next free slot and move it on by one interval at the pace now (the stored pace
plus what the time since it was set gives back); the seconds from the database's now until
the slot taken, and the pace."""

PAUSE = """
    WITH paused AS (
        UPDATE gong_di_pacing AS p SET
            pace = CASE WHEN now < p.paused_until THEN p.pace
                ELSE least(1.0, p.pace + %(recovery)s * greatest(0.0, now - p.pace_at))
                    / %(slowdown)s END,
            pace_at = CASE WHEN now < p.paused_until THEN p.pace_at ELSE now END,
            paused_until = greatest(p.paused_until, now + %(retry_after)s),
            next_slot = greatest(p.next_slot, now + %(retry_after)s)
        FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS now) AS clock
        WHERE p.api_url = %(api_url)s
        RETURNING p.pace
    )
    SELECT pace, pg_notify(%(channel)s, %(api_url)s) FROM paused
"""
"""A 429: no slot before ``retry_after`` from now. Only the first 429 of a pause slows the
pace (later ones were already in flight when it began); every listening process hears."""


def shares_pace(ledger_url: str) -> bool:
    """Whether ``ledger_url`` is a PostgreSQL database, whose processes share one pace."""
    return ledger_url.split(":", 1)[0].lower() in POSTGRES_SCHEMES


class SharedRateLimiter:
    """``RateLimiter``'s interface, with the slots and pauses shared through PostgreSQL.

    Every process using the same ledger and ``api_url`` together starts requests just under
    ``rate`` per second, evenly spaced, and all of them pause after any one's 429. A database
    that fails or answers slower than ``STATEMENT_TIMEOUT_SECONDS`` raises
    ``LedgerUnreachable``: no request starts without its slot.
    """

    def __init__(self, url: str, api_url: str, rate: float, stopped: threading.Event) -> None:
        import psycopg  # noqa: PLC0415 - only ledgers on PostgreSQL need it loaded

        self._url = url
        self._shown_url = redact_url(url)
        self._api_url = api_url
        self._max_rate = rate
        self._pace = 1.0
        self._stopped = stopped
        self._closed = threading.Event()
        self._lock = threading.Lock()  # the dispatcher reserves, workers report 429s
        self._pauses = 0
        """Pauses heard of so far: a slot reserved before a pause began is given up."""
        self._listen_error: psycopg.Error | None = None
        open_ledger(url).close()  # creates or upgrades the tables on first use
        try:
            self._connection = self._connect()
            self._listener = self._connect()
            with bounded(self._listener):
                self._listener.execute(f"LISTEN {PAUSE_CHANNEL}")
            with bounded(self._connection):
                self._connection.execute(JOIN, {"api_url": api_url})
        except psycopg.Error as error:
            raise LedgerError(self._describe(error)) from None
        self._listening = threading.Thread(
            target=self._listen, name="gong-di-pause-listener", daemon=True
        )
        self._listening.start()

    @property
    def rate(self) -> float:
        """The shared pace now, in requests per second (below the configured one after 429s)."""
        return self._max_rate * self._pace

    def acquire(self) -> bool:
        """Block until this process may start a request; False when stopped meanwhile.

        A slot taken before a pause began (here or in another process) is given up and
        taken again after it.
        """
        while not self._stopped.is_set():
            pauses = self._pauses
            wait = self._reserve()
            if wait > 0:
                self._stopped.wait(wait)
            if self._listen_error is not None:
                raise self._unreachable(self._listen_error)
            if self._pauses == pauses and not self._stopped.is_set():
                return True
        return False

    def throttled(self, retry_after: float) -> None:
        """A 429: no process starts before ``retry_after`` seconds from now, then slower."""
        with self._lock:
            self._pauses += 1
            self._execute(
                PAUSE,
                {
                    "api_url": self._api_url,
                    "retry_after": retry_after,
                    "slowdown": SLOWDOWN,
                    "recovery": RECOVERY_PER_SECOND,
                    "channel": PAUSE_CHANNEL,
                },
            )

    def close(self) -> None:
        """Stop listening and close both connections; nothing stays reserved or locked."""
        self._closed.set()
        self._listening.join()
        self._listener.close()
        self._connection.close()

    def _reserve(self) -> float:
        """Take the next free slot; seconds from now until it (0 or less: go now)."""
        with self._lock:
            wait, self._pace = self._execute(
                RESERVE,
                {
                    "api_url": self._api_url,
                    "interval": (1.0 + RATE_MARGIN) / self._max_rate,
                    "recovery": RECOVERY_PER_SECOND,
                },
            )
        return float(wait)

    def _execute(self, sql: str, params: dict[str, t.Any]) -> tuple[t.Any, ...]:
        import psycopg  # noqa: PLC0415 - only ledgers on PostgreSQL need it loaded

        try:
            with bounded(self._connection):
                row = self._connection.execute(sql, params).fetchone()
        except psycopg.Error as error:
            raise self._unreachable(error) from None
        if row is None:  # someone deleted it: the others no longer see this process's slots
            raise self._unreachable(LookupError(f"gong_di_pacing has no row for {self._api_url}"))
        return row

    def _listen(self) -> None:
        """Count the pauses other processes announce for this ``api_url`` (own ones too)."""
        import psycopg  # noqa: PLC0415 - only ledgers on PostgreSQL need it loaded

        try:
            while not self._closed.is_set():
                for notice in self._listener.notifies(timeout=LISTEN_POLL_SECONDS):
                    if notice.payload == self._api_url:
                        with self._lock:
                            self._pauses += 1
        except psycopg.Error as error:
            if not self._closed.is_set():
                self._listen_error = error

    def _connect(self) -> psycopg.Connection[t.Any]:
        """An autocommit connection whose statements are bounded as the ledger's are."""
        return postgres_connect(self._url)

    def _describe(self, error: Exception) -> str:
        """``error`` after the ledger's URL, without its password."""
        return f"{SETTING} {self._shown_url}: {redact(str(error).strip(), self._url)}"

    def _unreachable(self, error: Exception) -> LedgerUnreachable:
        return LedgerUnreachable(
            f"{self._describe(error)}; the pace shared with other processes is out of reach, "
            "so the run stops rather than start requests outside it"
        )

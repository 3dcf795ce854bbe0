"""How fast and how wide requests go: evenly spaced starts, and a concurrency that sizes itself.

``RateLimiter`` keeps starts just under ``max_requests_per_second`` for the whole process,
with one shared pause after a 429. ``ConcurrencySizer`` decides how many requests may be in
flight: by Little's law the rate needs ``rate * latency`` of them, so it follows the latency
it observes (with headroom), and halves its ceiling when timeouts or 5xx cluster, a sign
that more requests at once would only make things worse. ``max_concurrency`` is its cap.
"""

from __future__ import annotations

import collections
import math
import threading
import time
import typing as t

from target_gong_di.exceptions import ThrottledTooLong

RATE_MARGIN = 0.025
"""Share of the ceiling left unused. Starts spaced at exactly 1/rate put every second-long
window of arrivals right at the limit, so any jitter on the way (a thread waiting for the
GIL, the network) lets one window see rate + 1 requests and earns a 429 and a pause."""


SLOWDOWN = 1.1
"""A 429 divides the pace by this: the limit is shared (other integrations, other pipelines),
so the room left is below what was configured, and every 429 is a request spent on nothing."""
RECOVERY_PER_SECOND = 0.001
"""Share of the configured rate regained per second without a 429: back to full in about a
minute and a half, so a limit 10% below the configured rate costs one 429 (and its pause)
about every 25 s."""


class Pacer(t.Protocol):
    """What the pipeline asks of a limiter.

    ``RateLimiter`` paces one process; ``shared_pacing.SharedRateLimiter`` every process
    on one PostgreSQL ledger.
    """

    @property
    def rate(self) -> float:
        """The pace now, in requests per second."""

    def acquire(self) -> bool:
        """Block until a request may start; False when stopped meanwhile."""

    def throttled(self, retry_after: float) -> None:
        """A 429: nobody starts before ``retry_after`` seconds from now, then slower."""

    def close(self) -> None:
        """Release what the limiter holds."""


class RateLimiter:
    """Spaces request starts evenly, just under ``rate`` per second, across all threads.

    ``throttled`` holds every request back after a 429, not only the one that got it, and
    slows the pace until a minute without 429s brings it back to the configured rate.
    """

    def __init__(self, rate: float, stopped: threading.Event) -> None:
        self._max_rate = rate
        self._rate = rate
        self._updated = time.monotonic()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._stopped = stopped

    @property
    def rate(self) -> float:
        """The pace now, in requests per second (below the configured one after a 429)."""
        return self._rate

    def acquire(self) -> bool:
        """Block until this caller may start a request; False when stopped meanwhile.

        A slot taken before a pause began is given up and taken again after it.
        """
        while not self._stopped.is_set():
            with self._lock:
                now = time.monotonic()
                self._recover(now)
                slot = max(now, self._next_slot)
                self._next_slot = slot + (1.0 + RATE_MARGIN) / self._rate
            if slot > now:
                self._stopped.wait(slot - now)
            if time.monotonic() >= self._paused_until and not self._stopped.is_set():
                return True
        return False

    def _recover(self, now: float) -> None:
        regained = self._max_rate * RECOVERY_PER_SECOND * (now - self._updated)
        self._rate = min(self._max_rate, self._rate + regained)
        self._updated = now

    def throttled(self, retry_after: float) -> None:
        """A 429: nobody starts before ``retry_after`` seconds from now, then at a slower pace.

        Requests that were already in flight when the pause began answer 429 too; only the
        first of them slows the pace.
        """
        with self._lock:
            now = time.monotonic()
            if now >= self._paused_until:
                self._recover(now)
                self._rate /= SLOWDOWN
            self._paused_until = max(self._paused_until, now + retry_after)
            self._next_slot = max(self._next_slot, self._paused_until)

    def close(self) -> None:
        """Nothing to release: the pace lives in this process only."""


HEADROOM = 1.5
"""In flight beyond what the mean latency needs: latency varies, and a slow answer must not
leave the rate's next slot without a free request."""
LATENCY_WEIGHT = 0.2
"""Weight of the newest answer in the latency average: follows a change within ~10 answers."""
FAILURE_WINDOW = 20
FAILURE_SHARE = 0.25
"""A cluster: this share of failures (timeouts, dropped connections, 5xx) among the last
``FAILURE_WINDOW`` answers."""


class ConcurrencySizer:
    """How many requests may be in flight now, from the rate and the observed latency."""

    def __init__(self, rate: float, cap: int) -> None:
        self._rate = rate
        self._cap = cap
        self._latency: float | None = None
        self._ceiling = float(cap)
        self._recent: collections.deque[bool] = collections.deque(maxlen=FAILURE_WINDOW)
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        """Requests allowed in flight: one until the first answer says what latency is."""
        with self._lock:
            if self._latency is None:
                return 1
            needed = math.ceil(self._rate * self._latency * HEADROOM) + 1
            return max(1, min(self._cap, needed, math.floor(self._ceiling)))

    @property
    def latency(self) -> float | None:
        """The running mean of request latency in seconds, once one answer came."""
        return self._latency

    def observe(self, seconds: float, *, failed: bool) -> None:
        """One answer (or failure) that took ``seconds``."""
        with self._lock:
            if self._latency is None:
                self._latency = seconds
            else:
                self._latency += LATENCY_WEIGHT * (seconds - self._latency)
            self._recent.append(failed)
            if failed and len(self._recent) == FAILURE_WINDOW:
                if sum(self._recent) >= FAILURE_SHARE * FAILURE_WINDOW:
                    self._ceiling = max(1.0, self._ceiling / 2)
                    self._recent.clear()
            elif not failed:
                # Additive increase: about one more request in flight per ceiling's answers.
                self._ceiling = min(float(self._cap), self._ceiling + 1 / self._ceiling)


class ThrottleStreak:
    """How long Gong has answered nothing but 429 since it last settled or refused an event.

    Each 429 pauses the run for its ``Retry-After``; a short one (1 s, or a negative value
    read as the default) never reaches ``max_retry_after_seconds``, so without this a limit
    that does not lift (a daily quota announced with a short wait, a share other
    integrations spend) would be retried for ever. The length of the streak is what the
    pipeline compares with ``max_retry_after_seconds`` instead.
    """

    def __init__(self) -> None:
        self._started: float | None = None
        self._lock = threading.Lock()  # answers arrive on every worker thread

    def throttled(self, now: float) -> float:
        """One more 429, at monotonic ``now``: seconds since the streak's first one."""
        with self._lock:
            if self._started is None:
                self._started = now
            return now - self._started

    def answered(self) -> None:
        """Gong settled or refused an event: the streak, if any, is over."""
        with self._lock:
            self._started = None

    def raise_if_too_long(self, now: float, retry_after: float, limit: float, url: str) -> None:
        """One more 429 (``throttled``); ``ThrottledTooLong`` once the streak outlasts ``limit``.

        Each short ``Retry-After`` is within ``max_retry_after_seconds`` (``limit``), but a
        streak of them longer than that, with no event settled or refused in between, is a
        limit this run cannot wait out: it stops, checkpointed, and fails (it is not Gong's
        daily quota, which says so with one long Retry-After).
        """
        streak = self.throttled(now)
        if streak > limit:
            raise ThrottledTooLong(
                f"Gong answered only HTTP 429 for {streak:.1f}s, more than "
                f"max_retry_after_seconds={limit:g}, with no event accepted in between "
                f"(the last wait {retry_after:g}s) at {url}: likely the daily quota, or a "
                "limit other integrations share; rerun later from the last STATE"
            )

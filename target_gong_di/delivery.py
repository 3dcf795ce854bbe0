"""Sends bodies to ``POST {api_url}/v2/digital-interaction`` and says how each one ended.

One ``GongClient`` serves the whole process: one connection pool, one thread pool of
``max_concurrency`` workers and one ``RateLimiter``, so every stream and every retry
shares Gong's per-company limit. Each body ends as an ``Outcome`` (delivered, duplicate
or rejected) or the run stops with an exception and forwards no STATE past it.
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
import typing as t
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

from target_gong_di.encoding import to_json
from target_gong_di.event_schema import ENDPOINT

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.settings import Settings

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
DEFAULT_RETRY_AFTER_SECONDS = 1.0
RETRY_AFTER_CEILING_SECONDS = 366 * 24 * 3600.0
ERROR_TEXT_LIMIT = 500
"""Characters kept of each error text an answer carries (a proxy may answer a whole page)."""


class DeliveryStopped(Exception):
    """The run cannot go on; no STATE past the undelivered events may be forwarded."""


class AuthRejected(DeliveryStopped):
    """Gong answered 401 or 403: wrong credentials, scope or base URL."""


class RetriesExhausted(DeliveryStopped):
    """An event kept failing (5xx, timeout, dropped connection) through every retry."""


class QuotaExhausted(DeliveryStopped):
    """Gong asked to wait longer than ``max_retry_after_seconds`` (e.g. the daily quota)."""


@dataclass(frozen=True)
class Outcome:
    """How one body ended, with what it cost on the way."""

    status: t.Literal["delivered", "duplicate", "rejected"]
    request_id: str | None = None
    errors: tuple[str, ...] = ()
    retries: int = 0
    throttled: int = 0


RATE_MARGIN = 0.025
"""Share of the ceiling left unused. Starts spaced at exactly 1/rate put every second-long
window of arrivals right at the limit, so any jitter on the way (a thread waiting for the
GIL, the network) lets one window see rate + 1 requests and earns a 429 and a pause."""


class RateLimiter:
    """Spaces request starts evenly, just under ``rate`` per second, across all threads.

    ``pause_until`` holds every thread back after a 429, not only the one that got it.
    """

    def __init__(self, rate: float, stopped: threading.Event) -> None:
        self._interval = (1.0 + RATE_MARGIN) / rate
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._stopped = stopped

    def acquire(self) -> None:
        """Block until this caller may start a request, or the client stops.

        A slot taken before a pause began is given up and taken again after it.
        """
        while not self._stopped.is_set():
            with self._lock:
                now = time.monotonic()
                slot = max(now, self._next_slot)
                self._next_slot = slot + self._interval
            if slot > now:
                self._stopped.wait(slot - now)
            if time.monotonic() >= self._paused_until:
                return

    def pause_until(self, moment: float) -> None:
        """No request starts before ``moment`` (``time.monotonic`` clock)."""
        with self._lock:
            self._paused_until = max(self._paused_until, moment)
            self._next_slot = max(self._next_slot, moment)


def retry_after_seconds(header: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Bounded to a year, so that ``inf`` or ``1e20`` still makes a readable resume time.
    """
    if not header:
        return DEFAULT_RETRY_AFTER_SECONDS
    try:
        seconds = float(header)
    except ValueError:
        pass
    else:
        return DEFAULT_RETRY_AFTER_SECONDS if math.isnan(seconds) else _bounded(seconds)
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_SECONDS
    return _bounded(moment.timestamp() - time.time())


def _bounded(seconds: float) -> float:
    return min(max(0.0, seconds), RETRY_AFTER_CEILING_SECONDS)


def _answer(response: requests.Response) -> tuple[str | None, tuple[str, ...]]:
    """``requestId`` and ``errors`` from a Gong answer, tolerating non-JSON bodies."""
    try:
        payload = response.json()
    except ValueError:
        payload = response.text
    if not isinstance(payload, dict):
        return None, (str(payload),) if payload else ()
    return payload.get("requestId"), tuple(map(str, payload.get("errors") or ()))


class GongClient:
    """Delivers bodies concurrently under one rate limit, with retries."""

    def __init__(self, settings: Settings, logger: logging.Logger) -> None:
        if settings.auth is None:
            raise ValueError("GongClient needs credentials; dry runs do not use it")
        self._settings = settings
        self._logger = logger
        self._url = settings.api_url + ENDPOINT
        self._secrets = settings.auth.secrets  # longest first: the header before its parts
        self._stopped = threading.Event()
        self._limiter = RateLimiter(settings.max_requests_per_second, self._stopped)
        self._stop_lock = threading.Lock()
        self._stop_cause: DeliveryStopped | None = None
        self._in_flight = 0
        self._answered = False
        self._idle = threading.Condition()
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=settings.max_concurrency)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers.update(
            {"Authorization": settings.auth.header, "Content-Type": "application/json"}
        )
        self._pool = ThreadPoolExecutor(
            max_workers=settings.max_concurrency, thread_name_prefix="gong-di"
        )

    def send_all(
        self,
        bodies: t.Sequence[t.Mapping[str, t.Any]],
        on_outcome: t.Callable[[int, Outcome], None],
    ) -> None:
        """Send every body, concurrently; ``on_outcome(index, outcome)`` runs as each ends.

        The run's very first request goes alone. Returns once every body has its outcome.
        The first ``DeliveryStopped`` stops all further requests; requests already in flight
        finish (and report) before it is raised.
        """
        if self._stop_cause is not None:
            raise self._stop_cause

        def deliver(index: int) -> None:
            on_outcome(index, self.send(bodies[index]))

        first = 0
        if not self._answered and bodies:
            # The run's first request goes alone: wrong credentials cost one 401, not one per
            # worker, and a wrong base URL is reported before anything else is tried.
            self._finish(self._submit(deliver, range(1)))
            self._answered = True
            first = 1
        self._finish(self._submit(deliver, range(first, len(bodies))))

    def _submit(self, deliver: t.Callable[[int], None], indexes: range) -> list[Future[None]]:
        try:
            return [self._pool.submit(deliver, index) for index in indexes]
        except RuntimeError:  # a worker's stop shut the pool while these were submitted
            if self._stop_cause is None:
                raise
            raise self._stop_cause from None

    def _finish(self, futures: list[Future[None]]) -> None:
        """Wait for ``futures``; raise the stop cause, or the first unexpected error."""
        _, pending = wait(futures, return_when=FIRST_EXCEPTION)
        # Cancelled futures never count as done for wait(): wait only for running ones.
        wait([future for future in pending if not future.cancel()])
        if self._stop_cause is not None:
            raise self._stop_cause
        for future in futures:
            if not future.cancelled() and future.exception() is not None:
                raise t.cast("BaseException", future.exception())

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered."""
        return self._in_flight

    def stop(self, reason: DeliveryStopped) -> None:
        """Start no new request; ``send_all`` raises ``reason`` once in-flight ones end."""
        with self._stop_lock:
            if self._stop_cause is None:
                self._stop_cause = reason
        self._stopped.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no request is in flight, or ``timeout`` seconds; True when idle.

        ``request_timeout_seconds`` bounds each wait for a byte, not a whole answer: a server
        trickling one out could otherwise hold a stopping run forever.
        """
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def send(self, body: t.Mapping[str, t.Any]) -> Outcome:
        """Send one body, retrying as the answer calls for; a stop stops every thread."""
        try:
            return self._send(body)
        except DeliveryStopped as error:
            self.stop(error)
            raise

    def _send(self, body: t.Mapping[str, t.Any]) -> Outcome:
        payload = to_json(body)
        retries = throttled = 0
        while True:
            self._limiter.acquire()
            if self._stopped.is_set():
                raise DeliveryStopped("delivery stopped before this event was sent")
            try:
                response = self._post(payload)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as error:
                # The request may have arrived: a later 409 then means it was delivered.
                retries = self._backoff(retries, body, f"{type(error).__name__}")
                continue
            except requests.RequestException as error:
                # An invalid header's text shows the header escaped, past redaction: omit it.
                detail = (
                    ""
                    if isinstance(error, requests.exceptions.InvalidHeader)
                    else (f": {self._redacted(str(error))}")
                )
                raise DeliveryStopped(
                    f"the request for eventId {body.get('eventId')!r} to {self._url} could not "
                    f"be made: {type(error).__name__}{detail}"
                ) from None
            status = response.status_code
            if status < 300:
                return Outcome("delivered", _answer(response)[0], (), retries, throttled)
            if status == 409:  # also after a lost reply: settled, counted as a duplicate
                return Outcome("duplicate", _answer(response)[0], (), retries, throttled)
            if status == 400:
                request_id, errors = self._answer(response)
                return Outcome("rejected", request_id, errors, retries, throttled)
            if status in {401, 403}:
                raise self._auth_error(response)
            if status == 429:
                throttled += 1
                self._wait_retry_after(response)
                continue
            if status >= 500 or status == 408:
                retries = self._backoff(retries, body, f"HTTP {status}")
                continue
            request_id, errors = self._answer(response)
            if 300 <= status < 400:
                location = self._redacted(response.headers.get("Location") or "")
                errors = (
                    f"a redirect to {location!r}, which is not followed: "
                    "api_url must be the base URL Gong's API answers at",
                )
            raise DeliveryStopped(
                f"Gong answered HTTP {status} for eventId {body.get('eventId')!r} at "
                f"{self._url} (requestId {request_id}): {'; '.join(errors)}"
            )

    def _post(self, payload: bytes) -> requests.Response:
        with self._idle:
            self._in_flight += 1
        try:
            return self._session.post(
                self._url,
                data=payload,
                timeout=self._settings.request_timeout_seconds,
                allow_redirects=False,  # a redirected POST turns into a GET that "succeeds"
            )
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _backoff(self, retries: int, body: t.Mapping[str, t.Any], reason: str) -> int:
        """Sleep before the next retry, or raise when ``max_retries`` are used up."""
        if retries >= self._settings.max_retries:
            raise RetriesExhausted(
                f"eventId {body.get('eventId')!r} failed after {retries} retries "
                f"(last: {reason}) at {self._url}; nothing after it is checkpointed, "
                "so rerunning from the last STATE resends it"
            )
        delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**retries)
        delay *= random.uniform(0.5, 1.5)
        self._logger.info(
            "Retrying eventId %r in %.1fs after %s", body.get("eventId"), delay, reason
        )
        self._stopped.wait(delay)  # a stop cuts the wait short
        return retries + 1

    def _wait_retry_after(self, response: requests.Response) -> None:
        wait_seconds = retry_after_seconds(response.headers.get("Retry-After"))
        if wait_seconds > self._settings.max_retry_after_seconds:
            resume = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + wait_seconds))
            raise QuotaExhausted(
                f"Gong's rate limit asks to wait {wait_seconds:.0f}s (more than "
                f"max_retry_after_seconds={self._settings.max_retry_after_seconds:g}), "
                f"likely the daily quota; resume after {resume}"
            )
        self._logger.info("HTTP 429: all requests wait %.1fs (Retry-After)", wait_seconds)
        self._limiter.pause_until(time.monotonic() + wait_seconds)

    def _auth_error(self, response: requests.Response) -> AuthRejected:
        assert self._settings.auth is not None
        request_id, errors = self._answer(response)
        return AuthRejected(
            f"Gong refused the credentials with HTTP {response.status_code} "
            f"({self._settings.auth.description}, api_url {self._settings.api_url}, "
            f"requestId {request_id}): {'; '.join(errors)}. Check the "
            "credentials and their api:digital-interactions:write scope, and that api_url "
            "is your company's own base URL: a wrong base URL also answers 401."
        )

    def _answer(self, response: requests.Response) -> tuple[str | None, tuple[str, ...]]:
        """``requestId`` and ``errors`` of a refusal, with any credential it echoes blanked."""
        request_id, errors = _answer(response)
        if not errors:
            return request_id, (f"HTTP {response.status_code} with no error text",)
        return request_id, tuple(self._redacted(error)[:ERROR_TEXT_LIMIT] for error in errors)

    def _redacted(self, text: str) -> str:
        """``text`` without the Authorization header's value, the secret or the token."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def close(self) -> None:
        """Release the connections, waiting for in-flight requests unless delivery stopped."""
        self._pool.shutdown(wait=not self._stopped.is_set(), cancel_futures=True)
        self._session.close()

"""What Gong's answer to one request means, and when to try again: pure functions, no I/O.

``classify`` turns a status, headers and body into a ``Verdict``; ``RetryPolicy`` (a small
immutable object, as urllib3's ``Retry``) says how long to back off and when to give up.
``transient_status`` and ``transient_error`` are the one rule of which answers and which
failures to get one may come out otherwise if asked again: the client (for deliveries) and
the OAuth tokens (for the token endpoint) both follow it. The client that sends requests
and the pipeline that schedules them act on these; keeping the decisions here lets them be
read, and tested, without a server.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import time
import typing as t
from dataclasses import dataclass

import requests

DEFAULT_RETRY_AFTER_SECONDS = 1.0
RETRY_AFTER_CEILING_SECONDS = 366 * 24 * 3600.0
MAX_ERRORS = 50
"""Errors kept of one answer: a 400 listing 200,000 must not fill memory or a dead letter."""
TOO_LARGE = (
    "(body): HTTP 413, too large for Gong; lower max_body_bytes to dead-letter such bodies "
    "before they are sent"
)
"""A 413's error: its text is a proxy's HTML page (nginx answers before Gong), not Gong's."""
FIRST_BYTES = 200
"""Characters of a 2xx that is not Gong's answer shown when the run stops, to tell what it is."""
TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
"""Failures after which the request may or may not have arrived: retried (a 409 then settles)."""


@dataclass(frozen=True)
class Settled:
    """Gong has the event: 2xx (``delivered``) or 409, already there (``duplicate``)."""

    status: t.Literal["delivered", "duplicate"]
    request_id: str | None


@dataclass(frozen=True)
class Refused:
    """400 or 413: Gong will never take this body; the record is dead-lettered with ``errors``.

    A 413 (too large) refuses the body as surely as a 400: stopping the run at it would stop
    every rerun at the same record, with no STATE past it.
    """

    request_id: str | None
    errors: tuple[str, ...]


@dataclass(frozen=True)
class TryAgain:
    """Send the same body again, after a 429's wait for everyone, or a backoff for one.

    ``retry_after`` is set for a 429 (every request waits); None means 5xx, 408, a dropped
    connection or a timeout: this event alone backs off, and since the request may have
    arrived, a later 409 counts as delivered.
    """

    reason: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Stop:
    """The run cannot go on.

    ``kind`` says why (``auth``, ``quota``, ``redirect``, ``unexpected``), ``detail`` what
    Gong said, before any credential in it is blanked.
    """

    kind: t.Literal["auth", "quota", "redirect", "unexpected"]
    status: int
    request_id: str | None
    detail: str
    retry_after: float | None = None


Verdict = Settled | Refused | TryAgain | Stop


@dataclass(frozen=True)
class RetryPolicy:
    """How one event is retried: exponential backoff with jitter, bounded in count and size.

    ``max_retry_after`` is the longest ``Retry-After`` waited out; a longer one is Gong's
    daily quota talking, and stops the run instead.
    """

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 300.0

    def exhausted(self, retries: int) -> bool:
        """True when ``retries`` already made leave no further try."""
        return retries >= self.max_retries

    def backoff(
        self, retries: int, jitter: t.Callable[[float, float], float] = random.uniform
    ) -> float:
        """Seconds before retry number ``retries + 1``: base·2ⁿ, capped, ±50% jitter."""
        return min(self.backoff_max, self.backoff_base * 2**retries) * jitter(0.5, 1.5)


def transient_status(status: int) -> bool:
    """Whether an answer with ``status`` may be another if asked again: 5xx, 408 or 429."""
    return status >= 500 or status in {408, 429}


def transient_error(error: BaseException) -> bool:
    """Whether a request that failed with ``error`` (no answer came) is worth sending again.

    A dropped connection, a timeout or a body cut off or undecodable on the way
    (``TRANSPORT_ERRORS``); any other ``requests`` failure, an invalid URL or header, fails
    the same way every time. An ``SSLError`` is a ``ConnectionError`` to requests: the client
    stops at one before asking, since the same certificate fails every retry.
    """
    return isinstance(error, TRANSPORT_ERRORS)


def classify(status: int, headers: t.Mapping[str, str], text: str, policy: RetryPolicy) -> Verdict:
    """What an HTTP answer to ``POST /v2/digital-interaction`` means for its event.

    Only Gong's own 2xx (JSON with a ``requestId``) is a delivery: a captive portal, proxy or
    firewall answering 200 with a page or nothing has not passed the event on, and counting
    it as delivered would let STATE and the ledger skip it for good.
    """
    if status < 300:
        request_id = _request_id(text)
        if request_id is None:
            return Stop("unexpected", status, None, _not_gong(headers, text))
        return Settled("delivered", request_id)
    if status == 409:  # also after a lost reply: the first try arrived
        return Settled("duplicate", _request_id(text))
    if status == 400:
        request_id, errors = gong_errors(text)
        return Refused(request_id, errors or (f"HTTP {status} with no error text",))
    if status == 413:
        return Refused(_request_id(text), (TOO_LARGE,))
    if status == 429:
        wait = retry_after_seconds(headers.get("Retry-After"))
        if wait > policy.max_retry_after:
            return Stop("quota", status, _request_id(text), "", wait)
        return TryAgain("HTTP 429", wait)
    if transient_status(status):
        return TryAgain(f"HTTP {status}")
    request_id, errors = gong_errors(text)
    if status in {401, 403}:
        return Stop("auth", status, request_id, "; ".join(errors))
    if 300 <= status < 400:
        return Stop("redirect", status, request_id, headers.get("Location") or "")
    return Stop("unexpected", status, request_id, "; ".join(errors))


def gong_errors(text: str) -> tuple[str | None, tuple[str, ...]]:
    """``requestId`` and ``errors`` of a Gong answer, tolerating non-JSON bodies."""
    try:
        payload = json.loads(text)
    except ValueError:
        payload = text
    if not isinstance(payload, dict):
        return None, (str(payload),) if payload else ()
    errors = payload.get("errors") or ()
    if not isinstance(errors, list | tuple):
        errors = (errors,)
    request_id = payload.get("requestId")
    return (
        str(request_id) if request_id not in (None, "") else None,
        tuple(map(str, errors[:MAX_ERRORS])),
    )


def _request_id(text: str) -> str | None:
    return gong_errors(text)[0] if text else None


def _not_gong(headers: t.Mapping[str, str], text: str) -> str:
    """Why a 2xx is not taken as Gong's confirmation, with what came instead."""
    content_type = headers.get("Content-Type") or "none"
    first = repr(text[:FIRST_BYTES]) if text else "an empty body"
    return (
        f"not Gong's answer (no requestId; Content-Type {content_type}; first bytes {first}), "
        "so nothing is counted as delivered: a proxy, captive portal or firewall may be in "
        "the way of api_url"
    )


def retry_after_seconds(header: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    A negative value (or a date already past) or an unreadable one waits the default:
    taken as "no wait", it would send again at once, 429 after 429. Bounded to a year, so
    that ``inf`` or ``1e20`` still makes a readable resume time.
    """
    if not header:
        return DEFAULT_RETRY_AFTER_SECONDS
    try:
        seconds = float(header)
    except ValueError:
        pass
    else:
        return _bounded(seconds)
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_SECONDS
    return _bounded(moment.timestamp() - time.time())


def _bounded(seconds: float) -> float:
    if math.isnan(seconds) or seconds < 0:
        return DEFAULT_RETRY_AFTER_SECONDS
    return min(seconds, RETRY_AFTER_CEILING_SECONDS)

"""One request to ``POST {api_url}/v2/digital-interaction`` and what its answer means.

``GongClient.attempt`` sends one body once and returns a ``Verdict`` (see ``answers``):
the pipeline decides what happens next. The Authorization header is asked of the
credentials for each request (an OAuth app's access token changes during a run); a 401 they
can renew after is sent once more. Everything the client says about an answer goes
through ``redacted``, so a credential a server echoes never reaches a log or dead letter.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
import typing as t
from http import HTTPStatus

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as urllib3_errors

from target_gong_di.delivery.answers import (
    Refused,
    RetryPolicy,
    Stop,
    TryAgain,
    Verdict,
    classify,
    transient_error,
)
from target_gong_di.exceptions import AuthRejected, DeliveryStopped, QuotaExhausted
from target_gong_di.redaction import blank
from target_gong_di.validation import ENDPOINT

if t.TYPE_CHECKING:
    from target_gong_di.delivery.credentials import Credentials

ERROR_TEXT_LIMIT = 500
"""Characters kept of each error text an answer carries (a proxy may answer a whole page)."""

ANSWER_BYTES_LIMIT = 64 * 1024
"""Bytes read of any answer: enough for ``requestId`` and the first errors, and a 50 MB page
from a proxy never reaches memory."""


class _AnswerTooSlow(Exception):
    """The whole answer did not come within ``request_timeout_seconds``."""


_attempt = threading.local()
"""The posting thread's current attempt: a list the pool puts the connection in use into."""


def _watched(pool: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    """``pool`` whose requests tell the attempt which connection they use.

    requests' timeout bounds each read, so headers trickled a byte at a time could hold an
    attempt for ever; knowing the connection lets a watchdog shut its socket at the deadline.
    """

    class Watched(pool):  # type: ignore[valid-type,misc]
        def _make_request(self, conn: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            holder = getattr(_attempt, "connections", None)
            if holder is not None:
                holder.append(conn)
            return super()._make_request(conn, *args, **kwargs)

    return Watched


def _shut(connections: list[t.Any]) -> None:
    """End any read blocked on the attempt's connection (from the watchdog's thread)."""
    for conn in connections:
        sock = getattr(conn, "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def pooled_session(connections: int) -> requests.Session:
    """A keep-alive session with one pool of ``connections``; auth is set per request."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=connections)
    adapter.poolmanager.pool_classes_by_scheme = {
        "http": _watched(HTTPConnectionPool),
        "https": _watched(HTTPSConnectionPool),
    }
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"Content-Type": "application/json"})
    return session


class GongClient:
    """Sends one body at a time (from any thread) and classifies the answer."""

    def __init__(
        self,
        session: requests.Session,
        api_url: str,
        credentials: Credentials,
        policy: RetryPolicy,
        timeout: float,
    ) -> None:
        self.url = api_url + ENDPOINT
        self._api_url = api_url
        self._session = session
        self._credentials = credentials
        self._policy = policy
        self._timeout = timeout

    def attempt(self, payload: bytes) -> Verdict:
        """POST ``payload`` once (twice after a 401 the credentials renewed after).

        Transport failures come back as ``TryAgain``; a renewal that fails raises
        ``DeliveryStopped``.
        """
        authorization = self._credentials.authorization()
        verdict = self._post(payload, authorization)
        if (
            isinstance(verdict, Stop)
            and verdict.status == HTTPStatus.UNAUTHORIZED
            and self._credentials.renewed_after(authorization)
        ):
            verdict = self._post(payload, self._credentials.authorization())
        return verdict

    def _post(self, payload: bytes, authorization: str) -> Verdict:
        deadline = time.monotonic() + self._timeout
        connections: list[t.Any] = []
        watchdog = threading.Timer(self._timeout, _shut, (connections,))
        watchdog.daemon = True
        _attempt.connections = connections
        watchdog.start()
        try:
            response = self._session.post(
                self.url,
                data=payload,
                headers={"Authorization": authorization},
                timeout=self._timeout,
                allow_redirects=False,  # a redirected POST turns into a GET that "succeeds"
                stream=True,  # the body is read bounded, in size and in time
            )
            complete = False
            try:
                text, complete = self._bounded_text(response, deadline)
            finally:
                if complete:  # read to its end: the connection stays for the next request
                    response.raw.release_conn()
                else:
                    response.close()
        except requests.exceptions.SSLError:
            # Not transient: the same certificate fails every retry. Verification stays on.
            return Stop(
                "unexpected",
                0,
                None,
                f"the certificate of api_url {self._api_url} could not be verified (SSLError); "
                "behind a corporate proxy that inspects TLS, set REQUESTS_CA_BUNDLE to the "
                "file of its CA certificates",
            )
        except _AnswerTooSlow:
            return self._too_slow()
        except requests.RequestException as error:
            if transient_error(error):
                if time.monotonic() >= deadline:  # the watchdog shut a connection still waiting
                    return self._too_slow()
                return TryAgain(type(error).__name__)
            # An invalid header's text shows the header escaped, past redaction: omit it.
            detail = (
                ""
                if isinstance(error, requests.exceptions.InvalidHeader)
                else f": {self.redacted(str(error))}"
            )
            return Stop("unexpected", 0, None, f"{type(error).__name__}{detail}")
        finally:
            watchdog.cancel()
            _attempt.connections = None
        verdict = classify(response.status_code, response.headers, text, self._policy)
        if isinstance(verdict, Refused):
            errors = tuple(self.redacted(error)[:ERROR_TEXT_LIMIT] for error in verdict.errors)
            return Refused(verdict.request_id, errors)
        return verdict

    def _too_slow(self) -> TryAgain:
        return TryAgain(f"no whole answer within request_timeout_seconds={self._timeout:g}")

    @staticmethod
    def _bounded_text(response: requests.Response, deadline: float) -> tuple[str, bool]:
        """The first ``ANSWER_BYTES_LIMIT`` bytes of the body, read before ``deadline``.

        requests' timeout bounds each read, so a server trickling a byte at a time could hold
        the attempt for ever: a watchdog shuts the socket at the deadline, which ends a read
        blocked in between, and the loop checks the deadline after each chunk. The flag says
        whether the body was read to its end (else the connection is not reused).
        """
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _AnswerTooSlow
        sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(remaining, cut)
        watchdog.daemon = True
        watchdog.start()
        body = bytearray()
        complete = False
        try:
            while len(body) < ANSWER_BYTES_LIMIT:
                chunk = response.raw.read1(ANSWER_BYTES_LIMIT - len(body), decode_content=True)
                if expired.is_set() or time.monotonic() >= deadline:
                    raise _AnswerTooSlow
                if not chunk:
                    complete = True
                    break
                body += chunk
        except (OSError, urllib3_errors) as error:
            if expired.is_set():
                raise _AnswerTooSlow from error
            raise requests.ConnectionError(type(error).__name__) from error
        finally:
            watchdog.cancel()
        text = bytes(body).decode(response.encoding or "utf-8", errors="replace")
        return text, complete

    def stop_error(
        self, stop: Stop, event_id: object, resume_at: dt.datetime | None = None
    ) -> DeliveryStopped:
        """The exception that ends the run for ``stop``, worded for the person reading it.

        ``resume_at``: when Gong's quota is whole again, as the ledger remembers it.
        """
        detail = self.redacted(stop.detail)[:ERROR_TEXT_LIMIT]
        if stop.kind == "auth":
            return AuthRejected(
                f"Gong refused the credentials with HTTP {stop.status} "
                f"({self._credentials.description}, api_url {self._api_url}, "
                f"requestId {stop.request_id}): {detail or 'no error text'}. Check the "
                "credentials and their api:digital-interactions:write scope, and that "
                "api_url is your company's own base URL: a wrong base URL also answers 401."
            )
        if stop.kind == "quota":
            wait = stop.retry_after or 0.0
            if resume_at is None:
                resume_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=wait)
            return QuotaExhausted(
                f"Gong's rate limit asks to wait {wait:.0f}s (more than "
                f"max_retry_after_seconds={self._policy.max_retry_after:g}), "
                f"likely the daily quota; resume after {resume_at:%Y-%m-%d %H:%M:%S} UTC",
                resume_at,
            )
        if stop.kind == "redirect":
            detail = (
                f"a redirect to {detail!r}, which is not followed: "
                "api_url must be the base URL Gong's API answers at"
            )
        if stop.status == 0:
            return DeliveryStopped(
                f"the request for eventId {event_id!r} to {self.url} could not be made: {detail}"
            )
        return DeliveryStopped(
            f"Gong answered HTTP {stop.status} for eventId {event_id!r} at "
            f"{self.url} (requestId {stop.request_id}): {detail or 'no error text'}"
        )

    def close(self) -> None:
        """Release the connections and the credentials."""
        self._session.close()
        self._credentials.close()

    def redacted(self, text: str) -> str:
        """``text`` without any Authorization header's value, secret or token."""
        return blank(text, self._credentials.secrets)  # longest first: a header, then its parts

"""A Gong-compatible local server for ``POST /v2/digital-interaction``.

For users, a way to try a mapping end to end with no Gong account; for tests, a real HTTP
peer on 127.0.0.1 that behaves like Gong and misbehaves on demand:

- checks credentials (401), the token's scope (403), the body's schema and rules (400) and
  repeated eventIds (409);
- answers 429 with ``Retry-After`` above ``rate_limit`` requests per second, and once
  ``daily_quota`` requests were made, with ``Retry-After`` until the next UTC midnight, as
  Gong does when a company's daily quota is spent;
- injects 400s for valid bodies (rules Gong checks that no client can know: at a rate, or
  for each body holding ``refuse_text``), 5xx answers, dropped connections (nothing
  stored), lost replies (stored, then the connection closes, before or during the answer)
  and latency, each at a given rate;
- answers 500 the first ``failures_per_match`` times a body contains ``failing_text``, for
  a test that needs one event to be retried while others flow;
- answers 413 with nginx's page to a body over ``max_body_bytes``, storing nothing, as
  the proxy in front of Gong does; and, after ``throttle_after`` requests, 429 to every
  request with ``retry_after_seconds`` (which may be negative), a limit that never lifts;
- stands in for a proxy or captive portal: answers 200 with an HTML page
  (``html_ok_rate``) or an empty body (``empty_ok_rate``), storing nothing; and trickles
  the first ``trickle_answers`` answers to POSTs, one byte every ``trickle_ms``;
- with ``oauth_client_id``, serves Gong's token endpoint (``TOKEN_PATH``) as Gong does:
  access tokens that expire after ``access_token_lifetime`` seconds, and single-use refresh
  tokens (the first is ``refresh_token``; each refresh answers a new one, and a spent one
  is ``400 invalid_grant``); ``token_failures`` first answers 503, ``token_latency_ms``
  delays each answer.

It counts the requests it is answering at once (``peak_in_flight`` in the stats), which
is how a test sees the target's concurrency.

What it accepted is read back with ``GET /sandbox/events``; ``GET /sandbox/stats`` counts
answers to POSTs by status (``dropped`` and ``lost_reply`` for the injected hang-ups);
``DELETE /sandbox/events`` forgets everything (but the OAuth tokens).
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import typing as t
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from target_gong_di.sandbox.store import SandboxOptions, SandboxStore
from target_gong_di.validation import ENDPOINT, body_errors

TOO_LARGE_PAGE = (
    b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    b"<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
"""What nginx, in front of Gong's API, answers to a body over its size limit."""

TOKEN_PATH = "/oauth2/generate-customer-token"  # noqa: S105 - a path, not a password


class _Handler(BaseHTTPRequestHandler):
    """Handles one connection; keep-alive with Nagle off, as a real API server is."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _SandboxHTTPServer

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet: the target's own logs say what happened."""

    def _reply(
        self, status: int, payload: dict[str, t.Any], headers: dict[str, str] | None = None
    ) -> None:
        """Send one JSON answer.

        A POST's answer is tallied before it is sent, so a client never reads stats that lag
        behind an answer it already has.
        """
        post = self.command == "POST" and not self.path.startswith(TOKEN_PATH)
        if post:
            self.server.store.count(str(status))
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, data, {"Content-Type": "application/json", **(headers or {})}, post)

    def _send(self, status: int, data: bytes, headers: dict[str, str], post: bool) -> None:
        """Send an answer whole, or one byte every ``trickle_ms`` while trickling is asked."""
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        store, options = self.server.store, self.server.options
        with store.lock:
            trickle = post and store.trickled < options.trickle_answers
            store.trickled += trickle
        if not trickle:
            self.wfile.write(data)
            return
        try:
            for byte in data:
                self.wfile.flush()
                time.sleep(options.trickle_ms / 1000)
                self.wfile.write(bytes([byte]))
        except OSError:  # the client gave up waiting, as it should
            self.close_connection = True

    def _error(self, status: int, *errors: str, headers: dict[str, str] | None = None) -> None:
        self._reply(status, {"requestId": _request_id(), "errors": list(errors)}, headers)

    def _hang_up(self) -> None:
        self.close_connection = True
        self.server.store.count("dropped")

    def do_GET(self) -> None:
        store = self.server.store
        with store.lock:
            if self.path == "/sandbox/events":
                payload: dict[str, t.Any] = {"events": list(store.events.values())}
            elif self.path == "/sandbox/stats":
                payload = {
                    "answers": dict(store.answers),
                    "stored": len(store.events),
                    "peak_in_flight": store.peak_in_flight,
                    "token_refreshes": store.oauth.refreshes,
                    "invalid_grants": store.oauth.invalid_grants,
                }
            else:
                payload = {}
        if payload:
            self._reply(200, payload)
        else:
            self._error(404, f"no such path: {self.path}")

    def do_DELETE(self) -> None:
        if self.path != "/sandbox/events":
            self._error(404, f"no such path: {self.path}")
            return
        self.server.store.reset()
        self._reply(200, {"events": []})

    def do_POST(self) -> None:
        store = self.server.store
        with store.lock:
            store.in_flight += 1
            store.peak_in_flight = max(store.peak_in_flight, store.in_flight)
        try:
            self._answer_post()
        finally:
            with store.lock:
                store.in_flight -= 1

    def _turned_away(self) -> bool:
        """Answer what Gong answers before it reads a body: path, credentials, limits."""
        options, store = self.server.options, self.server.store
        if self.path != ENDPOINT:
            self._error(404, f"no such path: {self.path}")
            return True
        if not self._authorised():
            return True
        made = store.request_number()
        if options.daily_quota is not None and made > options.daily_quota:
            midnight = (time.time() // 86400 + 1) * 86400
            retry = str(int(midnight - time.time()) + 1)
            self._error(429, "API daily quota exceeded", headers={"Retry-After": retry})
            return True
        throttling = options.throttle_after is not None and made > options.throttle_after
        if throttling or store.over_rate(options.rate_limit):
            retry = str(options.retry_after_seconds)
            self._error(429, "API request limit exceeded", headers={"Retry-After": retry})
            return True
        return False

    def _answer_post(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        options, store = self.server.options, self.server.store
        if self.path.split("?", 1)[0] == TOKEN_PATH and options.oauth_client_id:
            self._answer_token()
            return
        if options.latency_ms:
            time.sleep(options.latency_ms / 1000)
        if self._too_large(raw) or self._proxy_answered():
            return
        if self._turned_away():
            return
        fault = self.server.draw()
        if fault < options.fail_rate or store.fails_match(raw, options):
            self._error(500, "Failed to complete the operation due to an unexpected error")
            return
        if fault < options.fail_rate + options.drop_rate:
            self._hang_up()
            return
        try:
            body = json.loads(raw)
            json.dumps(body, ensure_ascii=False).encode("utf-8")  # no lone surrogate escapes
        except ValueError as error:
            self._error(400, f"body is not valid JSON text: {error}")
            return
        errors = body_errors(body) if isinstance(body, dict) else ["(body): must be an object"]
        if errors:
            self._error(400, *errors)
            return
        if self.server.draw() < options.reject_rate:
            self._error(400, "Rejected by the sandbox's reject_rate (a server-side rule)")
            return
        if options.refuse_text and options.refuse_text.encode() in raw:
            self._error(400, "Refused by the sandbox's refuse_text (a server-side rule)")
            return
        if not store.store(body):
            self._error(409, f"Event {body['eventId']} was already reported in the past")
            return
        if fault < options.fail_rate + options.drop_rate + options.lost_reply_rate:
            self._cut_reply()
            return
        self._reply(200, {"requestId": _request_id()})

    def _too_large(self, raw: bytes) -> bool:
        """A 413 for a body over ``max_body_bytes``, as Gong's nginx gives before Gong sees it.

        nginx answers its own HTML page, before any credential check, and stores nothing.
        """
        limit = self.server.options.max_body_bytes
        if limit is None or len(raw) <= limit:
            return False
        self.server.store.count("413")
        self._send(413, TOO_LARGE_PAGE, {"Content-Type": "text/html"}, post=True)
        return True

    def _proxy_answered(self) -> bool:
        """A 200 that a proxy or captive portal gives instead of Gong: nothing is stored."""
        options = self.server.options
        if not options.html_ok_rate + options.empty_ok_rate:
            return False  # no draw: seeded runs keep the fault sequence they had
        fault = self.server.draw()
        if fault < options.html_ok_rate:
            self.server.store.count("html_ok")
            page = b"<!DOCTYPE html><html><body>Please sign in to the network</body></html>"
            self._send(200, page, {"Content-Type": "text/html"}, post=True)
            return True
        if fault < options.html_ok_rate + options.empty_ok_rate:
            self.server.store.count("empty_ok")
            self._send(200, b"", {}, post=True)
            return True
        return False

    def _authorised(self) -> bool:
        """Whether the credentials are good (with the scope); if not, answers 401 or 403."""
        options, store = self.server.options, self.server.store
        authorization = self.headers.get("Authorization")
        if options.scopeless_token and authorization == f"Bearer {options.scopeless_token}":
            self._error(403, "Missing scope api:digital-interactions:write")
            return False
        with store.lock:
            token = store.oauth.check(authorization)
        if token is False:
            self._error(401, "Access denied: the access token has expired")
            return False
        if token is None and not options.accepts(authorization):
            self._error(401, "Access denied: unknown credentials for this base URL")
            return False
        return True

    def _answer_token(self) -> None:
        """Gong's ``POST /oauth2/generate-customer-token?grant_type=refresh_token&...``."""
        options, oauth = self.server.options, self.server.store.oauth
        with self.server.store.lock:
            oauth.token_requests += 1
            failing = oauth.token_requests <= options.token_failures
        if options.token_latency_ms:
            time.sleep(options.token_latency_ms / 1000)
        if failing:
            self._reply(503, {"error": "temporarily_unavailable"})
            return
        pair = f"{options.oauth_client_id}:{options.oauth_client_secret}".encode()
        if self.headers.get("Authorization") != f"Basic {base64.b64encode(pair).decode()}":
            self._reply(401, {"error": "invalid_client"})
            return
        query = dict(parse_qsl(urlsplit(self.path).query))
        if query.get("grant_type") != "refresh_token":
            self._reply(400, {"error": "unsupported_grant_type"})
            return
        lifetime = options.access_token_lifetime
        with self.server.store.lock:
            pair_issued = oauth.refresh(query.get("refresh_token", ""), lifetime)
        if pair_issued is None:
            self._reply(400, {"error": "invalid_grant", "error_description": "Invalid token"})
            return
        access, refresh = pair_issued
        self._reply(
            200,
            {
                "access_token": access,
                "refresh_token": refresh,
                "scope": "api:digital-interactions:write",
                "token_type": "bearer",
                "expires_in": int(lifetime) if lifetime == int(lifetime) else lifetime,
                "api_base_url_for_customer": options.api_base_url_for_customer or self.server.url,
            },
        )

    def _cut_reply(self) -> None:
        """A lost reply: the event is stored, then the connection ends mid-answer.

        Half the time before the first byte, half the time after the headers and part of
        the body, as a dropped connection can do either.
        """
        self.server.store.count("lost_reply")
        if self.server.draw() < 0.5:
            data = json.dumps({"requestId": _request_id()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
        self.close_connection = True


def _request_id() -> str:
    return uuid.uuid4().hex[:19]


class _SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], options: SandboxOptions) -> None:
        super().__init__(address, _Handler)
        self.options = options
        self.store = SandboxStore()
        if options.refresh_token:
            self.store.oauth.refresh_tokens.add(options.refresh_token)
        self._random = random.Random(options.seed)
        self._random_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL it serves at."""
        host, port = self.server_address[:2]
        return f"http://{t.cast('str', host)}:{port}"

    def draw(self) -> float:
        """The next fault draw in [0, 1), reproducible with ``seed``."""
        with self._random_lock:
            return self._random.random()


class Sandbox:
    """The sandbox server on a loopback port, served from a background thread."""

    def __init__(
        self, options: SandboxOptions | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._server = _SandboxHTTPServer((host, port), options or SandboxOptions())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL to give the target as ``api_url``."""
        return self._server.url

    @property
    def token_url(self) -> str:
        """The token endpoint's URL, to give the target as ``oauth_token_url``."""
        return self.url + TOKEN_PATH

    @property
    def options(self) -> SandboxOptions:
        """How this sandbox authenticates and misbehaves."""
        return self._server.options

    @property
    def store(self) -> SandboxStore:
        """What it accepted so far."""
        return self._server.store

    def start(self) -> Sandbox:
        """Serve in the background; returns self for chaining."""
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop`` (or Ctrl-C)."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

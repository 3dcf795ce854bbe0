"""What the sandbox is told and what it keeps: its options, its events, its tallies.

Apart from the HTTP server so that the state a test reads back (events, answers by status,
peak concurrency, OAuth tokens) and the options that shape it can be read, and changed,
without the request handling around them. Every piece of state here is shared by the
server's handler threads and guarded by ``SandboxStore.lock``.
"""

from __future__ import annotations

import base64
import collections
import threading
import time
import typing as t
import uuid
from dataclasses import dataclass, field


def _option(default: t.Any, help_text: str, flag: str | None = None) -> t.Any:
    """A field ``gong-di-sandbox`` also sets, as ``--<name>`` (or ``flag``), with ``help_text``."""
    return field(default=default, metadata={"help": help_text, "flag": flag})


@dataclass(frozen=True)
class SandboxOptions:
    """How the sandbox authenticates and misbehaves; rates are fractions of requests.

    Each field declared with ``_option`` is also a command-line option (``cli`` builds them
    from these fields); the others are for tests that build a ``Sandbox`` in-process.
    """

    access_key: str = _option("sandbox-key", "key of the Basic credentials it accepts")
    access_key_secret: str = _option("sandbox-secret", "secret of those credentials")
    access_token: str | None = _option(None, "also accept this bearer token")
    scopeless_token: str | None = None
    rate_limit: float | None = _option(None, "requests/s before 429s")
    retry_after_seconds: int = _option(1, "Retry-After of those 429s", flag="--retry-after")
    reject_rate: float = _option(0.0, "valid bodies answered 400")
    refuse_text: str | None = _option(None, "400 for valid bodies holding this text")
    """A server-side rule no client can know, met by content: the same body is refused again."""
    fail_rate: float = _option(0.0, "share answered 500")
    drop_rate: float = _option(0.0, "share of dropped connections")
    lost_reply_rate: float = _option(0.0, "stored, then hung up")
    latency_ms: float = _option(0.0, "delay before each answer")
    seed: int | None = _option(None, "seed for the fault draws")
    daily_quota: int | None = None
    failing_text: str | None = None
    failures_per_match: int = 0
    oauth_client_id: str | None = _option(None, "serve the token endpoint")
    oauth_client_secret: str | None = _option(None, "the OAuth app's client secret")
    refresh_token: str | None = _option(None, "the consent's refresh token")
    access_token_lifetime: float = _option(3600.0, "seconds an access token lives")
    api_base_url_for_customer: str | None = None
    """What token responses name as the base URL; None: the sandbox's own URL."""
    token_failures: int = 0
    token_latency_ms: float = 0.0
    html_ok_rate: float = _option(0.0, "200 HTML, as a proxy")
    empty_ok_rate: float = _option(0.0, "200 with no body")
    trickle_answers: int = _option(0, "first answers trickled")
    trickle_ms: float = _option(2000.0, "ms between trickled bytes")
    max_body_bytes: int | None = _option(None, "413 for larger bodies")
    throttle_after: int | None = _option(None, "then 429 for ever (--retry-after)")
    """After this many POSTs, every POST is answered 429 with ``retry_after_seconds``."""

    def accepts(self, authorization: str | None) -> bool:
        """True when the Authorization header carries the sandbox's credentials."""
        pair = f"{self.access_key}:{self.access_key_secret}".encode()
        allowed = {f"Basic {base64.b64encode(pair).decode()}"}
        if self.access_token:
            allowed.add(f"Bearer {self.access_token}")
        return authorization in allowed


@dataclass
class OAuthStore:
    """The token endpoint's state: live access tokens and the unspent refresh token(s)."""

    refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Each access token issued: (when it expires, monotonic; its generation, from 1)."""
    refreshes: int = 0
    invalid_grants: int = 0
    token_requests: int = 0
    expired_rejections: int = 0
    newest_generation_used: int = 0
    """The generation of the newest access token a POST was authorised with."""

    def refresh(self, refresh_token: str, lifetime: float) -> tuple[str, str] | None:
        """Spend ``refresh_token``: a new (access, refresh) pair; None if it is not live."""
        if refresh_token not in self.refresh_tokens:
            self.invalid_grants += 1
            return None
        self.refresh_tokens.discard(refresh_token)
        self.refreshes += 1
        access, refresh = f"at-{uuid.uuid4().hex}", f"rt-{uuid.uuid4().hex}"
        self.refresh_tokens.add(refresh)
        self.access_tokens[access] = (time.monotonic() + lifetime, self.refreshes)
        return access, refresh

    def check(self, authorization: str | None) -> bool | None:
        """True for a live access token, False for an expired one, None for no such token."""
        token = (authorization or "").removeprefix("Bearer ")
        if token not in self.access_tokens:
            return None
        expires, generation = self.access_tokens[token]
        if time.monotonic() >= expires:
            self.expired_rejections += 1
            return False
        self.newest_generation_used = max(self.newest_generation_used, generation)
        return True


@dataclass
class SandboxStore:
    """What the sandbox accepted and how it answered, shared by its handler threads."""

    events: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    accepted_at: list[float] = field(default_factory=list)
    answers: collections.Counter[str] = field(default_factory=collections.Counter)
    answered_at: list[tuple[float, str]] = field(default_factory=list)
    """When each POST was answered (``time.monotonic()``) and how: when a pause held."""
    recent: collections.deque[float] = field(default_factory=collections.deque)
    in_flight: int = 0
    peak_in_flight: int = 0
    requests_today: int = 0
    failed_matches: int = 0
    trickled: int = 0
    oauth: OAuthStore = field(default_factory=OAuthStore)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def over_rate(self, limit: float | None) -> bool:
        """Count this request in the last second's window; True when it is over ``limit``."""
        if limit is None:
            return False
        now = time.monotonic()
        with self.lock:
            while self.recent and now - self.recent[0] >= 1.0:
                self.recent.popleft()
            if len(self.recent) >= limit:
                return True
            self.recent.append(now)
            return False

    def store(self, body: dict[str, t.Any]) -> bool:
        """Keep ``body``; False when its eventId was already stored."""
        with self.lock:
            if body["eventId"] in self.events:
                return False
            self.events[body["eventId"]] = body
            self.accepted_at.append(time.monotonic())
            return True

    def count(self, answer: str) -> None:
        """Tally one answer (a status code, or ``dropped``)."""
        with self.lock:
            self.answers[answer] += 1
            self.answered_at.append((time.monotonic(), answer))

    def reset(self) -> None:
        """Forget every event and tally."""
        with self.lock:
            self.events.clear()
            self.accepted_at.clear()
            self.answers.clear()
            self.answered_at.clear()
            self.recent.clear()
            self.peak_in_flight = self.failed_matches = self.requests_today = self.trickled = 0

    def new_day(self) -> None:
        """Start a new UTC day: the daily quota is whole again (events stay stored)."""
        with self.lock:
            self.requests_today = 0

    def request_number(self) -> int:
        """Count this request against the day: how many were made, this one included."""
        with self.lock:
            self.requests_today += 1
            return self.requests_today

    def fails_match(self, raw: bytes, options: SandboxOptions) -> bool:
        """True while a body holding ``failing_text`` has failed fewer times than asked."""
        if not options.failing_text or options.failing_text.encode() not in raw:
            return False
        with self.lock:
            self.failed_matches += 1
            return self.failed_matches <= options.failures_per_match

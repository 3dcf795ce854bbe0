"""Credentials for delivery: a fixed one, or an OAuth app's access tokens, renewed as needed.

Gong's OAuth access tokens expire (``expires_in``), and its refresh tokens are single-use:
each refresh answers a new access token *and* a new refresh token, and the old refresh
token answered again is ``invalid_grant``, after which the customer must consent again. So
``OAuthTokens``:

- keeps the rotated refresh token in the ledger (``gong_di_oauth_tokens``), committed before
  the new access token is used, so the next run (or a run that crashed) goes on from it;
- renews shortly before the access token expires, and once after a 401 for a token that
  should still be valid; threads needing a renewal wait for the one under way;
- renews under a ledger lock, re-reading the stored tokens first: with a shared PostgreSQL
  ledger another process may have just renewed, and its tokens are taken instead;
- never shows a token or the client secret: every one it obtains joins ``secrets`` (which
  the client blanks from error texts) and a logging filter blanks them from every log line.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import typing as t
from datetime import datetime, timedelta

import requests

from target_gong_di.delivery.answers import transient_error, transient_status
from target_gong_di.exceptions import (
    AuthRejected,
    ConsentNeeded,
    DeliveryStopped,
    RetriesExhausted,
)
from target_gong_di.ledger import StoredTokens, open_ledger, token_origin, utc_now
from target_gong_di.redaction import blank
from target_gong_di.settings import Auth, OAuthApp, http_url_errors

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from target_gong_di.delivery.answers import RetryPolicy
    from target_gong_di.delivery.credentials import Credentials
    from target_gong_di.ledger import Ledger
    from target_gong_di.settings import Settings

REFRESH_MARGIN_SECONDS = 60.0
"""Renew at the latest this long before the access token expires ..."""
REFRESH_MARGIN_SHARE = 0.1
"""... or this share of its lifetime, when that is shorter (short-lived tokens)."""
DEFAULT_EXPIRES_IN = 3600.0
"""An access token's lifetime when a token response does not say (Gong's is an hour)."""
ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
"""An OAuth ``error`` code worth quoting; anything else in a token answer is not shown."""


class _Transient(Exception):
    """The token endpoint could not answer now (``answers.transient_status``/``_error``)."""


def open_credentials(
    settings: Settings, policy: RetryPolicy, logger: logging.Logger
) -> tuple[Credentials, str]:
    """The credentials delivery authenticates with, and the base URL to deliver to.

    An OAuth app gets a valid access token here, before any record is read: a consent
    that must be renewed stops the run before it starts, and a base URL learned from the
    token response is known before the first request.
    """
    auth = settings.auth
    if isinstance(auth, Auth):
        return auth, settings.api_url
    if not isinstance(auth, OAuthApp):
        raise TypeError("delivery needs credentials; dry runs do not deliver")
    # A connection of its own: a renewal holds its lock while the token endpoint answers.
    ledger = open_ledger(settings.ledger_url)
    tokens = OAuthTokens(
        auth,
        settings.api_url,
        ledger,
        policy=policy,
        timeout=settings.request_timeout_seconds,
        logger=logger,
    )
    try:
        tokens.start()
    except BaseException:
        tokens.close()
        raise
    return tokens, tokens.api_url


class OAuthTokens:
    """An OAuth app's current access token, renewed before it expires; thread-safe."""

    def __init__(
        self,
        app: OAuthApp,
        api_url: str,
        ledger: Ledger,
        *,
        policy: RetryPolicy,
        timeout: float,
        logger: logging.Logger,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._app = app
        self._api_url = api_url
        """The configured api_url: with oauth_client_id, the key of the stored tokens."""
        self._ledger = ledger
        self._policy = policy
        self._timeout = timeout
        self._logger = logger
        self._clock = clock
        self._origin = token_origin(app.refresh_token)
        self._session = requests.Session()
        self._lock = threading.Lock()
        self._tokens: StoredTokens | None = None
        self._renewed_after_rejection = False
        self._failure: DeliveryStopped | None = None
        """Why renewing failed: the threads that waited for it stop too, asking no more."""
        self._secrets = list(app.secrets)
        self._log_filter = RedactingFilter(lambda: self.secrets)
        self._log_filter.install()

    # What the client asks.

    @property
    def description(self) -> str:
        """The auth kind, named without a secret."""
        return self._app.description

    @property
    def secrets(self) -> tuple[str, ...]:
        """The client secret and every token seen by this process, longest first."""
        return tuple(sorted(self._secrets, key=len, reverse=True))

    @property
    def api_url(self) -> str:
        """The base URL to deliver to: the configured one, or the token response's."""
        learned = self._tokens.api_base_url if self._tokens else None
        if self._app.discovers_api_url and learned:
            return learned.rstrip("/")
        return self._api_url

    def start(self) -> None:
        """Have a valid access token: the stored one if it still is, else a renewed one."""
        with self._lock:
            self._renew(rejected=None)

    def authorization(self) -> str:
        """``Bearer`` and the current access token, renewed first when it is about to expire."""
        tokens = self._tokens
        if tokens is None or self._expiring(tokens):
            with self._lock:
                if self._tokens is tokens:  # no other thread renewed it meanwhile
                    self._renew(rejected=None)
                tokens = self._tokens
        return _bearer(t.cast("StoredTokens", tokens))

    def renewed_after(self, rejected: str) -> bool:
        """Renew once after a 401 for the current token; False if renewed ones fail too."""
        with self._lock:
            tokens = t.cast("StoredTokens", self._tokens)
            if _bearer(tokens) != rejected:
                return True  # another request's 401 renewed it already
            if self._renewed_after_rejection:
                return False  # a renewed token was refused as well: renewing cannot help
            self._renew(rejected=tokens.access_token)
            self._renewed_after_rejection = True
            return True

    def close(self) -> None:
        """Close the token session and the ledger connection; stop filtering log lines."""
        self._session.close()
        self._ledger.close()
        self._log_filter.remove()

    # Renewing.

    def _expiring(self, tokens: StoredTokens) -> bool:
        margin = min(REFRESH_MARGIN_SECONDS, REFRESH_MARGIN_SHARE * tokens.expires_in)
        return tokens.expires_at - timedelta(seconds=margin) <= self._clock()

    def _usable(self, tokens: StoredTokens | None, rejected: str | None) -> bool:
        return (
            tokens is not None
            and tokens.origin == self._origin
            and tokens.access_token != rejected
            and not self._expiring(tokens)
        )

    def _renew(self, rejected: str | None) -> None:
        """Take stored tokens that are still good, or refresh; under ``self._lock``.

        Each try is one ledger transaction holding the consent's lock, so no two processes
        spend the same refresh token; between tries (the token endpoint failed) it is free.
        Once renewing has failed, it is not tried again in this run: a spent refresh token
        asked again is one more ``invalid_grant``.
        """
        if self._failure is not None:
            raise type(self._failure)(str(self._failure))
        try:
            self._renew_now(rejected)
        except DeliveryStopped as failure:
            self._failure = failure
            raise

    def _renew_now(self, rejected: str | None) -> None:
        for tries in range(self._policy.max_retries + 1):
            try:
                with self._ledger.token_slot(self._app.client_id, self._api_url) as slot:
                    stored = slot.stored
                    if stored is not None:
                        self._remember(stored)
                    if self._usable(stored, rejected):
                        fresh = t.cast("StoredTokens", stored)
                        renewed = False
                    else:
                        fresh = self._refresh(stored)
                        slot.replace(fresh)  # committed as the block ends, before any use
                        renewed = True
            except _Transient as reason:
                if self._policy.exhausted(tries):
                    raise RetriesExhausted(
                        f"Gong's token endpoint {self._app.token_url} kept failing "
                        f"({reason}) through {tries} retries; the refresh token is unspent, "
                        "so a later run can renew the access token"
                    ) from None
                delay = self._policy.backoff(tries)
                self._logger.info(
                    "Renewing the OAuth access token again in %.1fs (%s)", delay, reason
                )
                time.sleep(delay)
                continue
            self._adopt(fresh, renewed=renewed)
            return

    def _adopt(self, tokens: StoredTokens, *, renewed: bool) -> None:
        if self._app.discovers_api_url and tokens.api_base_url:
            errors = http_url_errors(
                "api_base_url_for_customer", tokens.api_base_url, "https://us-12345.api.gong.io"
            )
            if errors:
                raise DeliveryStopped(f"Gong's token response: {errors[0]}; set api_url")
        self._tokens = tokens
        self._renewed_after_rejection = False
        remaining = (tokens.expires_at - self._clock()).total_seconds()
        self._logger.info(
            "%s OAuth access token (%s); it expires in %.0fs",
            "Renewed the" if renewed else "Using the stored",
            self.description,
            remaining,
        )

    def _remember(self, tokens: StoredTokens) -> None:
        """Add ``tokens`` to what is blanked from every text, before anything could show them."""
        for secret in (tokens.access_token, f"Bearer {tokens.access_token}", tokens.refresh_token):
            if secret not in self._secrets:
                self._secrets.append(secret)

    def _refresh(self, stored: StoredTokens | None) -> StoredTokens:
        """Spend a refresh token at the token endpoint; the new tokens, not yet stored.

        The stored refresh token descends from the config's when its origin matches; a
        different refresh_token in the config is a new consent, and is used instead.
        """
        current = stored if stored is not None and stored.origin == self._origin else None
        refresh_token = current.refresh_token if current else self._app.refresh_token
        try:
            response = self._session.post(
                self._app.token_url,
                params={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=(self._app.client_id, self._app.client_secret),
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            if transient_error(error):
                raise _Transient(type(error).__name__) from None
            # Its text holds the URL with the refresh token in the query: name the type only.
            raise DeliveryStopped(
                f"the token request to {self._app.token_url} could not be made: "
                f"{type(error).__name__}"
            ) from None
        status = response.status_code
        if status == 200:
            return self._tokens_from(response, refresh_token)
        if transient_status(status):
            raise _Transient(f"HTTP {status}")
        code = _error_code(response)
        if code == "invalid_grant":
            raise ConsentNeeded(
                f"Gong's token endpoint answered invalid_grant for the "
                f"{'stored' if current else 'configured'} refresh token ({self.description}): "
                "it is spent or revoked, so the customer's consent must be renewed. Have them "
                "authorize the app again and set the new refresh_token in the config; it "
                "replaces the one kept in the ledger"
            )
        if status in {401, 403}:
            raise AuthRejected(
                f"Gong's token endpoint {self._app.token_url} refused the client credentials "
                f"with HTTP {status} ({code or 'no error code'}; {self.description}): check "
                "oauth_client_id and oauth_client_secret"
            )
        raise DeliveryStopped(
            f"Gong's token endpoint {self._app.token_url} answered HTTP {status} "
            f"({code or 'no error code'}; {self.description})"
        )

    def _tokens_from(self, response: requests.Response, spent: str) -> StoredTokens:
        """The tokens of a 200 answer; its body is never shown, even when malformed."""
        try:
            answer = response.json()
            access = str(answer["access_token"])
        except (ValueError, KeyError, TypeError):
            raise DeliveryStopped(
                f"Gong's token endpoint {self._app.token_url} answered 200 without an "
                "access_token; its refresh token may be spent: if the next run says "
                "invalid_grant, the consent must be renewed"
            ) from None
        # Gong always rotates; a response without a new refresh token leaves the old valid.
        refresh = str(answer.get("refresh_token") or spent)
        try:
            expires_in = float(answer.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (TypeError, ValueError):
            expires_in = DEFAULT_EXPIRES_IN
        base_url = answer.get("api_base_url_for_customer")
        tokens = StoredTokens(
            origin=self._origin,
            refresh_token=refresh,
            access_token=access,
            expires_at=self._clock() + timedelta(seconds=expires_in),
            expires_in=expires_in,
            api_base_url=str(base_url) if base_url else None,
        )
        self._remember(tokens)
        return tokens


def _bearer(tokens: StoredTokens) -> str:
    return f"Bearer {tokens.access_token}"


def _error_code(response: requests.Response) -> str | None:
    """The OAuth ``error`` code of an answer, if it looks like one; never other text."""
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) and ERROR_CODE.fullmatch(code) else None


class RedactingFilter(logging.Filter):
    """Blanks secrets from every log record handled, whichever library logged it.

    urllib3 logs each request line at DEBUG, and the token request's line holds the refresh
    token in its query: installed on the root logger's handlers, this catches that and any
    other record that could carry a token or the client secret.
    """

    def __init__(self, secrets: Callable[[], tuple[str, ...]]) -> None:
        super().__init__()
        self._secrets = secrets
        self._handlers: list[logging.Handler] = []

    def install(self) -> None:
        """Filter every handler of the root logger (where every record ends up)."""
        self._handlers = list(logging.getLogger().handlers)
        for handler in self._handlers:
            handler.addFilter(self)

    def remove(self) -> None:
        """Stop filtering."""
        for handler in self._handlers:
            handler.removeFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, its message and traceback with every secret blanked."""
        message = record.getMessage()
        blanked = blank(message, self._secrets())
        if blanked != message:
            record.msg, record.args = blanked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = blank(record.exc_text, self._secrets())
        return True

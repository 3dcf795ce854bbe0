"""The target's settings, checked once and read into a typed ``Settings``.

``CONFIG_SCHEMA`` serves the SDK, ``--about`` and Meltano; ``config_errors`` adds the rules
a schema cannot say (one auth method, https unless loopback, mappings that compile).

Defaults live only in ``CONFIG_SCHEMA``; ``Settings.from_config`` reads them from there.
"""

from __future__ import annotations

import base64
import decimal
import difflib
import ipaddress
import os
import re
import typing as t
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from singer_sdk import typing as th

from target_gong_di.exceptions import ConfigError
from target_gong_di.ledger.store import ledger_url_errors
from target_gong_di.mapping.compiler import PASSTHROUGH, MappingConfigError, check_mapping
from target_gong_di.mapping.expressions import without_secrets
from target_gong_di.validation.contract import ENDPOINT

SECRET_SETTINGS = (
    "access_key_secret",
    "access_token",
    "oauth_client_secret",
    "refresh_token",
    "ledger_url",
)
DEFAULT_API_URL = "https://api.gong.io"
"""Gong's generic base URL: never a company's own, so an OAuth app asks the token response."""
DEFAULT_TOKEN_URL = "https://app.gong.io/oauth2/generate-customer-token"  # noqa: S105 - a URL

MAX_COUNT = 1_000_000_000
"""The most requests a day or rejects a run may be allowed: far above Gong's daily quota."""


def _number(*, minimum: float, maximum: float) -> th.CustomType:
    """A number setting with fractional bounds, which ``th.NumberType`` types as integers.

    Every numeric setting is bounded both ways: a value such as ``1e308`` seconds or
    ``1e-300`` requests per second would pass a lower bound alone and overflow a timer
    mid-run instead of being refused at config check.
    """
    return th.CustomType({"type": ["number", "null"], "minimum": minimum, "maximum": maximum})


CONFIG_SCHEMA: dict[str, t.Any] = th.PropertiesList(
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API base URL",
        description=(
            "Your company's Gong API base URL, e.g. https://us-12345.api.gong.io (shown in "
            "Gong under Company settings > Ecosystem > API). Plain http:// is refused unless "
            "the host is loopback (the local sandbox), and so is user:password@ in the URL. "
            "With oauth_client_id, leave it unset: the token response's "
            "api_base_url_for_customer is used."
        ),
    ),
    th.Property(
        "access_key",
        th.StringType,
        title="Access key",
        description="Gong API access key, used with access_key_secret for HTTP Basic auth.",
    ),
    th.Property(
        "access_key_secret",
        th.StringType,
        secret=True,
        title="Access key secret",
        description="Secret (never logged): the secret of the Gong API access key.",
    ),
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        title="OAuth access token",
        description=(
            "Secret (never logged): an OAuth bearer token with the "
            "api:digital-interactions:write scope, managed elsewhere (it is never renewed), "
            "used instead of access_key + access_key_secret."
        ),
    ),
    th.Property(
        "oauth_client_id",
        th.StringType,
        title="OAuth client ID",
        description=(
            "The client ID of your Gong OAuth app; with oauth_client_secret and "
            "refresh_token the target obtains and renews access tokens itself, keeping each "
            "rotated refresh token in the ledger (ledger_url)."
        ),
    ),
    th.Property(
        "oauth_client_secret",
        th.StringType,
        secret=True,
        title="OAuth client secret",
        description="Secret (never logged): the client secret of your Gong OAuth app.",
    ),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        title="OAuth refresh token",
        description=(
            "Secret (never logged): the refresh token of the customer's consent. Gong's "
            "refresh tokens are single-use: later runs use the rotated one kept in the "
            "ledger, until a different refresh_token here (a new consent) replaces it."
        ),
    ),
    th.Property(
        "oauth_token_url",
        th.StringType,
        default=DEFAULT_TOKEN_URL,
        title="OAuth token URL",
        description=(
            "Gong's token endpoint, asked with HTTP Basic oauth_client_id:oauth_client_secret "
            "for a new access token. Plain http:// is refused unless the host is loopback, "
            "and so is user:password@ in the URL."
        ),
    ),
    th.Property(
        "source_system_name",
        th.StringType,
        title="Source system name",
        description="Set as sourceSystemName on every body whose mapping does not set one.",
    ),
    th.Property(
        "mappings",
        th.ObjectType(additional_properties=th.CustomType({"type": ["string", "object"]})),
        required=True,
        title="Stream mappings",
        description=(
            f'Per stream name: "{PASSTHROUGH}" (records already are digital-interaction '
            "bodies) or an object shaped like the body whose string leaves are stream-map "
            'expressions, e.g. {"eventType": "\'page viewed\'", "timestamp": "viewed_at"}.'
        ),
    ),
    th.Property(
        "dead_letter_path",
        th.StringType,
        default="gong-di-rejected.jsonl",
        title="Dead-letter file",
        description=(
            "JSON Lines file that every record which cannot be delivered is appended to, "
            "with its stage, errors and the API's requestId."
        ),
    ),
    th.Property(
        "dry_run",
        th.BooleanType,
        default=False,
        title="Dry run",
        description=(
            "Build and validate every body and write it to dry_run_path; send nothing and "
            "need no credentials."
        ),
    ),
    th.Property(
        "dry_run_path",
        th.StringType,
        default="gong-di-dry-run.jsonl",
        title="Dry-run output file",
        description="JSON Lines file the bodies of a dry run are written to.",
    ),
    th.Property(
        "max_requests_per_second",
        _number(minimum=0.001, maximum=10_000),
        default=3,
        title="Max requests per second",
        description="Ceiling on requests per second, retries included (Gong's default: 3).",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType(minimum=1, maximum=1024),
        default=64,
        title="Max concurrent requests",
        description=(
            "Cap on requests in flight. Below it, concurrency sizes itself: what "
            "max_requests_per_second needs at the latency observed (with headroom), halved "
            "while timeouts or 5xx cluster. Set only the rate; lower this to spare a proxy."
        ),
    ),
    th.Property(
        "max_retries",
        th.IntegerType(minimum=0, maximum=100),
        default=5,
        title="Max retries",
        description=(
            "Retries of one event after a 5xx, a timeout or a dropped connection, with "
            "exponential backoff; when they run out the run fails without forwarding STATE."
        ),
    ),
    th.Property(
        "request_timeout_seconds",
        _number(minimum=0.01, maximum=3600),
        default=30,
        title="Request timeout (s)",
        description="Seconds to wait for Gong's answer before retrying the request.",
    ),
    th.Property(
        "max_retry_after_seconds",
        th.NumberType(minimum=0, maximum=86_400),
        default=300,
        title="Max Retry-After (s)",
        description=(
            "A 429 asking to wait longer than this (e.g. the daily quota is spent) stops "
            "the run after checkpointing, saying when to resume; so do 429s alone, with no "
            "event accepted in between, for longer than this."
        ),
    ),
    th.Property(
        "max_body_bytes",
        th.IntegerType(minimum=1, maximum=MAX_COUNT),
        default=1_000_000,
        title="Max body size (bytes)",
        description=(
            "Bodies larger than this, in bytes of the encoded JSON, are dead-lettered at "
            "stage validation instead of sent, as Gong would refuse them (HTTP 413); the run "
            "goes on. The default is far above any realistic event."
        ),
    ),
    th.Property(
        "max_rejected_records",
        th.IntegerType(minimum=0, maximum=MAX_COUNT),
        title="Max rejected records",
        description=(
            "Fail the run, after checkpointing, once more records than this have been "
            "dead-lettered. Unset: no limit."
        ),
    ),
    th.Property(
        "progress_interval_seconds",
        _number(minimum=0.1, maximum=86_400),
        default=5,
        title="Progress interval (s)",
        description=(
            "Seconds between progress lines on stderr: delivered, rate, in flight, "
            "retries, rejected."
        ),
    ),
    th.Property(
        "batch_size_rows",
        th.IntegerType(minimum=1, maximum=1_000_000),
        title="Read-ahead (records)",
        default=1000,
        description=(
            "Records read ahead of delivery at most. Records are sent one by one as they "
            "are read, never held for a batch; reading pauses while this many wait, so "
            "memory stays flat however large the input."
        ),
    ),
    th.Property(
        "ledger_url",
        th.StringType,
        default="sqlite:///gong-di-ledger.db",
        secret=True,
        title="Ledger URL",
        description=(
            "Where events Gong has confirmed are remembered (keys and hashes, no record "
            "content), so a re-sync spends no requests on them, and where the daily budget is "
            "counted: sqlite:///path.db (relative to the working directory, the project root "
            "under Meltano) or postgresql://user:password@host/db to share one across "
            "machines. Secret because a PostgreSQL URL can hold a password."
        ),
    ),
    th.Property(
        "daily_request_budget",
        th.IntegerType(minimum=1, maximum=MAX_COUNT),
        title="Daily request budget",
        description=(
            "Most requests per UTC day to api_url, retries, 409s and 429s included, counted "
            "in the ledger across runs and processes; the run stops, after checkpointing, "
            "before exceeding it, so other integrations keep their share of Gong's daily "
            "quota. Unset: no budget."
        ),
    ),
).to_dict()

NUMBER_BOUNDS: dict[str, tuple[float, float]] = {
    name: (prop["minimum"], prop["maximum"])
    for name, prop in CONFIG_SCHEMA["properties"].items()
    if {"number", "integer"} & set(prop["type"])
}
"""Each numeric setting's bounds; read before the SDK adds its own settings to the schema,
and a numeric setting without both bounds fails here, at import."""


@dataclass(frozen=True)
class Auth:
    """A fixed credential (access key or static token), and how to name it without the secret.

    It has the shape of ``delivery.credentials.Credentials``, which the client asks for each
    request's header; a fixed credential has nothing to renew or release.
    """

    header: str
    description: str
    secrets: tuple[str, ...]
    """Every text that must never be shown: the header's value, its credential, the secret."""

    def __repr__(self) -> str:
        return f"Auth({self.description})"

    def authorization(self) -> str:
        """The Authorization header, the same for every request."""
        return self.header

    def renewed_after(self, rejected: str) -> bool:
        """False: a fixed credential that Gong refused stays refused."""
        return False

    def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class OAuthApp:
    """An OAuth app's client credentials and the consent's refresh token, from the config.

    ``oauth.OAuthTokens`` turns them into access tokens; the refresh token here is where a
    consent starts, and is spent by its first use.
    """

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    token_url: str
    discovers_api_url: bool
    """api_url is unset (or Gong's generic one): use the token response's base URL."""

    @property
    def description(self) -> str:
        """How errors name this auth kind, without a secret."""
        return f"OAuth app with oauth_client_id {self.client_id!r}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The config's secrets; tokens obtained later are added by ``OAuthTokens``."""
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        return (f"Basic {basic}", basic, self.client_secret, self.refresh_token)


@dataclass(frozen=True)
class Settings:
    """The config, checked and typed, with defaults applied."""

    api_url: str
    auth: Auth | OAuthApp | None
    source_system_name: str | None
    mappings: dict[str, t.Any]
    dead_letter_path: str
    dry_run: bool
    dry_run_path: str
    max_requests_per_second: float
    max_concurrency: int
    max_retries: int
    request_timeout_seconds: float
    max_retry_after_seconds: float
    max_body_bytes: int
    max_rejected_records: int | None
    progress_interval_seconds: float
    queue_size: int
    ledger_url: str = field(repr=False)  # it can hold a password
    daily_request_budget: int | None

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> Settings:
        """Read ``config``; raises ConfigError listing every problem found."""
        errors = config_errors(config)
        if errors:
            raise ConfigError(errors)
        values = _with_defaults(config)
        rate = float(values["max_requests_per_second"])
        return cls(
            api_url=values["api_url"].rstrip("/"),
            auth=None if values["dry_run"] else _auth(values),
            source_system_name=values.get("source_system_name"),
            mappings=dict(values["mappings"]),
            dead_letter_path=values["dead_letter_path"],
            dry_run=bool(values["dry_run"]),
            dry_run_path=values["dry_run_path"],
            max_requests_per_second=rate,
            max_concurrency=int(values["max_concurrency"]),
            max_retries=int(values["max_retries"]),
            request_timeout_seconds=float(values["request_timeout_seconds"]),
            max_retry_after_seconds=float(values["max_retry_after_seconds"]),
            max_body_bytes=int(values["max_body_bytes"]),
            max_rejected_records=values.get("max_rejected_records"),
            progress_interval_seconds=float(values["progress_interval_seconds"]),
            queue_size=int(values["batch_size_rows"]),
            ledger_url=values["ledger_url"],
            daily_request_budget=values.get("daily_request_budget"),
        )


def _with_defaults(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``config`` with each unset or null setting at its default (Meltano may pass nulls)."""
    defaults = {
        name: prop["default"]
        for name, prop in CONFIG_SCHEMA["properties"].items()
        if "default" in prop
    }
    return {**defaults, **{name: value for name, value in config.items() if value is not None}}


def _auth(values: t.Mapping[str, t.Any]) -> Auth | OAuthApp:
    if values.get("oauth_client_id"):
        return OAuthApp(
            client_id=str(values["oauth_client_id"]),
            client_secret=str(values["oauth_client_secret"]),
            refresh_token=str(values["refresh_token"]),
            token_url=values["oauth_token_url"],
            discovers_api_url=values["api_url"].rstrip("/") == DEFAULT_API_URL,
        )
    if values.get("access_token"):
        token = str(values["access_token"])
        return Auth(f"Bearer {token}", "OAuth access_token", (f"Bearer {token}", token))
    secret = str(values["access_key_secret"])
    credential = base64.b64encode(f"{values['access_key']}:{secret}".encode()).decode()
    return Auth(
        f"Basic {credential}",
        f"HTTP Basic with access_key {values['access_key']!r}",
        tuple(filter(None, (f"Basic {credential}", credential, secret))),
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


ENDPOINT_SUFFIXES = (ENDPOINT.rsplit("/", 1)[0], ENDPOINT)
"""``/v2`` and the endpoint itself: what a copied URL ends in, and the target adds."""


def _userinfo_errors(setting: str, url: t.Any) -> list[str]:
    """Refuse ``user:password@`` in a URL, naming the setting and never showing the URL.

    Requests would send those credentials instead of the configured ones, and every message
    that shows the URL (an error, ``--ledger-counts``) would show the password: the URL is
    left out of this message, and checked before any message that quotes it. Found by text,
    not ``urlsplit``, so that a URL it cannot parse (``http://u:pw@[::1``), or one without
    ``scheme://``, is refused too rather than quoted as "not a URL".
    """
    if not isinstance(url, str):
        return []
    authority = re.split(r"[/?#]", url.split("://", 1)[-1], maxsplit=1)[0]
    if "@" not in authority:
        return []
    return [
        f"{setting}: credentials in the URL (user:password@host) are not allowed; set them as "
        "their own settings (the URL is not shown: it holds a secret)"
    ]


def http_url_errors(setting: str, url: t.Any, example: str) -> list[str]:
    """Why ``url`` cannot be used: credentials in it, not http(s), or plain http:// off loopback."""
    userinfo = _userinfo_errors(setting, url)
    if userinfo:
        return userinfo
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:  # e.g. an unclosed [ of an IPv6 host
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        return [f"{setting}: {url!r} is not an http(s) URL like {example}"]
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return [f"{setting}: {url!r} uses plain http://; use https:// (http is only for loopback)"]
    return []


def _api_url_errors(url: t.Any) -> list[str]:
    errors = http_url_errors("api_url", url, "https://us-12345.api.gong.io")
    if errors:
        return errors
    if "?" in url or "#" in url or urlsplit(url).path.rstrip("/").endswith(ENDPOINT_SUFFIXES):
        return [
            f"api_url: {url!r} should be the base URL only, like https://us-12345.api.gong.io "
            "(no /v2 path, query or fragment: the target adds /v2/digital-interaction)"
        ]
    return []


def _under_meltano_hint() -> str:
    """Why credentials set in the environment may not arrive when Meltano runs the target.

    Meltano passes a plugin only the settings its definition declares; a loader added
    without them drops TARGET_GONG_DI_ACCESS_KEY and _SECRET without a word.
    """
    if "MELTANO_PROJECT_ROOT" not in os.environ:
        return ""
    return (
        ". Meltano passes only declared settings: if TARGET_GONG_DI_ACCESS_KEY and "
        "TARGET_GONG_DI_ACCESS_KEY_SECRET are set but did not arrive, the loader's definition "
        "lacks them; add it with `meltano add --plugin-type loader target-gong-di --from-ref "
        "target-gong-di.meltano.yml` (README)"
    )


AUTH_KINDS = {
    "access_key + access_key_secret (HTTP Basic)": ("access_key", "access_key_secret"),
    "access_token (a token managed elsewhere)": ("access_token",),
    "oauth_client_id + oauth_client_secret + refresh_token (an OAuth app that renews its tokens)": (
        "oauth_client_id",
        "oauth_client_secret",
        "refresh_token",
    ),
}
"""The ways to authenticate, each with the settings it needs; exactly one may be set."""


def _auth_errors(values: t.Mapping[str, t.Any]) -> list[str]:
    kinds = ", ".join(AUTH_KINDS)
    started = {
        kind: [name for name in names if values.get(name)] for kind, names in AUTH_KINDS.items()
    }
    started = {kind: names for kind, names in started.items() if names}
    if len(started) > 1:
        found = " and ".join(" + ".join(names) for names in started.values())
        return [f"auth: set exactly one auth kind of {kinds}; found {found}"]
    if not started:
        return [
            f"auth: no credentials; set one auth kind of {kinds}, or set dry_run to send "
            "nothing" + _under_meltano_hint()
        ]
    [(kind, names)] = started.items()
    missing = [name for name in AUTH_KINDS[kind] if name not in names]
    if missing:
        verb = "is" if len(names) == 1 else "are"
        return [f"auth: {' + '.join(names)} {verb} set but {' + '.join(missing)} is missing"]
    return []


def _number_errors(values: t.Mapping[str, t.Any]) -> list[str]:
    """Numeric settings that are NaN or outside their schema's bounds, by name.

    The SDK checks the bounds of a config it read (as ``Decimal``: both kinds of number
    arrive here), but ``from_config`` also takes a config built in code, and NaN passes any
    JSON Schema: every comparison with it is false. The bounds are ``NUMBER_BOUNDS``.
    """
    errors = []
    for name, (low, high) in NUMBER_BOUNDS.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            errors.append(f"{name}: must be a number, not {type(value).__name__}")
        elif value != value:  # noqa: PLR0124 - NaN, the one value unequal to itself
            errors.append(f"{name}: must be a number, not NaN")
        elif not low <= value <= high:  # compared as is: a huge int overflows a float
            errors.append(f"{name}: {value} is out of range; use a number from {low} to {high}")
    return errors


def config_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """Problems the config schema cannot express, one readable line each."""
    values = _with_defaults(config)
    errors = _api_url_errors(values["api_url"]) + ledger_url_errors(values["ledger_url"])
    errors += _number_errors(values)
    if not values["dry_run"]:
        errors += _auth_errors(values)
    if values.get("oauth_client_id") and not values["dry_run"]:
        errors += http_url_errors("oauth_token_url", values["oauth_token_url"], DEFAULT_TOKEN_URL)
    else:  # unused, but a password in it is still refused
        errors += _userinfo_errors("oauth_token_url", values["oauth_token_url"])
    mappings = values.get("mappings")
    if not isinstance(mappings, dict) or not mappings:
        errors.append('mappings: map at least one stream, e.g. {"my_stream": "passthrough"}')
        return errors
    for stream_name, spec in mappings.items():
        try:
            check_mapping(stream_name, spec)
        except MappingConfigError as error:
            errors.append(f"mappings: {error}")
    return errors


def unknown_setting_warnings(config: t.Mapping[str, t.Any], known: t.Collection[str]) -> list[str]:
    """One line per key of ``config`` that is no setting in ``known``, with the closest name.

    An unknown key is ignored, so a misspelled one (``acces_key_secret``) would otherwise
    go unnoticed until its setting's default or absence surprised someone. Only key names are
    shown, never values.
    """
    warnings = []
    for key in sorted(set(config) - set(known)):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        warnings.append(f"unknown setting {key!r}{hint}")
    return warnings


def expression_config(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """What ``config`` is in mapping expressions, with every secret-looking key left out.

    As in SDK stream maps it is ``stream_map_config``; the other settings are readable
    where ``stream_map_config`` does not use the name. Secret settings, and any key named
    like a secret at any depth (a misspelled ``acces_key_secret`` too), are not: a mapping
    could otherwise copy a secret into an event that Gong stores and shows.
    """
    settings = {
        key: value for key, value in config.items() if key not in {*SECRET_SETTINGS, "mappings"}
    }
    return without_secrets({**settings, **(config.get("stream_map_config") or {})})

"""Every setting, declared once: its name, type, default, bounds and description.

``CONFIG_SCHEMA`` is what the SDK validates a config against and what ``--about`` shows;
``make docs`` writes the README's settings table and both Meltano definitions from it, and
``settings.Settings`` reads each of its fields from the setting of the same name.
"""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from target_gong_di.mapping import PASSTHROUGH
from target_gong_di.setting_auth import DEFAULT_API_URL

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


DAILY_LIMIT_CHOICES = ("finish", "fail")
"""``on_daily_limit``: end the run well at the day's limit, or fail it."""

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
            "JSON Lines file that a record which cannot be delivered is appended to, with "
            "its stage, errors and the API's requestId: when first rejected, or rejected "
            "again for another reason or with other content (it stays pending in the ledger "
            "and every run retries it)."
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
        "max_pending_per_stream",
        th.IntegerType(minimum=1, maximum=MAX_COUNT),
        default=10_000,
        title="Max pending rejections per stream",
        description=(
            "Most rejected records of one stream kept pending in the ledger, retried by "
            "every run until delivered; past it the oldest are dropped, with a warning "
            "(each is in dead_letter_path already)."
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
            "Where events Gong has confirmed are remembered (keys and hashes), so a re-sync "
            "spends no requests on them, where rejected records wait (with their content) "
            "until a later run delivers them, and where the daily budget is counted: "
            "sqlite:///path.db (relative to the working directory, the project root "
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
    th.Property(
        "on_daily_limit",
        th.StringType,
        allowed_values=list(DAILY_LIMIT_CHOICES),
        default="finish",
        title="On the daily limit",
        description=(
            "What a run does when the day's requests run out (daily_request_budget, Gong's "
            "daily quota, or the ledger remembering it): finish sends nothing more, reads "
            "the rest of the input without building bodies, forwards the last STATE that "
            "covers only what was settled, logs one warning and exits 0, so the next run "
            "resumes there; fail checkpoints the same way and exits 1."
        ),
    ),
    th.Property(
        "run_summary_path",
        th.StringType,
        title="Run summary file",
        description=(
            "After every run, also one that stopped, write a JSON summary here (replaced "
            "atomically): run_id, times, exit_code, stop_reason, requests, per-stream "
            "counts, the daily budget and Gong's quota, for an orchestrator to read. "
            "Unset: none."
        ),
    ),
    th.Property(
        "skip_events_before",
        th.StringType,
        title="Skip events before",
        description=(
            "Send no event whose body's timestamp is earlier than this: an ISO 8601 date "
            "(2026-01-01, midnight UTC), date-time (UTC when it has no offset) or duration "
            "counted back from the run's start (P30D, P2W, PT12H, P1DT12H; no years or "
            "months). Such records are counted as too_old: not sent, not dead-lettered, "
            "not in the ledger. Gong associates an activity with the deals open at its time "
            "(give or take 14 days), so old history spends quota on closed deals. Unset: "
            "send every event."
        ),
    ),
).to_dict()

SECRET_SETTINGS = tuple(
    name for name, prop in CONFIG_SCHEMA["properties"].items() if prop.get("secret")
)
"""The settings marked ``secret`` in the schema: never logged, nor readable in expressions."""
NUMBER_BOUNDS: dict[str, tuple[float, float]] = {
    name: (prop["minimum"], prop["maximum"])
    for name, prop in CONFIG_SCHEMA["properties"].items()
    if {"number", "integer"} & set(prop["type"])
}
"""Each numeric setting's bounds; read before the SDK adds its own settings to the schema,
and a numeric setting without both bounds fails here, at import."""

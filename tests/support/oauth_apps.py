"""Helpers for tests of OAuth apps: a sandbox that issues tokens, and a config that uses it."""

from __future__ import annotations

import typing as t
from pathlib import Path

from page_views import CONFIG

if t.TYPE_CHECKING:
    from target_gong_di.sandbox import Sandbox

CLIENT_ID = "gong-app-1"
CLIENT_SECRET = "client-s3cret-never-printed"
CONSENT = "rt-consent-never-printed"
"""The refresh token the customer's consent gave: single-use, like every one after it."""


def oauth_sandbox(make_sandbox: t.Callable[..., Sandbox], **options: t.Any) -> Sandbox:
    """A sandbox whose token endpoint knows the app and has ``CONSENT`` unspent."""
    return make_sandbox(
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
        refresh_token=CONSENT,
        **options,
    )


def oauth_config(server: Sandbox, ledger_url: str, **settings: t.Any) -> dict:
    """The test config as an OAuth app of ``server`` (access key settings nulled)."""
    return {
        **CONFIG,
        "api_url": server.url,
        "access_key": None,
        "access_key_secret": None,
        "oauth_client_id": CLIENT_ID,
        "oauth_client_secret": CLIENT_SECRET,
        "refresh_token": CONSENT,
        "oauth_token_url": server.token_url,
        "ledger_url": ledger_url,
        "max_requests_per_second": 20,
        **settings,
    }


def issued_secrets(server: Sandbox) -> list[str]:
    """Every token ``server`` issued, the client secret and the consent's refresh token."""
    oauth = server.store.oauth
    return [*oauth.access_tokens, *oauth.refresh_tokens, CLIENT_SECRET, CONSENT]


def shown_secrets(server: Sandbox, *texts: str) -> list[str]:
    """The secrets of ``server`` that appear in any of ``texts``."""
    return [secret for secret in issued_secrets(server) if any(secret in text for text in texts)]


def sqlite_ledger(folder: Path) -> str:
    """A ledger URL for a SQLite file in ``folder``."""
    return f"sqlite:///{folder / 'ledger.db'}"


def assert_delivered(run: t.Any, server: Sandbox, count: int) -> None:
    """``run`` (a finished target process) succeeded, and ``server`` holds ``count`` events."""
    assert run.returncode == 0, run.stderr
    assert len(server.store.events) == count

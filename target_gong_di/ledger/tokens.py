"""An OAuth app's tokens as the ledger keeps them: one row per consent, rotated in place.

Gong's refresh tokens are single-use, so the rotated one must outlive the run and reach
every process of the same consent: each renewal reads and replaces the row inside one
locked transaction (``Ledger.token_slot``).
"""

from __future__ import annotations

import hashlib
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timezone

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from target_gong_di.ledger.databases import Transaction


@dataclass(frozen=True)
class StoredTokens:
    """An OAuth app's tokens as the ledger keeps them (the tokens never in a repr)."""

    origin: str
    """``token_origin`` of the config's refresh_token this consent started from."""
    refresh_token: str = field(repr=False)
    access_token: str = field(repr=False)
    expires_at: datetime
    """When the access token expires (aware, UTC)."""
    expires_in: float
    """Its lifetime in seconds, as Gong gave it: how early to renew it depends on it."""
    api_base_url: str | None
    """The token response's ``api_base_url_for_customer``."""


class TokenSlot:
    """The stored tokens of one consent, read and replaced inside one locked transaction."""

    def __init__(
        self, tx: Transaction, client_id: str, api_url: str, clock: Callable[[], datetime]
    ) -> None:
        self._tx = tx
        self._key = [client_id, api_url]
        self._clock = clock
        rows = tx.rows(
            "SELECT origin, refresh_token, access_token, expires_at, expires_in, api_base_url "
            "FROM gong_di_oauth_tokens WHERE oauth_client_id = ? AND api_url = ?",
            self._key,
        )
        self.stored: StoredTokens | None = None
        """What is stored now: another process may have rotated it a moment ago."""
        if rows:
            origin, refresh, access, expires_at, expires_in, base_url = rows[0]
            self.stored = StoredTokens(
                origin,
                refresh,
                access,
                datetime.fromisoformat(expires_at),
                float(expires_in),
                base_url,
            )

    def replace(self, tokens: StoredTokens) -> None:
        """Store ``tokens`` in place of the old ones; durable when the transaction commits."""
        self._tx.run(
            "INSERT INTO gong_di_oauth_tokens (oauth_client_id, api_url, origin, refresh_token, "
            "access_token, expires_at, expires_in, api_base_url, rotated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (oauth_client_id, api_url) DO UPDATE SET origin = excluded.origin, "
            "refresh_token = excluded.refresh_token, access_token = excluded.access_token, "
            "expires_at = excluded.expires_at, expires_in = excluded.expires_in, "
            "api_base_url = excluded.api_base_url, "
            "rotated_at = excluded.rotated_at",
            [
                *self._key,
                tokens.origin,
                tokens.refresh_token,
                tokens.access_token,
                tokens.expires_at.astimezone(timezone.utc).isoformat(),
                tokens.expires_in,
                tokens.api_base_url,
                self._clock().astimezone(timezone.utc).isoformat(),
            ],
        )
        self.stored = tokens


def token_origin(refresh_token: str) -> str:
    """SHA-256 of a config refresh_token: recognises a consent without storing it twice."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()

"""What the ledger tests store: an API URL, a confirmation, OAuth tokens, and a hand-moved clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from target_gong_di.ledger.store import DELIVERED, Confirmation, body_hash
from target_gong_di.ledger.tokens import StoredTokens, token_origin

GONG = "https://us-1.api.gong.io"
PASSWORD = "hunter2-never-shown"
CONFIRMATION = Confirmation("web_visits", "e1", body_hash({"eventId": "e1"}), DELIVERED, "r1")


class Clock:
    """A "now" that a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def tokens(refresh_token: str, clock: Clock) -> StoredTokens:
    return StoredTokens(
        origin=token_origin("rt-consent"),
        refresh_token=refresh_token,
        access_token=f"at-for-{refresh_token}",
        expires_at=clock() + timedelta(hours=1),
        expires_in=3600.0,
        api_base_url=GONG,
    )

"""What the client asks of the credentials it authenticates with, whatever their kind.

A fixed credential (``settings.Auth``) and an OAuth app's renewed tokens
(``oauth.OAuthTokens``) both have this shape. It stands in a module of its own so the
client and the OAuth tokens each import it, and neither imports the other.
"""

from __future__ import annotations

import typing as t


class Credentials(t.Protocol):
    """What the client needs to authenticate each request, and to keep it out of any text."""

    @property
    def description(self) -> str:
        """The auth kind, named without a secret, for error messages."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every text that must never be shown, longest first."""

    def authorization(self) -> str:
        """The Authorization header for the next request."""

    def renewed_after(self, rejected: str) -> bool:
        """After a 401 for header ``rejected``: True when a retry may use a renewed header."""

    def close(self) -> None:
        """Release what the credentials hold."""

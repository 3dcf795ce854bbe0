"""The ways to authenticate: the settings each needs, and the credential it builds.

``AUTH_KINDS`` names them; ``auth_errors`` says why a config sets none, two, or one only in
part, and ``credentials`` builds its ``Auth`` (access key, static token) or ``OAuthApp``.
The settings themselves are declared in ``settings``, which reads them with these.
"""

from __future__ import annotations

import base64
import os
import typing as t
from dataclasses import dataclass, field

DEFAULT_API_URL = "https://api.gong.io"
"""Gong's generic base URL: never a company's own, so an OAuth app asks the token response."""


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


def auth_errors(values: t.Mapping[str, t.Any]) -> list[str]:
    """Why ``values`` do not set exactly one of ``AUTH_KINDS``, with all it needs."""
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


def credentials(values: t.Mapping[str, t.Any]) -> Auth | OAuthApp:
    """The credential of the one auth kind ``values`` set (``auth_errors`` found none missing)."""
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

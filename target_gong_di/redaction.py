"""Keeping secrets out of every text the target shows: logs, errors, dead letters.

A ledger URL may carry a database password, in its authority or as a ``password`` query
parameter; whatever names the URL in a message names it with the password as ``***``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit


def redact_url(url: str) -> str:
    """``url`` with any password (in the authority or a ``password`` query parameter) as ***."""
    return redact(url, url)


def _passwords(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        in_query = [value for key, value in parse_qsl(parts.query) if "password" in key.lower()]
        return [secret for secret in [parts.password, *in_query] if secret]
    except ValueError:
        return []


def redact(text: str, url: str) -> str:
    """``text`` with every password of ``url`` replaced by ***."""
    for secret in _passwords(url):
        text = text.replace(secret, "***")
    return text

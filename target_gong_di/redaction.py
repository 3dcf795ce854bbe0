"""Keeping secrets out of every text the target shows: logs, errors, dead letters.

``blank`` is the one way a secret leaves a text: each occurrence becomes a mark. A credential
or token (a header's value, an OAuth token, the client secret) is shown as ``[redacted]``
(``SECRET_MARK``); a ledger URL may carry a database password, in its authority or as a
``password`` query parameter, and whatever names the URL in a message names it with the
password as ``***`` (``PASSWORD_MARK``). A config error about a secret setting may quote its
value, which the config's schema check does not know as a secret: ``without_secret_values``
words such an error without it.
"""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qsl, urlsplit

SECRET_MARK = "[redacted]"  # noqa: S105 - what is shown instead of a secret
"""What a credential, token or client secret is shown as."""
PASSWORD_MARK = "***"  # noqa: S105 - what is shown instead of a password
"""What a password in a ledger URL is shown as."""


def blank(text: str, secrets: t.Iterable[str], mark: str = SECRET_MARK) -> str:
    """``text`` with every occurrence of each of ``secrets`` replaced by ``mark``.

    Secrets are blanked in the order given: longest first, so a header's value goes before
    the credential inside it, leaving no part of either.
    """
    for secret in secrets:
        text = text.replace(secret, mark)
    return text


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
    return blank(text, _passwords(url), PASSWORD_MARK)


def without_secret_values(message: str, names: t.Iterable[str]) -> str:
    """A config error about one of the secret settings ``names``, with its value left out.

    A message naming ``config['<name>']`` or ``'<name>'`` may quote the value it refused,
    so it is replaced whole by one that names the setting only.
    """
    for name in names:
        if f"config['{name}']" in message or f"'{name}'" in message:
            return f"{name}: must be a string (its value is not shown: it is a secret)"
    return message

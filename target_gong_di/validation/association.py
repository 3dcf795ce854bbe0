"""Values Gong stores but will not associate: warned about, never refused.

A ``person.email`` without ``@`` links the event to no person; a URL field (``contentUrl``,
``contentAdditionalInfoUrl``, ``searchObjectDetails.url``: the reference's "The URL ...")
that is not http(s) is no link Gong can open; a ``contentTitle`` over 1,000 characters is
most likely a description or a whole text mapped as the title. Gong accepts such bodies, so
the event is sent, but the user should hear of it.
Every valid body goes through ``association_warnings`` on the run's hot path, so it does a
few dictionary reads and string tests, and more only for a value it warns about.
"""

from __future__ import annotations

import typing as t

from target_gong_di.redaction import redact_url

TITLE_LIMIT = 1000
"""Characters of ``contentTitle`` past which it is most likely no title."""
URL_FIELDS = ("contentUrl", "contentAdditionalInfoUrl")
"""The content's URL fields; the search object's ``url`` is the third."""
WEB_SCHEMES = frozenset({"http", "https"})
NO_AT = "has no '@', so Gong cannot associate the event with a person"
NOT_A_LINK = "is not an http(s) URL, so Gong shows no link"
LONG_TITLE = f"is over {TITLE_LIMIT:,} characters, most likely not a title"
SHOWN = 60
"""Characters of a value an example shows."""

Warning = tuple[str, str, str]
"""(field, what is wrong with it, an example value as it may be shown)."""


def association_warnings(body: t.Mapping[str, t.Any]) -> list[Warning]:
    """What in a valid ``body`` Gong will store but not associate; [] for almost every body."""
    found: list[Warning] = []
    person = body.get("person")
    if person is not None:
        email = person.get("email")
        if email is not None and "@" not in email:
            found.append(
                (
                    "person.email",
                    NO_AT,
                    _shown(email),
                )
            )
    content = body.get("content")
    if content is not None:
        title = content.get("contentTitle")
        if title is not None and len(title) > TITLE_LIMIT:
            found.append(
                (
                    "content.contentTitle",
                    LONG_TITLE,
                    f"{_shown(title)} ({len(title):,} characters)",
                )
            )
        for name in URL_FIELDS:
            url = content.get(name)
            if url is not None and not is_web_url(url):
                found.append((f"content.{name}", NOT_A_LINK, _shown(redact_url(url))))
        search = content.get("searchObjectDetails")
        url = search.get("url") if search is not None else None
        if url is not None and not is_web_url(url):
            found.append(("content.searchObjectDetails.url", NOT_A_LINK, _shown(redact_url(url))))
    return found


def is_web_url(text: str) -> bool:
    """``http://host...`` or ``https://host...``, in any case: a link Gong can open."""
    scheme, separator, rest = text.partition("://")
    known = scheme in WEB_SCHEMES or scheme.lower() in WEB_SCHEMES
    return bool(separator) and known and rest[:1] not in {"", "/"}


def _shown(value: str) -> str:
    """The value as an example shows it: quoted, cut at ``SHOWN`` characters."""
    return repr(value if len(value) <= SHOWN else value[:SHOWN] + "…")

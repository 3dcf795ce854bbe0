"""The rules a JSON Schema cannot say, one function each, every error one readable line.

``settings.config_errors`` applies them to a config with its defaults filled in: a URL's
scheme, host and userinfo, numbers NaN or out of bounds, mappings that compile, the
horizon of ``skip_events_before`` (``skip_horizon``, also what the run reads it with; the
auth kinds' rule is ``setting_auth``'s); and ``unknown_setting_warnings`` names a key that
is no setting. Owns no setting: the names, defaults and bounds are ``settings``'.
"""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
import ipaddress
import re
import typing as t
from urllib.parse import urlsplit

from target_gong_di.mapping import MappingConfigError, check_mapping
from target_gong_di.validation import ENDPOINT


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


ENDPOINT_SUFFIXES = (ENDPOINT.rsplit("/", 1)[0], ENDPOINT)
"""``/v2`` and the endpoint itself: what a copied URL ends in, and the target adds."""


def userinfo_errors(setting: str, url: t.Any) -> list[str]:
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
    userinfo = userinfo_errors(setting, url)
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


def api_url_errors(url: t.Any) -> list[str]:
    """Why ``url`` is no Gong API base URL: ``http_url_errors``, or a path, query or fragment."""
    errors = http_url_errors("api_url", url, "https://us-12345.api.gong.io")
    if errors:
        return errors
    if "?" in url or "#" in url or urlsplit(url).path.rstrip("/").endswith(ENDPOINT_SUFFIXES):
        return [
            f"api_url: {url!r} should be the base URL only, like https://us-12345.api.gong.io "
            "(no /v2 path, query or fragment: the target adds /v2/digital-interaction)"
        ]
    return []


def number_errors(
    values: t.Mapping[str, t.Any], bounds: t.Mapping[str, tuple[float, float]]
) -> list[str]:
    """Numeric settings that are NaN or outside their ``bounds`` (the schema's), by name.

    The SDK checks the bounds of a config it read (as ``Decimal``: both kinds of number
    arrive here), but ``from_config`` also takes a config built in code, and NaN passes any
    JSON Schema: every comparison with it is false.
    """
    errors = []
    for name, (low, high) in bounds.items():
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


def mapping_errors(mappings: t.Any) -> list[str]:
    """Why ``mappings`` maps no stream, or each stream mapping that does not compile."""
    if not isinstance(mappings, dict) or not mappings:
        return ['mappings: map at least one stream, e.g. {"my_stream": "passthrough"}']
    errors = []
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


_DURATION = re.compile(
    r"P(?=\d|T)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
"""An ISO 8601 duration of weeks, days, hours, minutes and seconds, in whole numbers."""
SKIP_EXAMPLES = "e.g. 2026-01-01, 2026-01-01T09:30:00+01:00 or P30D (30 days before the run)"


def skip_horizon(value: str, start: dt.datetime) -> dt.datetime:
    """The moment ``skip_events_before`` means for a run that started at ``start`` (aware).

    A date is its midnight in UTC, a date-time without an offset is UTC, and a duration
    (``P30D``, ``P2W``, ``PT12H``, ``P1DT12H``) is counted back from ``start``. Years and
    months are refused rather than guessed: a "month" of 28 to 31 days would move the
    horizon by days without saying so. Raises ``ValueError`` with a sentence saying why.
    """
    text = value.strip().upper()
    if not text.startswith("P"):
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date, date-time or duration") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    match = _DURATION.fullmatch(text)
    if match is None:
        if re.match(r"P\d+[YM]", text):
            raise ValueError(
                f"{value!r} counts years or months, which have no fixed length; count days "
                "instead (P90D, P365D)"
            )
        raise ValueError(f"{value!r} is not an ISO 8601 duration of weeks, days and time")
    try:
        return start - dt.timedelta(**{name: int(n) for name, n in match.groupdict().items() if n})
    except OverflowError:
        raise ValueError(f"{value!r} reaches back before the year 1") from None


def skip_events_before_errors(value: t.Any) -> list[str]:
    """Why ``value`` cannot be a ``skip_events_before`` (None: unset, no error)."""
    if value is None:
        return []
    reason = f"must be a string, not {type(value).__name__}"
    if isinstance(value, str):
        try:
            skip_horizon(value, dt.datetime.now(dt.timezone.utc))
        except ValueError as error:
            reason = str(error)
        else:
            return []
    return [f"skip_events_before: {reason}; {SKIP_EXAMPLES}"]

"""redaction: the one place that blanks secrets out of a text, with the marks each kind gets."""

from __future__ import annotations

import pytest

from target_gong_di.redaction import blank, redact, redact_url, without_secret_values
from target_gong_di.settings import SECRET_SETTINGS


def test_blank_replaces_every_occurrence_longest_secret_first() -> None:
    header, token = "Bearer tok-123", "tok-123"
    text = f"Authorization: {header}; again {token}"
    assert blank(text, (header, token)) == "Authorization: [redacted]; again [redacted]"


def test_blank_takes_the_mark_it_is_given() -> None:
    assert blank("a secret here", ["secret"], "***") == "a *** here"


def test_a_ledger_url_password_is_starred_in_the_authority_and_the_query() -> None:
    url = "postgresql://gong:pw1@db/ledger?password=pw2"
    assert redact_url(url) == "postgresql://gong:***@db/ledger?password=***"
    assert redact(f"failed: {url}", url) == "failed: postgresql://gong:***@db/ledger?password=***"


HIDDEN = "must be a string (its value is not shown: it is a secret)"


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("12 is not of type 'string' in config['access_token']", f"access_token: {HIDDEN}"),
        ("{'x': 1} for 'refresh_token' is not a string", f"refresh_token: {HIDDEN}"),
        ("5 is greater than the maximum of 3 in config['max_retries']", None),
    ],
)
def test_a_config_error_about_a_secret_setting_leaves_its_value_out(
    message: str, shown: str | None
) -> None:
    # The wording of target._without_secret_values, which can call this instead.
    assert without_secret_values(message, SECRET_SETTINGS) == (shown or message)

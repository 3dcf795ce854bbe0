"""What each answer from Gong means, and the retry policy: pure functions, no server."""

from __future__ import annotations

import email.utils
import json
from types import SimpleNamespace

import pytest

from target_gong_di.delivery import answers
from target_gong_di.delivery.answers import (
    DEFAULT_RETRY_AFTER_SECONDS,
    MAX_ERRORS,
    TOO_LARGE,
    Refused,
    RetryPolicy,
    Settled,
    Stop,
    TryAgain,
    classify,
    retry_after_seconds,
)

POLICY = RetryPolicy(max_retries=3, max_retry_after=60)


def verdict(status: int, text: str = "", **headers: str):
    return classify(status, headers, text, POLICY)


def test_2xx_is_delivered_with_gongs_request_id():
    assert verdict(200, '{"requestId": "r1"}') == Settled("delivered", "r1")


def test_409_is_a_duplicate_and_settles_the_event():
    assert verdict(409, '{"requestId": "r2", "errors": ["already"]}') == Settled("duplicate", "r2")


def test_400_refuses_the_body_with_gongs_errors():
    assert verdict(400, '{"requestId": "r3", "errors": ["bad eventType"]}') == Refused(
        "r3", ("bad eventType",)
    )


def test_400_without_text_says_so():
    assert verdict(400) == Refused(None, ("HTTP 400 with no error text",))


def test_400_with_a_non_json_body_keeps_the_text_as_the_error():
    assert verdict(400, "<html>nope</html>") == Refused(None, ("<html>nope</html>",))


def test_429_within_the_limit_waits_out_retry_after_for_everyone():
    assert verdict(429, **{"Retry-After": "7"}) == TryAgain("HTTP 429", 7.0)


def test_429_beyond_max_retry_after_is_the_quota_and_stops():
    answer = verdict(429, **{"Retry-After": "3600"})
    assert isinstance(answer, Stop)
    assert (answer.kind, answer.retry_after) == ("quota", 3600.0)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_and_408_back_off_this_event_alone(status):
    assert verdict(status) == TryAgain(f"HTTP {status}")


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_stop_the_run_as_an_auth_problem(status):
    answer = verdict(status, '{"errors": ["Access denied"]}')
    assert isinstance(answer, Stop)
    assert (answer.kind, answer.detail) == ("auth", "Access denied")


def test_a_redirect_stops_naming_its_location():
    answer = verdict(302, Location="/login")
    assert isinstance(answer, Stop)
    assert (answer.kind, answer.detail) == ("redirect", "/login")


def test_other_statuses_stop_the_run():
    assert verdict(422, '{"errors": ["x"]}') == Stop("unexpected", 422, None, "x")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, 1.0), ("", 1.0), ("soon", 1.0), ("nan", 1.0), ("0", 0.0), ("inf", 366 * 24 * 3600.0)],
)
def test_retry_after_values_are_bounded_and_defaulted(header, seconds):
    assert retry_after_seconds(header) == seconds


@pytest.mark.parametrize("header", ["-1", "-5", "-0.5", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_negative_retry_after_or_a_date_past_waits_the_default_not_nothing(header):
    assert retry_after_seconds(header) == DEFAULT_RETRY_AFTER_SECONDS


def test_retry_after_as_an_http_date_counts_from_now(monkeypatch):
    now = 1_780_000_000.0  # "now" is fixed: the answer is the date's distance from it
    monkeypatch.setattr(answers, "time", SimpleNamespace(time=lambda: now))
    ahead = email.utils.formatdate(now + 120, usegmt=True)
    assert retry_after_seconds(ahead) == 120


def test_413_refuses_the_body_as_too_large_whatever_page_the_proxy_answers():
    page = "<html><head><title>413 Request Entity Too Large</title></head></html>"
    assert verdict(413, page, **{"Content-Type": "text/html"}) == Refused(None, (TOO_LARGE,))


def test_backoff_doubles_per_retry_up_to_its_cap():
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0)
    no_jitter = lambda low, high: 1.0  # noqa: E731
    assert [policy.backoff(n, no_jitter) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_jitter_stays_within_half_either_side():
    policy = RetryPolicy(backoff_base=1.0)
    assert all(0.5 <= policy.backoff(0) <= 1.5 for _ in range(200))


def test_retries_run_out_after_max_retries():
    assert not POLICY.exhausted(2)
    assert POLICY.exhausted(3)


@pytest.mark.parametrize(
    "text", ["", "<html>Please sign in</html>", '{"ok": true}', '{"requestId": ""}', "[]"]
)
def test_2xx_without_gongs_request_id_is_not_a_delivery_but_a_stop(text):
    answer = verdict(200, text, **{"Content-Type": "text/html"})
    assert isinstance(answer, Stop)
    assert (answer.kind, answer.status) == ("unexpected", 200)
    assert "Content-Type text/html" in answer.detail
    assert "a proxy, captive portal or firewall may be in the way" in answer.detail


def test_2xx_not_from_gong_names_its_first_bytes_bounded():
    answer = verdict(200, "<html>" + "x" * 10_000)
    assert isinstance(answer, Stop)
    assert "first bytes '<html>xxx" in answer.detail
    assert len(answer.detail) < 1000


def test_400_keeps_at_most_max_errors():
    text = json.dumps({"requestId": "r", "errors": [str(n) for n in range(1000)]})
    answer = verdict(400, text)
    assert isinstance(answer, Refused)
    assert answer.errors == tuple(str(n) for n in range(MAX_ERRORS))

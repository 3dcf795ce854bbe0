"""Values Gong stores but will not associate are warned about once per stream, never refused."""

from __future__ import annotations

import logging

import pytest

from target_gong_di.run.report import RunReport
from target_gong_di.validation import association_warnings, body_errors

BODY = {
    "eventId": "e1",
    "eventType": "page viewed",
    "timestamp": "2024-05-01T10:00:00Z",
    "content": {"contentTitle": "Pricing", "contentUrl": "https://acme.com/pricing"},
    "person": {"email": "ana@acme.com"},
}


def with_content(**fields: object) -> dict:
    return {**BODY, "content": {**BODY["content"], **fields}}


def test_a_body_gong_can_associate_gets_no_warning():
    assert association_warnings(BODY) == []


def test_an_email_without_at_is_warned_about_with_its_value():
    body = {**BODY, "person": {"email": "not-an-email"}}
    assert association_warnings(body) == [
        (
            "person.email",
            "has no '@', so Gong cannot associate the event with a person",
            "'not-an-email'",
        )
    ]


@pytest.mark.parametrize(
    "field", ["contentUrl", "contentAdditionalInfoUrl", "searchObjectDetails.url"]
)
@pytest.mark.parametrize("url", ["not a url", "ftp://acme.com/x", "www.acme.com", "https://"])
def test_a_url_field_that_is_not_http_is_warned_about(field, url):
    if field == "searchObjectDetails.url":
        details = {"name": "Acme", "objectType": "VENDOR", "domain": "acme.com", "url": url}
        body = with_content(searchObjectDetails=details)
    else:
        body = with_content(**{field: url})
    assert [(name, example) for name, _, example in association_warnings(body)] == [
        (f"content.{field}", repr(url))
    ]


@pytest.mark.parametrize("url", ["http://acme.com", "HTTPS://acme.com/a?b=c"])
def test_http_and_https_urls_in_any_case_are_links(url):
    assert association_warnings(with_content(contentUrl=url)) == []


def test_a_url_example_never_shows_a_password():
    [(_, _, example)] = association_warnings(with_content(contentUrl="ftp://bo:hunter2@acme.com"))
    assert "hunter2" not in example
    assert example == "'ftp://bo:***@acme.com'"


def test_a_title_over_1000_characters_is_warned_about_with_its_start_and_length():
    body = with_content(contentTitle="x" * 1001)
    assert body_errors(body) == []  # Gong accepts it: a warning, not a rejection
    assert association_warnings(body) == [
        (
            "content.contentTitle",
            "is over 1,000 characters, most likely not a title",
            f"'{'x' * 60}…' (1,001 characters)",
        )
    ]


def test_a_title_of_1000_characters_is_a_title():
    assert association_warnings(with_content(contentTitle="x" * 1000)) == []


def test_the_summary_warns_once_per_stream_and_problem_with_a_count_and_the_first_example(
    caplog,
):
    logger = logging.getLogger("test-association")
    report = RunReport(logger, logger, 60)
    for email in ("first-bad", "second-bad", "third-bad"):
        report.value_warning("users", "person.email", "has no '@'", repr(email))
    report.value_warning("leads", "person.email", "has no '@'", "'x'")
    with caplog.at_level(logging.WARNING, logger.name):
        report.finish("dead.jsonl", None)
    assert [r.getMessage() for r in caplog.records if "has no '@'" in r.getMessage()] == [
        "Stream 'leads', 1 event: person.email has no '@' (e.g. 'x'); a warning only, "
        "the events are not rejected",
        "Stream 'users', 3 events: person.email has no '@' (e.g. 'first-bad'); a warning "
        "only, the events are not rejected",
    ]

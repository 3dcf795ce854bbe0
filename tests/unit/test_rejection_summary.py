"""The rejection summary: one group per stream, stage, field and reason, told in words."""

from __future__ import annotations

import logging
import os

import pytest

from target_gong_di.run.report import RunReport, rejection_group_key, rejection_heading

LOGGER = logging.getLogger("test-rejection-summary")


def heading(stream: str, stage: str, error: str) -> str:
    return rejection_heading(*rejection_group_key(stream, stage, error))


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("(body): 'timestamp' is a required property", "timestamp is missing"),
        ("content: 'contentTitle' is a required property", "content.contentTitle is missing"),
        ("(record): 'id' is a required property", "id is missing"),
        ("viewed_at: 'soon' is not a 'date-time'", "field viewed_at: … is not a …"),
        (
            "person, trackingId: one of them is required",
            "field person, trackingId: one of them is required",
        ),
        (
            "(body): is 1,234,567 bytes encoded, over max_body_bytes=1000000",
            "the body is … bytes encoded, over max_body_bytes=…",
        ),
        ("Rejected by a server-side rule", "the record: Rejected by a server-side rule"),
    ],
)
def test_a_heading_names_the_stream_stage_and_property_in_words(error, words):
    assert (
        heading("views", "validation", error) == f"of stream 'views' at stage validation, {words}"
    )


def test_records_missing_different_properties_are_different_groups():
    timestamp = rejection_group_key(
        "views", "validation", "(body): 'timestamp' is a required property"
    )
    event_type = rejection_group_key(
        "views", "validation", "(body): 'eventType' is a required property"
    )
    assert timestamp != event_type


def test_the_same_reason_in_two_streams_is_two_groups():
    error = "(body): 'timestamp' is a required property"
    assert rejection_group_key("views", "validation", error) != rejection_group_key(
        "webinars", "validation", error
    )


def test_values_that_differ_per_record_share_a_group():
    first = rejection_group_key("views", "schema", "viewed_at: 'soon' is not a 'date-time'")
    second = rejection_group_key("views", "schema", "viewed_at: 'later' is not a 'date-time'")
    assert first == second


def test_the_summary_tells_each_streams_groups_with_an_example_of_that_stream(caplog):
    report = RunReport(LOGGER, LOGGER, 60)
    missing = ["(body): 'timestamp' is a required property"]
    report.rejected("webinars", "validation", missing, {"id": 9}, 7)
    report.rejected("views", "validation", missing, {"id": 1}, 2)
    report.rejected("views", "validation", missing, {"id": 2}, 3)
    with caplog.at_level(logging.WARNING, LOGGER.name):
        report.finish(os.devnull, None)
    rejected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Rejected")]
    assert rejected == [
        "Rejected 2 records of stream 'views' at stage validation, timestamp is missing (e.g. "
        "key {'id': 1}, input line 2: (body): 'timestamp' is a required property; input lines "
        "2, 3)",
        "Rejected 1 record of stream 'webinars' at stage validation, timestamp is missing (e.g. "
        "key {'id': 9}, input line 7: (body): 'timestamp' is a required property)",
    ]

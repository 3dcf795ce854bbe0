"""--suggest-mappings: starter mappings decided from a stream's SCHEMA and sampled values."""

from __future__ import annotations

from target_gong_di.commands.suggest import StreamSample, suggest

PROPERTIES = {
    "id": {"type": "integer"},
    "visitor": {"type": "object", "properties": {"email": {"type": "string"}}},
    "page_title": {"type": "string"},
    "link": {"type": "string"},
    "seen": {"type": "integer"},
    "plan": {"type": "string"},
}
RECORDS = [
    {"id": 1, "visitor": {"email": "a@b.co"}, "page_title": "P", "link": "https://b.co/p",
     "seen": 1764144000123, "plan": "pro"},
]  # fmt: skip


def suggested(sample: StreamSample) -> dict:
    return suggest([sample])[0][sample.name]


def test_values_pick_epoch_milliseconds_as_the_timestamp():
    assert suggested(StreamSample("views", PROPERTIES, ("id",), RECORDS))["timestamp"] == "seen"


def test_values_pick_a_url_property_as_the_content_url():
    mapping = suggested(StreamSample("views", PROPERTIES, ("id",), RECORDS))
    assert mapping["content"] == {"contentTitle": "page_title", "contentUrl": "link"}


def test_nested_email_becomes_the_person_with_its_company_domain():
    person = suggested(StreamSample("views", PROPERTIES, ("id",), RECORDS))["person"]
    assert person == {
        "email": "visitor['email']",
        "company": {"domain": "visitor['email'].split('@')[-1]"},
    }


def test_event_type_is_the_stream_name_without_the_sql_schema():
    sample = StreamSample("public-feature_usage", PROPERTIES, ("id",), RECORDS)
    assert suggested(sample)["eventType"] == "'feature usage'"


def test_remaining_plain_properties_become_custom_fields():
    assert suggested(StreamSample("views", PROPERTIES, ("id",), RECORDS))["customFields"] == {
        "plan": "plan"
    }


def test_records_that_already_are_bodies_pass_through():
    body = {name: {"type": "string"} for name in ("eventType", "timestamp", "content")}
    assert suggested(StreamSample("partner", body, ("eventId",))) == "passthrough"


def test_what_cannot_be_decided_is_left_out_and_noted():
    mappings, notes = suggest([StreamSample("things", {"n": {"type": "integer"}}, ())])
    assert "timestamp" not in mappings["things"]
    assert any(note.startswith("timestamp:") for note in notes["things"])
    assert any(note.startswith("eventId:") for note in notes["things"])
    assert any(note.startswith("content.contentTitle:") for note in notes["things"])

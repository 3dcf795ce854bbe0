"""--suggest-mappings: starter mappings decided from a stream's SCHEMA and sampled values."""

from __future__ import annotations

import json

from target_gong_di.commands.suggest import StreamSample, read_streams, suggest
from target_gong_di.mapping import StreamSchema, compile_stream_mapping

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
        "company": {
            "domain": "visitor['email'].split('@')[-1] if visitor['email'] and '@' in "
            "visitor['email'] else None"
        },
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


# Decisions on dirty samples: a large majority of the values decides, the name breaks ties.

TEXT = {"type": ["null", "string"]}
WHEN = {"type": ["null", "string"], "format": "date-time"}


def rows(count: int, **columns) -> list[dict]:
    """``count`` records; each column a function of the row number."""
    return [{"id": n, **{name: make(n) for name, make in columns.items()}} for n in range(count)]


def sample_of(records: list[dict], **properties) -> StreamSample:
    return StreamSample("events", {"id": {"type": "integer"}, **properties}, ("id",), records)


def test_one_bad_value_among_many_emails_does_not_hide_the_email():
    records = rows(40, contact=lambda n: f"p{n}@acme.com")
    records[3]["contact"] = "not-an-email"
    person = suggested(sample_of(records, contact=TEXT))["person"]
    assert person["email"] == "contact"


def test_values_split_between_emails_and_text_are_an_email_only_if_named_so():
    records = rows(10, user_email=lambda n: f"p{n}@acme.com" if n < 7 else "n/a")
    for record in records:
        record["note"] = record["user_email"]
    mapping = suggested(sample_of(records, user_email=TEXT, note=TEXT))
    assert mapping["person"]["email"] == "user_email"
    assert mapping["customFields"] == {"note": "note"}


def test_with_no_values_the_property_name_stands_in():
    sample = StreamSample("events", {"id": {"type": "integer"}, "buyer_email": TEXT}, ("id",))
    assert suggested(sample)["person"]["email"] == "buyer_email"


def test_a_key_property_that_holds_the_email_becomes_the_person():
    properties = {"webinar_id": {"type": "integer"}, "attendee_email": {"type": "string"}}
    records = [{"webinar_id": n % 3, "attendee_email": f"p{n}@acme.com"} for n in range(9)]
    sample = StreamSample("attendance", properties, ("webinar_id", "attendee_email"), records)
    mapping = suggested(sample)
    assert mapping["person"]["email"] == "attendee_email"
    assert "eventId" not in mapping  # still derived from both key properties


def test_one_bad_url_among_many_keeps_the_url_out_of_the_title():
    records = rows(30, feature_url=lambda n: f"https://app.example/f/{n}", feature=lambda n: "F")
    records[8]["feature_url"] = "not a url"
    content = suggested(sample_of(records, feature_url=TEXT, feature=TEXT))["content"]
    assert content == {"contentTitle": "feature", "contentUrl": "feature_url"}


def test_a_name_or_title_property_is_the_title_before_other_title_like_text():
    records = rows(5, page_path=lambda n: f"/p/{n}", course_name=lambda n: f"Course {n}")
    mapping = suggested(sample_of(records, page_path=TEXT, course_name=TEXT))
    assert mapping["content"]["contentTitle"] == "course_name"


def test_a_title_with_gaps_in_the_sample_falls_back_to_the_event_type():
    records = rows(5, webinar_title=lambda n: None if n == 2 else f"W{n}")
    content = suggested(sample_of(records, webinar_title=TEXT))["content"]
    assert content["contentTitle"] == "webinar_title or 'events'"


def test_a_stream_with_no_title_gets_its_event_type_as_title_and_a_note():
    mappings, notes = suggest([sample_of(rows(3, score=lambda n: n), score=TEXT)])
    assert mappings["events"]["content"] == {"contentTitle": "'events'"}
    assert any(note.startswith("content.contentTitle:") for note in notes["events"])


def test_a_complete_date_time_beats_a_date_column_with_nulls_and_zero_dates():
    records = rows(
        20,
        registered_on=lambda n: None if n % 5 == 0 else f"2026-10-{n + 1:02d}T00:00:00+00:00",
        updated_at=lambda n: f"2026-11-01T10:{n:02d}:00.123+00:00",
    )
    records[3]["registered_on"] = "0000-00-00"
    mapping = suggested(sample_of(records, registered_on=WHEN, updated_at=WHEN))
    assert mapping["timestamp"] == "updated_at"


def test_a_date_time_beats_a_date_when_both_are_always_set():
    records = rows(
        6,
        signup_day=lambda n: f"2026-10-{n + 1:02d}",
        registered_at=lambda n: f"2026-10-{n + 1:02d}T08:30:00Z",
    )
    mapping = suggested(sample_of(records, signup_day=TEXT, registered_at=TEXT))
    assert mapping["timestamp"] == "registered_at"


def test_a_column_set_in_every_record_beats_an_event_named_one_with_nulls():
    records = rows(
        8,
        completed_at=lambda n: f"2026-11-0{n + 1}T09:00:00Z" if n % 2 else None,
        updated_at=lambda n: f"2026-11-0{n + 1}T10:00:00Z",
    )
    mapping = suggested(sample_of(records, completed_at=WHEN, updated_at=WHEN))
    assert mapping["timestamp"] == "updated_at"


def test_the_derived_company_domain_is_left_out_for_a_value_with_no_at_sign():
    properties = {"id": {"type": "integer"}, "email": TEXT, "at": WHEN, "title": TEXT}
    mapping = suggested(StreamSample("events", properties, ("id",)))
    built = compile_stream_mapping("events", mapping, StreamSchema(properties, ("id",)))
    record = {"id": 1, "at": "2026-11-01T10:00:00Z", "title": "T"}
    assert built.build({**record, "email": "not-an-email"})["person"] == {"email": "not-an-email"}
    assert built.build({**record, "email": "a@b.co"})["person"]["company"] == {"domain": "b.co"}
    assert "person" not in built.build({**record, "email": None})


# Catalogs: entries are keyed by ``stream``, the name taps write in their messages.


def catalog(entry: dict) -> str:
    schema = {"type": "object", "properties": {"id": {"type": ["integer"]}, "email": TEXT}}
    metadata = [{"breadcrumb": [], "metadata": {"table-key-properties": ["id"]}}]
    return json.dumps({"streams": [{"schema": schema, "metadata": metadata, **entry}]})


def test_a_singer_io_catalog_suggestion_is_keyed_by_the_stream_its_messages_use():
    entry = {"tap_stream_id": "shop-nps_answers", "stream": "nps_answers",
             "table_name": "nps_answers"}  # fmt: skip
    mappings, notes = suggest(read_streams(catalog(entry)))
    assert list(mappings) == ["nps_answers"]
    assert any("'shop-nps_answers'" in note for note in notes["nps_answers"])


def test_a_catalog_whose_stream_is_its_tap_stream_id_gets_no_note_about_names():
    entry = {"tap_stream_id": "public-nps_answers", "stream": "public-nps_answers"}
    mappings, notes = suggest(read_streams(catalog(entry)))
    assert list(mappings) == ["public-nps_answers"]
    assert mappings["public-nps_answers"]["eventType"] == "'nps answers'"
    assert not any(note.startswith("stream name:") for note in notes.get("public-nps_answers", []))


def test_the_event_id_namespace_is_the_catalog_entrys_table_name():
    entry = {"tap_stream_id": "shop-answers", "stream": "answers", "table_name": "nps_answers"}
    mappings, _ = suggest(read_streams(catalog(entry)))
    assert mappings["answers"]["__event_id_namespace__"] == "nps_answers"


def test_the_event_id_namespace_of_a_sampled_stream_is_its_name_without_the_prefix():
    sample = StreamSample("shop-nps_answers", PROPERTIES, ("id",), RECORDS)
    mapping = suggest([sample])[0]["shop-nps_answers"]
    assert mapping["__event_id_namespace__"] == "nps_answers"


def test_an_event_id_from_an_id_property_is_built_from_the_namespace_too():
    sample = StreamSample("shop-nps_answers", PROPERTIES, (), RECORDS)
    mapping = suggest([sample])[0]["shop-nps_answers"]
    assert mapping["__event_id_namespace__"] == "nps_answers"
    assert mapping["eventId"] == "__event_id_namespace__ + '-' + str(id)"

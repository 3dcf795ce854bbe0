"""The mapping language: a record and a config mapping in, a digital-interaction body out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from target_gong_di.mapping.compiler import (
    MappingConfigError,
    RecordMappingError,
    StreamSchema,
    check_mapping,
    compile_stream_mapping,
    derive_event_id,
    event_id_deriver,
)

PROPERTIES = {
    "id": {"type": "integer"},
    "email": {"type": ["string", "null"]},
    "viewed_at": {"type": "string", "format": "date-time"},
    "signup_day": {"type": ["null", "string"], "format": "date"},
    "page": {"type": "string"},
    "seats": {"type": ["integer", "null"]},
    "score": {"type": "number"},
    "mobile": {"type": "boolean"},
    "homepage": {"type": "string", "format": "uri"},
    "visitor": {"type": "object", "properties": {"email": {"type": "string"}}},
    "tags": {"type": "array", "items": {"type": "string"}},
}
STREAM = StreamSchema(PROPERTIES, ("id",))
WITH_WHEN = StreamSchema({**PROPERTIES, "when": {}}, ("id",))
BASE = {
    "eventType": "'page viewed'",
    "timestamp": "viewed_at",
    "content": {"contentTitle": "page"},
}
RECORD = {
    "id": 7,
    "email": "ana@acme.com",
    "viewed_at": dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "page": "Pricing",
    "seats": 12,
    "score": 9.5,
    "mobile": True,
    "homepage": "https://acme.com",
    "visitor": {"email": "bo@beta.io"},
    "tags": ["a", "b"],
}


def build(spec: dict, record: dict | None = None, stream: StreamSchema = STREAM, **kw) -> dict:
    return compile_stream_mapping("web", {**BASE, **spec}, stream, **kw).build(record or RECORD)


def test_quoted_string_is_a_constant():
    assert build({})["eventType"] == "page viewed"


def test_bare_name_reads_the_record_property():
    assert build({})["content"]["contentTitle"] == "Pricing"


def test_conditional_expression_picks_the_device():
    assert build({"device": "'MOBILE' if mobile else 'PC'"})["device"] == "MOBILE"


def test_method_calls_on_properties_work():
    body = build({"person": {"company": {"domain": "email.split('@')[-1]"}, "email": "email"}})
    assert body["person"]["company"]["domain"] == "acme.com"


def test_nested_property_is_read_by_subscript():
    assert build({"person": {"email": "visitor['email']"}})["person"]["email"] == "bo@beta.io"


def test_list_literal_expression_gives_a_list():
    body = build({"content": {"contentTitle": "page", "contentLabel": "['intro', 'exam']"}})
    assert body["content"]["contentLabel"] == ["intro", "exam"]


def test_lists_in_the_mapping_map_element_wise():
    body = build({"content": {"contentTitle": "page", "contentLabel": ["'fixed'", "page"]}})
    assert body["content"]["contentLabel"] == ["fixed", "Pricing"]


def test_sdk_functions_are_available():
    body = build({"sessionId": "md5(str(id))", "trackingId": "sha256(email)"})
    assert len(body["sessionId"]) == 32
    assert len(body["trackingId"]) == 64


def test_record_config_and_stream_name_are_available():
    body = build(
        {"sessionId": "__stream_name__ + '-' + str(record['id'])", "trackingId": "config['who']"},
        expression_config={"who": "me"},
    )
    assert body["sessionId"] == "web-7"
    assert body["trackingId"] == "me"


@pytest.mark.parametrize(
    "expression",
    [
        "config['acces_key_secret']",
        "config.get('API_Token', '')",
        "config['stream_map_config']['db_password']",
    ],
)
def test_an_expression_reading_a_secret_looking_config_key_is_refused(expression):
    with pytest.raises(MappingConfigError) as raised:
        check_mapping("web", {**BASE, "sessionId": expression})
    message = str(raised.value)
    assert message.startswith(f"stream 'web', field 'sessionId': expression {expression!r} reads")
    assert "secrets are not available to expressions" in message


def test_numbers_and_booleans_in_the_mapping_are_constants():
    body = build(
        {
            "content": {
                "contentTitle": "page",
                "numericContentDetails": {"value": 9, "rangeFrom": 0, "rangeTo": 10},
            }
        }
    )
    assert body["content"]["numericContentDetails"] == {"value": 9, "rangeFrom": 0, "rangeTo": 10}


def test_leaf_evaluating_to_none_is_omitted():
    body = build({"person": {"email": "email", "name": "None"}}, {**RECORD, "email": None})
    assert "person" not in body


def test_leaf_evaluating_to_empty_text_is_omitted_like_none():
    spec = {"person": {"email": "email"}, "trackingId": "page"}
    body = build(spec, {**RECORD, "email": "", "page": "Pricing"})
    assert "person" not in body
    assert body["trackingId"] == "Pricing"


def test_custom_field_with_empty_text_is_omitted():
    body = build({"customFields": {"who": "email", "seats": "seats"}}, {**RECORD, "email": ""})
    assert [field["name"] for field in body["customFields"]] == ["seats"]


def test_object_left_empty_is_omitted():
    body = build({"person": {"location": {"city": "None"}, "email": "email"}})
    assert body["person"] == {"email": "ana@acme.com"}


def test_property_absent_from_the_record_reads_as_none():
    record = {key: value for key, value in RECORD.items() if key != "email"}
    assert "person" not in build({"person": {"email": "email"}}, record)


def test_numbers_become_text_in_string_fields():
    assert (
        build({"content": {"contentTitle": "page", "contentId": "id"}})["content"]["contentId"]
        == "7"
    )


def test_integral_decimals_become_integers_in_integer_fields():
    spec = {
        "content": {
            "contentTitle": "page",
            "numericContentDetails": {"value": "seats", "rangeFrom": "0", "rangeTo": "100"},
        }
    }
    body = build(spec, {**RECORD, "seats": Decimal("12")})
    assert body["content"]["numericContentDetails"]["value"] == 12


def test_custom_field_object_becomes_name_value_datatype_array():
    body = build({"customFields": {"plan": "page"}})
    assert body["customFields"] == [{"name": "plan", "value": "Pricing", "dataType": "STRING"}]


@pytest.mark.parametrize(
    ("property_name", "data_type", "value"),
    [
        ("seats", "NUMBER", "12"),
        ("score", "NUMBER", "9.5"),
        ("mobile", "BOOLEAN", "true"),
        ("viewed_at", "DATE", "2024-05-01T08:00:00Z"),
        ("homepage", "URL", "https://acme.com"),
        ("email", "STRING", "ana@acme.com"),
    ],
)
def test_custom_field_datatype_comes_from_the_schema(property_name, data_type, value):
    body = build({"person": {"email": "email", "personCustomFields": {"f": property_name}}})
    assert body["person"]["personCustomFields"] == [
        {"name": "f", "value": value, "dataType": data_type}
    ]


def test_custom_field_date_property_is_date():
    body = build(
        {"customFields": {"since": "signup_day"}}, {**RECORD, "signup_day": dt.date(2024, 1, 2)}
    )
    assert body["customFields"][0]["dataType"] == "DATE"


@pytest.mark.parametrize(
    ("expression", "data_type", "value"),
    [
        ("seats * 2", "NUMBER", "24"),
        ("not mobile", "BOOLEAN", "false"),
        ("page.upper()", "STRING", "PRICING"),
        ("True", "BOOLEAN", "true"),
    ],
)
def test_custom_field_datatype_comes_from_the_value_for_expressions(expression, data_type, value):
    body = build({"content": {"contentTitle": "page", "contentCustomFields": {"f": expression}}})
    assert body["content"]["contentCustomFields"] == [
        {"name": "f", "value": value, "dataType": data_type}
    ]


@pytest.mark.parametrize(
    ("declared", "value", "data_type"),
    [
        ({"type": ["null", "string", "number"]}, "N/A", "STRING"),
        ({"type": ["null", "string", "number"]}, 3, "NUMBER"),
        ({"type": ["boolean", "string"]}, "yes", "STRING"),
        ({"anyOf": [{"type": "string", "format": "date"}, {"type": "string"}]}, "n/a", "STRING"),
    ],
)
def test_custom_field_of_a_property_allowing_several_datatypes_takes_the_values_type(
    declared, value, data_type
):
    stream = StreamSchema({**PROPERTIES, "mixed": declared}, ("id",))
    body = build({"customFields": {"f": "mixed"}}, {**RECORD, "mixed": value}, stream)
    assert body["customFields"][0]["dataType"] == data_type


def test_json_dumps_in_an_expression_writes_decimals_and_datetimes_as_json():
    stream = StreamSchema({**PROPERTIES, "meta": {"type": "object"}}, ("id",))
    meta = {"score": Decimal("0.50"), "at": dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)}
    body = build({"customFields": {"raw": "json.dumps(meta)"}}, {**RECORD, "meta": meta}, stream)
    assert body["customFields"][0]["value"] == '{"score":0.50,"at":"2024-05-01T00:00:00Z"}'


def test_custom_field_with_none_value_is_omitted():
    body = build({"customFields": {"who": "email", "seats": "seats"}}, {**RECORD, "email": None})
    assert body["customFields"] == [{"name": "seats", "value": "12", "dataType": "NUMBER"}]


def test_custom_field_array_form_maps_element_wise():
    spec = {"customFields": [{"name": "'plan'", "value": "page", "dataType": "'STRING'"}]}
    assert build(spec)["customFields"] == [
        {"name": "plan", "value": "Pricing", "dataType": "STRING"}
    ]


def test_event_id_is_derived_from_stream_and_key_properties():
    body = build({})
    assert body["eventId"] == derive_event_id("web", [7])
    assert body["eventId"] == derive_event_id("web", [7])


def test_derived_event_id_differs_by_stream_and_key():
    assert derive_event_id("web", [7]) != derive_event_id("app", [7])
    assert derive_event_id("web", [7]) != derive_event_id("web", [8])


def test_derived_event_id_is_the_same_on_every_machine():
    assert derive_event_id("web", [7]) == (
        "155ab6ee21aa85b5acc606e632b24b2218da2e82ae21a324ca5909d64bf67ca0"
    )


KEY_VALUES = [
    [7],
    ["7"],
    ['ünïcode "quoted" \\ \n'],
    [True],
    [Decimal("12.30")],
    [2.5],
    [dt.datetime(2026, 11, 20, 9, 15, 2, tzinfo=dt.timezone.utc)],
    [dt.date(2026, 11, 20)],
    [None],
    [{"a": 1}],
    [["a", 1]],
    [7, "a"],
    [None, 3],
    [],
]


@pytest.mark.parametrize("key_values", KEY_VALUES, ids=repr)
@pytest.mark.parametrize("namespace", ["web", 'ünï "ns"'])
def test_a_streams_event_id_deriver_gives_the_derived_event_id(namespace, key_values):
    assert event_id_deriver(namespace)(key_values) == derive_event_id(namespace, key_values)


def test_mapped_event_id_wins_over_derivation():
    assert build({"eventId": "'evt-' + str(id)"})["eventId"] == "evt-7"


def test_stream_without_event_id_or_key_properties_is_refused():
    with pytest.raises(MappingConfigError, match=r"'web'.*no eventId.*key_properties"):
        build({}, stream=StreamSchema(PROPERTIES, ()))


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T10:00:00+02:00",
        "2024-05-01T08:00:00Z",
        "2024-05-01T08:00:00",
        "2024-05-01 08:00:00",
        dt.datetime(2024, 5, 1, 8, 0),
        dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone.utc),
        1714550400,
        1714550400000,
        1714550400.0,
        "1714550400",
    ],
)
def test_timestamps_in_any_form_become_iso_utc(value):
    body = build({"timestamp": "when"}, {**RECORD, "when": value}, WITH_WHEN)
    assert body["timestamp"] == "2024-05-01T08:00:00Z"


def test_date_timestamp_is_midnight_utc():
    body = build({"timestamp": "when"}, {**RECORD, "when": dt.date(2024, 5, 1)}, WITH_WHEN)
    assert body["timestamp"] == "2024-05-01T00:00:00Z"


def test_basic_format_date_text_is_a_date_not_epoch_seconds():
    body = build({"timestamp": "when"}, {**RECORD, "when": "20240501"}, WITH_WHEN)
    assert body["timestamp"] == "2024-05-01T00:00:00Z"


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:30"])
def test_timestamp_beyond_year_9999_or_before_year_1_in_utc_fails_the_record(value):
    with pytest.raises(RecordMappingError, match="outside the years 1-9999"):
        build({"timestamp": "when"}, {**RECORD, "when": value}, WITH_WHEN)


def test_unreadable_timestamp_fails_the_record_naming_the_field():
    with pytest.raises(RecordMappingError, match="timestamp"):
        build({"timestamp": "page"})


def test_expression_that_raises_fails_the_record_naming_field_and_expression():
    with pytest.raises(RecordMappingError, match=r"person\.company\.domain.*email\.split"):
        build({"person": {"company": {"domain": "email.split('@')[1]"}}}, {**RECORD, "email": "x"})


def test_method_on_a_null_value_omits_the_leaf():
    spec = {"person": {"name": "page", "company": {"domain": "email.split('@')[-1]"}}}
    assert build(spec, {**RECORD, "email": None})["person"] == {"name": "Pricing"}


def test_attribute_on_a_null_value_omits_the_leaf():
    spec = {"person": {"name": "page", "email": "visitor.email"}}
    assert build(spec, {**RECORD, "visitor": None})["person"] == {"name": "Pricing"}


def test_error_that_remains_on_a_null_value_names_the_null_property():
    with pytest.raises(RecordMappingError, match=r"sessionId: .*TypeError.*\(email was null\)"):
        build({"sessionId": "email + '-web'"}, {**RECORD, "email": None})


def test_source_system_name_fills_bodies_that_lack_it():
    assert build({}, source_system_name="Acme")["sourceSystemName"] == "Acme"
    assert (
        build({"sourceSystemName": "'Own'"}, source_system_name="Acme")["sourceSystemName"] == "Own"
    )


def test_unknown_body_key_is_refused_naming_stream_and_field():
    with pytest.raises(MappingConfigError, match=r"stream 'web', field 'content\.titel'"):
        build({"content": {"titel": "page"}})


def test_unknown_property_in_expression_is_refused_naming_stream_field_and_name():
    with pytest.raises(MappingConfigError, match=r"'web'.*'sessionId'.*'sesion'"):
        build({"sessionId": "sesion"})


def test_unknown_property_in_record_subscript_is_refused():
    with pytest.raises(MappingConfigError, match="'nope'"):
        build({"sessionId": "record['nope']"})


def test_comprehension_variables_are_not_taken_for_properties():
    body = build({"content": {"contentTitle": "page", "contentLabel": "[t.upper() for t in tags]"}})
    assert body["content"]["contentLabel"] == ["A", "B"]


def test_expression_syntax_error_is_refused():
    with pytest.raises(MappingConfigError, match=r"'eventType'.*not valid"):
        build({"eventType": "page viewed"})


def test_object_given_for_a_value_field_is_refused():
    with pytest.raises(MappingConfigError, match="'eventType': takes a value"):
        build({"eventType": {"a": "page"}})


def test_passthrough_sends_records_as_bodies_without_nulls():
    stream = StreamSchema({"eventId": {}, "timestamp": {}}, ())
    mapping = compile_stream_mapping("raw", "passthrough", stream, source_system_name="S")
    body = mapping.build(
        {
            "eventId": "e1",
            "timestamp": 1714550400,
            "eventType": "x",
            "content": {"contentTitle": "t", "contentUrl": None},
            "trackingId": "t1",
        }
    )
    assert body == {
        "eventId": "e1",
        "timestamp": "2024-05-01T08:00:00Z",
        "eventType": "x",
        "content": {"contentTitle": "t"},
        "trackingId": "t1",
        "sourceSystemName": "S",
    }


def test_passthrough_stream_without_event_id_or_keys_is_refused():
    with pytest.raises(MappingConfigError, match="'raw'"):
        compile_stream_mapping("raw", "passthrough", StreamSchema({"x": {}}, ()))


def test_expressions_are_parsed_once_per_stream(monkeypatch):
    mapping = compile_stream_mapping("web", BASE, STREAM)
    parses = []
    real_parse = __import__("ast").parse
    monkeypatch.setattr("ast.parse", lambda *a, **k: parses.append(a) or real_parse(*a, **k))
    for _ in range(3):
        mapping.build(RECORD)
    assert parses == []


def test_passthrough_keeps_empty_text_as_sent():
    mapping = compile_stream_mapping("raw", "passthrough", StreamSchema({"eventId": {}}, ()))
    fields = [{"name": "note", "value": "", "dataType": "STRING"}]
    assert mapping.build({"eventId": "e1", "customFields": fields})["customFields"] == fields


def test_passthrough_drops_singer_metadata_columns():
    stream = StreamSchema({"eventId": {}}, ())
    mapping = compile_stream_mapping("raw", "passthrough", stream)
    body = mapping.build({"eventId": "e1", "_sdc_filename": "a.jsonl", "_sdc_stream": "raw"})
    assert body == {"eventId": "e1"}


@pytest.mark.parametrize(
    "expression", ["page.__class__", "datetime.os", "json.codecs", "str.__subclasses__()"]
)
def test_expressions_cannot_reach_modules_or_dunder_attributes(expression):
    with pytest.raises(RecordMappingError, match="sessionId"):
        build({"sessionId": expression})


@pytest.mark.parametrize("visitor", [None, {}, {"name": "x"}])
def test_missing_nested_value_omits_the_leaf(visitor):
    body = build(
        {"person": {"email": "email", "name": "visitor['email']"}}, {**RECORD, "visitor": visitor}
    )
    assert body["person"] == {"email": "ana@acme.com"}


def test_time_values_become_text_in_string_fields():
    body = build(
        {"sessionId": "at"},
        {**RECORD, "at": dt.time(10, 30)},
        StreamSchema({**PROPERTIES, "at": {}}, ("id",)),
    )
    assert body["sessionId"] == "10:30:00"


@pytest.mark.parametrize(("field", "value"), [("device", "PC"), ("device", "MOBILE")])
def test_bare_enum_value_is_a_constant(field, value):
    assert build({field: value})[field] == value


def test_bare_enum_value_in_a_custom_field_array_is_a_constant():
    spec = {"customFields": [{"name": "'plan'", "value": "page", "dataType": "STRING"}]}
    assert build(spec)["customFields"] == [
        {"name": "plan", "value": "Pricing", "dataType": "STRING"}
    ]


def test_record_whose_key_values_are_all_null_is_refused_not_given_a_shared_event_id():
    with pytest.raises(RecordMappingError, match="eventId: cannot be derived"):
        build({}, {**RECORD, "id": None})

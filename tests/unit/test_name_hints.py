"""'Did you mean': a misnamed stream or property is refused naming the close match."""

from __future__ import annotations

import pytest

from target_gong_di.mapping import (
    MappingConfigError,
    StreamSchema,
    compile_stream_mapping,
    unmapped_stream_error,
)

STREAM = StreamSchema(
    {"id": {"type": "integer"}, "user_email": {"type": "string"}, "at": {"type": "string"}},
    ("id",),
)


def refusal(title: str) -> str:
    spec = {"eventType": "'e'", "timestamp": "at", "content": {"contentTitle": title}}
    with pytest.raises(MappingConfigError) as raised:
        compile_stream_mapping("events", spec, STREAM)
    return str(raised.value)


def test_a_misspelt_property_is_refused_naming_the_close_one():
    assert "names 'user_emial' (did you mean 'user_email'?)" in refusal("user_emial")


def test_a_property_in_the_wrong_case_is_refused_naming_the_right_case():
    assert "(did you mean 'user_email'?)" in refusal("USER_EMAIL.lower()")


def test_a_misspelt_record_key_is_refused_naming_the_close_property():
    assert "names 'user_mail' (did you mean 'user_email'?)" in refusal("record['user_mail']")


def test_a_name_like_no_property_gets_no_guess():
    assert "did you mean" not in refusal("zzz")


def test_a_prefixed_stream_for_a_bare_entry_says_the_tap_puts_the_schema_in_front():
    message = str(unmapped_stream_error("shop-nps_answers", ["nps_answers"]))
    assert "did you mean 'nps_answers'? Rename that entry to 'shop-nps_answers'" in message
    assert "table 'nps_answers' is stream 'shop-nps_answers'" in message


def test_a_bare_stream_for_a_prefixed_entry_says_the_tap_uses_the_bare_table_name():
    message = str(unmapped_stream_error("nps_answers", ["shop-nps_answers"]))
    assert "did you mean 'shop-nps_answers'? Rename that entry to 'nps_answers'" in message
    assert "bare table name, without the 'shop-' a catalog's tap_stream_id" in message
    assert "is stream 'nps_answers'" not in message


def test_the_same_table_under_another_prefix_is_named_as_such():
    message = str(unmapped_stream_error("staging-nps_answers", ["shop-nps_answers"]))
    assert "the same table 'nps_answers' under another database or schema" in message


def test_a_close_stream_name_of_another_table_gets_no_prefix_explanation():
    message = str(unmapped_stream_error("page_view", ["page_views"]))
    assert "did you mean 'page_views'?" in message
    assert "(" not in message.split("did you mean")[1]

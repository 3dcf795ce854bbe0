"""An unmapped stream's error says how to keep the eventIds of a similar stream in the ledger."""

from __future__ import annotations

from target_gong_di.mapping import unmapped_stream_error

MAPPED = ["nps_answers"]


def message(stream_name: str, confirmed: dict[str, int]) -> str:
    return str(unmapped_stream_error(stream_name, MAPPED, confirmed))


def test_a_similar_stream_in_the_ledger_is_named_with_its_count_and_the_namespace_to_set():
    assert message("usage_events", {"db-usage_events": 1503}).endswith(
        "; the ledger holds 1,503 events confirmed under stream 'db-usage_events'; to keep "
        'their eventIds map this stream with "__event_id_namespace__": "db-usage_events" '
        "(or the namespace that entry used)"
    )


def test_of_several_similar_streams_the_one_with_most_events_is_named():
    found = message("usage_events", {"db-usage_events": 3, "staging-usage_events": 90})
    assert "holds 90 events confirmed under stream 'staging-usage_events'" in found


def test_one_event_is_counted_in_the_singular():
    assert "holds 1 event confirmed under stream 'usage_events'" in message(
        "db-usage_events", {"usage_events": 1}
    )


def test_events_confirmed_under_the_same_stream_name_point_at_its_former_entry():
    assert message("usage_events", {"usage_events": 12}).endswith(
        "; the ledger holds 12 events confirmed under this stream; to keep their eventIds "
        "give it the __event_id_namespace__ its former entry had, if any"
    )


def test_no_ledger_hint_when_no_stream_in_the_ledger_is_similar():
    assert "ledger" not in message("usage_events", {"invoices": 40})

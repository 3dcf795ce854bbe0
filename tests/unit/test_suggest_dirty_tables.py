"""An unedited suggestion on five dirty SQL tables: valid bodies for most records.

The suggestion is made from the tap's own sample, compiled against each stream's SCHEMA
and applied to every sampled record the way a run applies it (``mapped_bodies``).
"""

from __future__ import annotations

import json

import pytest
from dirty_tables import EMAILS, TABLES, catalog, messages, stream_name
from mapped_bodies import outcomes

from target_gong_di.commands.suggest import read_streams, suggest

GOAL = 0.8
"""The share of records, dirty ones included, an unedited suggestion must make valid."""


@pytest.fixture(scope="module")
def results() -> dict[str, list]:
    sample = messages()
    mappings, _ = suggest(read_streams("".join(json.dumps(m) + "\n" for m in sample)))
    return outcomes(sample, mappings)


@pytest.mark.parametrize("table", TABLES)
def test_most_records_of_each_dirty_table_become_valid_bodies(results, table):
    found = results[stream_name(table)]
    valid = [outcome for outcome in found if outcome.body is not None]
    assert len(valid) >= GOAL * len(found), [o.errors for o in found if o.body is None]


@pytest.mark.parametrize("table", TABLES)
def test_every_valid_body_of_a_record_with_an_email_names_that_person(results, table):
    column = EMAILS[table]
    with_email = [o for o in results[stream_name(table)] if o.record[column] and o.body]
    assert with_email
    assert all(o.body["person"]["email"] == o.record[column] for o in with_email)


@pytest.mark.parametrize("table", TABLES)
def test_no_record_with_an_email_is_refused_for_lack_of_a_person(results, table):
    column = EMAILS[table]
    refused = [o for o in results[stream_name(table)] if o.record[column] and o.body is None]
    assert not [o for o in refused if any("person" in error for error in o.errors)]


@pytest.fixture(scope="module")
def from_catalog() -> tuple[dict, dict]:
    return suggest(read_streams(json.dumps(catalog())))


def test_a_mysql_catalog_suggestion_is_keyed_by_the_bare_names_singer_io_messages_use(
    from_catalog,
):
    mappings, _ = from_catalog
    results = outcomes(messages(prefixed=False), mappings)
    for table in TABLES:
        found = results[stream_name(table, prefixed=False)]
        assert sum(o.body is not None for o in found) >= GOAL * len(found), table


def test_a_mysql_catalog_suggestion_notes_the_prefixed_names_pipelinewise_messages_use(
    from_catalog,
):
    _, notes = from_catalog
    for table in TABLES:
        assert any(f"tap_stream_id 'shop-{table}'" in note for note in notes[table])


def test_a_mysql_catalog_suggestion_takes_updated_at_over_a_date_column(from_catalog):
    mappings, _ = from_catalog
    assert mappings["webinar_attendance"]["timestamp"] == "updated_at"
    assert mappings["course_progress"]["timestamp"] == "updated_at"


def test_the_same_rows_from_either_mysql_tap_get_the_same_event_ids():
    event_ids = []
    for prefixed in (True, False):
        sample = messages(prefixed=prefixed)
        mappings, _ = suggest(read_streams("".join(json.dumps(m) + "\n" for m in sample)))
        found = outcomes(sample, mappings)
        event_ids.append([o.body["eventId"] for name in found for o in found[name] if o.body])
    assert event_ids[0] == event_ids[1]
    assert len(set(event_ids[0])) == len(event_ids[0])

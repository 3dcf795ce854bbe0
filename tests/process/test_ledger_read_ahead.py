"""A SQLite ledger reads ahead what a re-sync looks up next, on a real SQLite file.

Lookups are counted by the SQL they run (``Counted`` passes every statement to the real
database): the read-ahead must save indexed lookups in the order confirmations were
written, and must find exactly what the index finds in any order.
"""

from __future__ import annotations

import random

import pytest
from ledger_examples import GONG

from target_gong_di.ledger import LOOKUP_CHUNK
from target_gong_di.ledger.databases import Params, SqliteDatabase
from target_gong_di.ledger.read_ahead import AHEAD, CLOSE, ReadAhead
from target_gong_di.ledger.store import DELIVERED, Confirmation, body_hash, open_ledger

OTHER = "https://us-2.api.gong.io"
EVENTS = 6 * LOOKUP_CHUNK


class Counted:
    """The real database, counting the indexed lookups it is asked for."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database
        self.indexed = 0

    def any_of(self, values: list[str]) -> tuple[str, list]:
        return self._database.any_of(values)

    def rows_at_once(self, sql: str, params: Params, *, width: int) -> list:
        self.indexed += " IN (" in sql
        return self._database.rows_at_once(sql, params, width=width)


def hash_of(event_id: str, api_url: str = GONG) -> str:
    return body_hash({"eventId": event_id, "at": api_url})


@pytest.fixture
def database(tmp_path):
    """A ledger file whose confirmations were written in order, interleaved with another
    company's confirmations of the same eventIds."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open_ledger(url) as ledger:
        for number in range(EVENTS):
            event_id = f"e{number:05}"
            for api_url in (GONG, OTHER):
                entry = Confirmation(
                    "web_visits", event_id, hash_of(event_id, api_url), DELIVERED, None
                )
                ledger.confirm(api_url, [entry])
            if number % LOOKUP_CHUNK == 0:
                ledger.flush()
    opened = SqliteDatabase(str(tmp_path / "ledger.db"))
    yield opened
    opened.close()


def look_up_all(database: SqliteDatabase, order: list[str]) -> tuple[dict[str, str], int]:
    """Every eventId of ``order``, looked up a chunk at a time: what was found, and how many
    indexed lookups it took."""
    counted = Counted(database)
    read_ahead = ReadAhead(counted)
    found: dict[str, str] = {}
    for start in range(0, len(order), LOOKUP_CHUNK):
        with database.transaction(write=False):
            found.update(read_ahead.confirmed(GONG, order[start : start + LOOKUP_CHUNK]))
    return found, counted.indexed


def every_event() -> list[str]:
    return [f"e{number:05}" for number in range(EVENTS)]


def test_lookups_in_the_order_written_need_the_index_only_for_the_first_chunk(database):
    found, indexed = look_up_all(database, every_event())
    assert found == {event_id: hash_of(event_id) for event_id in every_event()}
    assert indexed == 1


def test_lookups_a_little_out_of_order_still_find_what_is_read_ahead(database):
    """Delivery writes confirmations a few places out of the tap's order (concurrency)."""
    order = every_event()
    shuffle = random.Random(7)
    for index in range(0, len(order) - 20, 7):
        other = index + shuffle.randrange(20)
        order[index], order[other] = order[other], order[index]
    found, indexed = look_up_all(database, order)
    assert found == {event_id: hash_of(event_id) for event_id in order}
    assert indexed < EVENTS // LOOKUP_CHUNK


def test_lookups_in_any_order_find_exactly_the_confirmed_events_of_their_company(database):
    order = every_event() + [f"unknown{number}" for number in range(LOOKUP_CHUNK)]
    random.Random(3).shuffle(order)
    found, _ = look_up_all(database, order)
    assert found == {event_id: hash_of(event_id) for event_id in every_event()}


def test_a_second_pass_from_the_start_finds_everything_again(database):
    """A re-sync run twice by one process: the second pass jumps back to the first rows."""
    order = every_event()
    found, indexed = look_up_all(database, order + order)
    assert found == {event_id: hash_of(event_id) for event_id in order}
    assert indexed == 2


def test_what_is_read_ahead_stays_a_few_chunks_long(database):
    read_ahead = ReadAhead(database)
    order = every_event()
    for start in range(0, len(order), LOOKUP_CHUNK):
        with database.transaction(write=False):
            read_ahead.confirmed(GONG, order[start : start + LOOKUP_CHUNK])
        assert len(read_ahead._window) <= (CLOSE + AHEAD + 1) * LOOKUP_CHUNK

"""The delivery ledger, on a real SQLite file and a real PostgreSQL server (``ledger_url``)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from ledger_examples import GONG, Clock, tokens

from target_gong_di.ledger import LOOKUP_CHUNK
from target_gong_di.ledger.store import (
    DELIVERED,
    DUPLICATE,
    BudgetExhausted,
    Confirmation,
    Ledger,
    LedgerCount,
    body_hash,
    open_ledger,
)

SANDBOX = "https://us-2.api.gong.io"


@pytest.fixture
def ledger(ledger_url, clock):
    with open_ledger(ledger_url, clock=clock) as opened:
        yield opened


def confirmation(event_id: str, body: dict | None = None, **fields) -> Confirmation:
    values = {
        "stream": "web_visits",
        "event_id": event_id,
        "body_hash": body_hash(body or {"eventId": event_id}),
        "outcome": DELIVERED,
        "request_id": f"req-{event_id}",
        **fields,
    }
    return Confirmation(**values)


def confirm_and_flush(ledger: Ledger, api_url: str, *entries: Confirmation) -> None:
    ledger.confirm(api_url, entries)
    ledger.flush()


def test_a_new_ledger_knows_no_event(ledger):
    assert ledger.confirmed(GONG, ["e1", "e2"]) == {}


def test_flushed_confirmations_are_found_with_the_hash_of_the_body_sent(ledger):
    confirm_and_flush(ledger, GONG, confirmation("e1", {"eventId": "e1", "n": 1}))
    assert ledger.confirmed(GONG, ["e1", "e2"]) == {"e1": body_hash({"eventId": "e1", "n": 1})}


def test_a_whole_chunk_of_event_ids_is_looked_up_at_once_with_each_hash(ledger):
    """A chunk as a re-sync looks it up: every confirmed id with its own hash, others absent."""
    ids = [f"e{number}" for number in range(LOOKUP_CHUNK)]
    confirmed = ids[::2]
    confirm_and_flush(ledger, GONG, *(confirmation(i, {"eventId": i, "n": 1}) for i in confirmed))
    found = ledger.confirmed(GONG, ids)
    assert found == {i: body_hash({"eventId": i, "n": 1}) for i in confirmed}


def test_flushed_confirmations_survive_reopening(ledger_url, clock):
    with open_ledger(ledger_url, clock=clock) as first:
        confirm_and_flush(first, GONG, confirmation("e1"))
    with open_ledger(ledger_url, clock=clock) as second:
        assert set(second.confirmed(GONG, ["e1"])) == {"e1"}


def test_unflushed_confirmations_are_seen_by_the_same_ledger(ledger):
    ledger.confirm(GONG, [confirmation("e1")])
    assert set(ledger.confirmed(GONG, ["e1"])) == {"e1"}


def test_unflushed_confirmations_are_not_in_the_database(ledger_url, ledger):
    ledger.confirm(GONG, [confirmation("e1")])
    with open_ledger(ledger_url) as other:
        assert other.confirmed(GONG, ["e1"]) == {}


def test_flush_writes_everything_buffered_and_says_how_much(ledger):
    ledger.confirm(GONG, [confirmation("e1"), confirmation("e2")])
    ledger.confirm(SANDBOX, [confirmation("e1")])
    assert ledger.flush() == 3
    assert ledger.flush() == 0


def test_closing_flushes_what_gong_confirmed(ledger_url):
    with open_ledger(ledger_url) as ledger:
        ledger.confirm(GONG, [confirmation("e1")])
    with open_ledger(ledger_url) as reopened:
        assert set(reopened.confirmed(GONG, ["e1"])) == {"e1"}


def test_a_changed_body_is_told_apart_by_its_hash(ledger):
    confirm_and_flush(ledger, GONG, confirmation("e1", {"eventId": "e1", "title": "old"}))
    stored = ledger.confirmed(GONG, ["e1"])["e1"]
    assert stored == body_hash({"eventId": "e1", "title": "old"})
    assert stored != body_hash({"eventId": "e1", "title": "new"})


def test_an_event_of_another_api_url_is_unknown(ledger):
    confirm_and_flush(ledger, SANDBOX, confirmation("e1"))
    assert ledger.confirmed(GONG, ["e1"]) == {}


def test_the_first_confirmation_of_an_event_id_is_kept(ledger):
    confirm_and_flush(ledger, GONG, confirmation("e1", {"v": 1}))
    confirm_and_flush(ledger, GONG, confirmation("e1", {"v": 2}, outcome=DUPLICATE))
    assert ledger.confirmed(GONG, ["e1"]) == {"e1": body_hash({"v": 1})}


def test_a_chunk_of_500_ids_is_looked_up_at_once(ledger):
    confirm_and_flush(ledger, GONG, *(confirmation(f"e{n}") for n in range(0, 1000, 2)))
    found = ledger.confirmed(GONG, [f"e{n}" for n in range(500)])
    assert set(found) == {f"e{n}" for n in range(0, 500, 2)}


def test_looking_up_no_ids_finds_nothing(ledger):
    assert ledger.confirmed(GONG, []) == {}


def test_counts_are_per_stream_utc_day_and_outcome(ledger, clock):
    confirm_and_flush(ledger, GONG, confirmation("e1"), confirmation("e2", outcome=DUPLICATE))
    clock.now += timedelta(hours=3)  # 01:00 UTC the next day
    confirm_and_flush(ledger, GONG, confirmation("e3"), confirmation("n1", stream="nps"))
    assert ledger.counts(GONG) == [
        LedgerCount("nps", date(2026, 11, 27), DELIVERED, 1),
        LedgerCount("web_visits", date(2026, 11, 26), DELIVERED, 1),
        LedgerCount("web_visits", date(2026, 11, 26), DUPLICATE, 1),
        LedgerCount("web_visits", date(2026, 11, 27), DELIVERED, 1),
    ]


def test_counts_are_per_api_url(ledger):
    confirm_and_flush(ledger, SANDBOX, confirmation("e1"))
    assert ledger.counts(GONG) == []


def test_events_per_stream_counts_every_outcome_and_day_of_one_api_url(ledger, clock):
    confirm_and_flush(ledger, GONG, confirmation("e1"), confirmation("e2", outcome=DUPLICATE))
    clock.now += timedelta(days=1)
    confirm_and_flush(ledger, GONG, confirmation("e3"), confirmation("n1", stream="nps"))
    confirm_and_flush(ledger, SANDBOX, confirmation("s1"))
    assert ledger.events_per_stream(GONG) == {"web_visits": 3, "nps": 1}


def test_forgetting_a_stream_sends_its_events_again_and_keeps_the_others(ledger):
    confirm_and_flush(ledger, GONG, confirmation("e1"), confirmation("n1", stream="nps"))
    assert ledger.forget(GONG, "web_visits") == 1
    assert set(ledger.confirmed(GONG, ["e1", "n1"])) == {"n1"}


def test_forgetting_everything_keeps_other_api_urls(ledger):
    confirm_and_flush(ledger, GONG, confirmation("e1"), confirmation("n1", stream="nps"))
    confirm_and_flush(ledger, SANDBOX, confirmation("e1"))
    assert ledger.forget(GONG) == 2
    assert ledger.confirmed(GONG, ["e1", "n1"]) == {}
    assert set(ledger.confirmed(SANDBOX, ["e1"])) == {"e1"}


def test_each_request_is_counted_against_today(ledger):
    assert [ledger.spend(GONG, 10) for _ in range(3)] == [1, 2, 3]
    assert ledger.spent_today(GONG) == 3


def test_a_request_beyond_the_budget_is_refused_with_spent_budget_and_reset(ledger):
    ledger.spend(GONG, 2)
    ledger.spend(GONG, 2)
    with pytest.raises(BudgetExhausted) as refused:
        ledger.spend(GONG, 2)
    assert (refused.value.spent, refused.value.budget) == (2, 2)
    assert refused.value.resets_at == datetime(2026, 11, 27, tzinfo=timezone.utc)
    assert str(refused.value) == (
        f"daily_request_budget=2 for {GONG} is spent: 2 requests today (UTC); "
        "it resets at 2026-11-27 00:00 UTC"
    )


def test_a_refused_request_is_not_counted(ledger):
    ledger.spend(GONG, 1)
    with pytest.raises(BudgetExhausted):
        ledger.spend(GONG, 1)
    assert ledger.spent_today(GONG) == 1


def test_the_budget_resets_at_the_next_utc_midnight(ledger, clock):
    ledger.spend(GONG, 1)
    clock.now = datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc)
    assert ledger.spend(GONG, 1) == 1
    assert ledger.spent_today(GONG) == 1


def test_the_budget_day_is_the_utc_day_whatever_the_clocks_zone(ledger, clock):
    clock.now = datetime(2026, 11, 27, 1, 0, tzinfo=timezone(timedelta(hours=5)))  # 20:00 UTC
    ledger.spend(GONG, 1)
    clock.now = datetime(2026, 11, 26, 23, 0, tzinfo=timezone.utc)
    assert ledger.spent_today(GONG) == 1


def test_each_api_url_has_its_own_budget(ledger):
    ledger.spend(GONG, 1)
    assert ledger.spend(SANDBOX, 1) == 1


def test_without_a_budget_requests_are_counted_and_never_refused(ledger):
    for _ in range(5):
        ledger.spend(GONG, None)
    assert ledger.spent_today(GONG) == 5


def test_a_budget_below_one_is_refused(ledger):
    with pytest.raises(ValueError, match="at least 1"):
        ledger.spend(GONG, 0)


def test_threads_sharing_a_ledger_never_spend_beyond_the_budget(ledger):
    spent: list[int] = []

    def spend_until_refused() -> None:
        try:
            while True:
                spent.append(ledger.spend(GONG, 200))
        except BudgetExhausted:
            pass

    threads = [threading.Thread(target=spend_until_refused) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(spent) == list(range(1, 201))


def test_no_quota_is_remembered_at_first(ledger):
    assert ledger.quota_spent_until(GONG) is None


def test_a_spent_quota_is_remembered_until_it_resets(ledger, clock):
    until = datetime(2026, 11, 27, tzinfo=timezone.utc)
    ledger.remember_quota_spent(GONG, until)
    assert ledger.quota_spent_until(GONG) == until
    clock.now = until
    assert ledger.quota_spent_until(GONG) is None


def test_a_spent_quota_is_per_api_url(ledger):
    ledger.remember_quota_spent(SANDBOX, datetime(2026, 11, 27, tzinfo=timezone.utc))
    assert ledger.quota_spent_until(GONG) is None


def test_the_latest_quota_answer_replaces_the_earlier(ledger):
    ledger.remember_quota_spent(GONG, datetime(2026, 11, 27, tzinfo=timezone.utc))
    ledger.remember_quota_spent(GONG, datetime(2026, 11, 26, 23, tzinfo=timezone.utc))
    assert ledger.quota_spent_until(GONG) == datetime(2026, 11, 26, 23, tzinfo=timezone.utc)


def test_a_naive_quota_time_is_refused(ledger):
    with pytest.raises(ValueError, match="aware"):
        ledger.remember_quota_spent(GONG, datetime(2026, 11, 27))


def test_stored_oauth_tokens_are_read_back_per_client_id_and_api_url(ledger, clock):
    with ledger.token_slot("app-1", GONG) as slot:
        assert slot.stored is None
        slot.replace(tokens("rt-2", clock))
    with ledger.token_slot("app-1", GONG) as slot:
        assert slot.stored == tokens("rt-2", clock)
    with ledger.token_slot("app-1", SANDBOX) as slot:
        assert slot.stored is None
    with ledger.token_slot("app-2", GONG) as slot:
        assert slot.stored is None


def test_a_rotation_replaces_the_stored_tokens(ledger, clock):
    for refresh_token in ("rt-2", "rt-3"):
        with ledger.token_slot("app-1", GONG) as slot:
            slot.replace(tokens(refresh_token, clock))
    with ledger.token_slot("app-1", GONG) as slot:
        assert slot.stored.refresh_token == "rt-3"


def replace_then_fail(ledger: Ledger, clock: Clock) -> None:
    with ledger.token_slot("app-1", GONG) as slot:
        slot.replace(tokens("rt-2", clock))
        raise RuntimeError("the token endpoint's answer could not be used")


def test_a_token_slot_that_fails_before_its_end_stores_nothing(ledger, clock):
    with pytest.raises(RuntimeError):
        replace_then_fail(ledger, clock)
    with ledger.token_slot("app-1", GONG) as slot:
        assert slot.stored is None

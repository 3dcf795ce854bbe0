"""Gong's daily quota is spent only on news: the ledger, the daily budget, quota memory."""

from __future__ import annotations

import json

import pytest
from page_views import CONFIG, VIEWS, interleaved, view, views
from processes import TargetProcess, last_id, stored_ids
from singer_messages import record, schema, state

from target_gong_di.ledger.store import open_ledger

FAIL = {"on_daily_limit": "fail"}
"""Today's behaviour at the daily limit, which these tests pin: checkpoint, then exit 1."""


def requests_made(server) -> int:
    return sum(server.store.answers.values())


@pytest.mark.parametrize(("resynced", "summary"), [(5, "0 delivered"), (7, "2 delivered")])
def test_a_resync_sends_only_records_gong_does_not_have(run_target, sandbox, resynced, summary):
    run_target(CONFIG, views(5), sandbox=sandbox)
    again = run_target(CONFIG, views(resynced), sandbox=sandbox)
    assert again.returncode == 0, again.stderr
    assert requests_made(sandbox) == resynced
    assert f"{summary}, 0 duplicates, 5 unchanged" in again.stderr


def test_a_changed_body_of_a_delivered_event_is_counted_and_not_sent(run_target, sandbox):
    run_target(CONFIG, views(2), sandbox=sandbox)
    changed = [*views(0), view(0, page="Renamed page"), view(1)]
    again = run_target(CONFIG, changed, sandbox=sandbox)
    assert again.returncode == 0, again.stderr
    assert requests_made(sandbox) == 2
    assert "1 unchanged and 1 changed_after_delivery skipped" in again.stderr
    assert "Gong keeps the first report of an eventId" in again.stderr


def test_events_for_another_api_url_are_sent_as_usual(run_target, make_sandbox):
    first, second = make_sandbox(), make_sandbox()
    run_target(CONFIG, views(3), sandbox=first)
    other = run_target(CONFIG, views(3), sandbox=second)
    assert other.returncode == 0, other.stderr
    assert len(second.store.events) == 3


def test_a_dry_run_says_what_the_ledger_would_skip_and_writes_nothing(
    run_target, sandbox, tmp_path
):
    run_target(CONFIG, views(3), sandbox=sandbox)
    ledger = tmp_path / "ledger.db"
    before = ledger.read_bytes()
    dry = run_target({**CONFIG, "dry_run": True, "api_url": sandbox.url}, views(4))
    assert dry.returncode == 0, dry.stderr
    assert "3 unchanged and 0 changed_after_delivery would be skipped" in dry.stderr
    assert len(dry.dry_run_bodies) == 1
    assert ledger.read_bytes() == before


def test_a_dry_run_with_no_ledger_yet_creates_none(run_target, tmp_path):
    fresh = tmp_path / "never.db"
    dry = run_target({**CONFIG, "dry_run": True, "ledger_url": f"sqlite:///{fresh}"}, views(2))
    assert dry.returncode == 0, dry.stderr
    assert not fresh.exists()


def killed_mid_run(tmp_path, server) -> TargetProcess:
    """A target SIGKILLed after it forwarded two STATEs, its ledger left as it was."""
    target = TargetProcess(tmp_path, server, {"max_requests_per_second": 20}, interleaved(80))
    while len(target.states) < 2:
        assert target.read_state(timeout=30) is not None
    target.process.kill()
    target.process.wait(timeout=30)
    return target


def test_every_event_a_forwarded_state_covers_is_in_the_ledger(make_sandbox, tmp_path):
    server = make_sandbox()
    target = killed_mid_run(tmp_path, server)
    covered = last_id(target.states)
    ids = {
        body["content"]["contentTitle"]: body["eventId"] for body in server.store.events.values()
    }
    wanted = [ids[f"Page {n}"] for n in range(covered + 1)]
    with open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}", read_only=True) as ledger:
        assert set(ledger.confirmed(server.url, wanted)) == set(wanted)


def test_events_delivered_but_not_yet_in_the_ledger_are_settled_as_duplicates_on_resume(
    make_sandbox, tmp_path
):
    server = make_sandbox()
    target = killed_mid_run(tmp_path, server)
    resume = TargetProcess(tmp_path, server, {"max_requests_per_second": 50}, interleaved(80))
    code, stderr = resume.finish()
    assert code == 0, stderr
    assert stored_ids(server) == set(range(80))
    assert len(server.store.events) == 80
    assert last_id(target.states) < 79


def test_the_run_stops_before_the_daily_budget_is_exceeded(run_target, sandbox):
    run = run_target(
        {**CONFIG, **FAIL, "daily_request_budget": 3}, interleaved(10), sandbox=sandbox
    )
    assert run.returncode != 0
    assert requests_made(sandbox) == 3
    assert "daily_request_budget=3" in run.stderr
    assert "3 requests today" in run.stderr
    assert "resets at" in run.stderr
    assert run.states[-1] == {"bookmarks": {VIEWS: {"id": 2}}}


def test_a_second_run_the_same_day_sends_nothing_once_the_budget_is_spent(run_target, sandbox):
    config = {**CONFIG, **FAIL, "daily_request_budget": 3}
    run_target(config, views(3), sandbox=sandbox)
    second = run_target(config, views(6), sandbox=sandbox)
    assert second.returncode != 0
    assert requests_made(sandbox) == 3
    assert "daily_request_budget=3" in second.stderr


def test_retries_count_against_the_budget(run_target, make_sandbox):
    server = make_sandbox(failing_text='"Page 0"', failures_per_match=2)
    run = run_target({**CONFIG, **FAIL, "daily_request_budget": 5}, views(5), sandbox=server)
    assert run.returncode != 0
    assert requests_made(server) == 5
    assert len(server.store.events) < 5


def test_gongs_quota_answer_is_remembered_and_the_next_run_stops_at_once(run_target, make_sandbox):
    server = make_sandbox(daily_quota=3)
    first = run_target({**CONFIG, **FAIL, "max_concurrency": 1}, views(6), sandbox=server)
    assert first.returncode != 0
    made = requests_made(server)
    second = run_target({**CONFIG, **FAIL}, views(8), sandbox=server)
    assert second.returncode != 0
    assert requests_made(server) == made
    assert "quota" in second.stderr
    assert "resume after" in second.stderr


CLICKS = "clicks"
CLICK_MAPPING = {
    "eventType": "'link clicked'",
    "timestamp": "1714550400",
    "content": {"contentTitle": "'Link ' + str(id)"},
    "trackingId": "str(id)",
}


def test_a_quota_stop_checkpoints_what_was_delivered_across_interleaved_streams(
    run_target, make_sandbox
):
    server = make_sandbox(daily_quota=6)
    messages = [*views(0), schema(CLICKS, {"id": {"type": "integer"}}, ["id"])]
    for number in range(10):
        stream_record = view(number) if number % 2 == 0 else record(CLICKS, {"id": number})
        messages += [stream_record, state({"position": number})]
    config = {
        "mappings": {**CONFIG["mappings"], CLICKS: CLICK_MAPPING},
        "max_concurrency": 1,
        **FAIL,
    }
    run = run_target(config, messages, sandbox=server)
    assert run.returncode != 0
    assert "resume after" in run.stderr
    assert run.states[-1] == {"position": 5}
    assert len(server.store.events) == 6


def test_ledger_counts_show_what_was_confirmed_per_stream(run_target, sandbox):
    run_target(CONFIG, views(3), sandbox=sandbox)
    shown = run_target(CONFIG, [], sandbox=sandbox, args=["--ledger-counts"])
    assert shown.returncode == 0, shown.stderr
    assert VIEWS in shown.stdout
    assert "3" in shown.stdout


def test_forgetting_a_stream_sends_its_events_again(run_target, sandbox):
    run_target(CONFIG, views(3), sandbox=sandbox)
    run_target(CONFIG, [], sandbox=sandbox, args=["--ledger-forget", VIEWS])
    again = run_target(CONFIG, views(3), sandbox=sandbox)
    assert again.returncode == 0, again.stderr
    assert "0 delivered, 3 duplicates" in again.stderr


def test_dead_letters_carry_what_replay_needs(run_target, sandbox):
    run = run_target(CONFIG, [*views(1), view(5, id="x")], sandbox=sandbox)
    [letter] = run.dead_letters
    assert letter["keyProperties"] == ["id"]
    assert letter["schema"]["properties"]["id"] == {"type": "integer"}
    assert json.dumps(letter["record"])


def test_the_429_that_stops_a_run_for_the_quota_is_counted_in_the_summary(run_target, make_sandbox):
    server = make_sandbox(daily_quota=2)
    run = run_target({**CONFIG, **FAIL, "max_concurrency": 1}, views(5), sandbox=server)
    assert run.returncode != 0
    assert server.store.answers["429"] == 1
    assert "0 retries, 1 HTTP 429s in " in run.stderr

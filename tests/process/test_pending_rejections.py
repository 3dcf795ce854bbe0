"""Rejected records stay pending in the ledger, and a later ordinary run delivers them.

Each test runs on a real SQLite file and on a real PostgreSQL ledger (``ledger_url``),
against the sandbox, counting what it stored and answered.
"""

from __future__ import annotations

from page_views import BROKEN, CONFIG, VIEW_MAPPING, VIEWS, tap_output


def test_records_a_mapping_rejected_are_delivered_once_by_a_later_run_of_new_records(
    run_target, sandbox, ledger_url
):
    first = run_target({**BROKEN, "ledger_url": ledger_url}, tap_output(range(3)), sandbox=sandbox)
    assert first.states[-1] == {"bookmarks": {VIEWS: {"id": 2}}}, first.stderr
    assert [letter["stage"] for letter in first.dead_letters] == ["mapping"] * 3
    assert sandbox.store.events == {}
    fixed = {**CONFIG, "ledger_url": ledger_url}
    second = run_target(fixed, tap_output(range(3, 5)), sandbox=sandbox)
    assert second.returncode == 0, second.stderr
    titles = sorted(body["content"]["contentTitle"] for body in sandbox.store.events.values())
    assert titles == [f"Page {n}" for n in range(5)]
    assert sandbox.store.answers == {"200": 5}


def test_a_run_after_the_retry_sends_nothing_and_writes_no_dead_letter(
    run_target, sandbox, ledger_url
):
    run_target({**BROKEN, "ledger_url": ledger_url}, tap_output(range(3)), sandbox=sandbox)
    fixed = {**CONFIG, "ledger_url": ledger_url}
    run_target(fixed, tap_output(range(3, 4)), sandbox=sandbox)
    answers = dict(sandbox.store.answers)
    third = run_target(fixed, tap_output(range(0)), sandbox=sandbox)
    assert third.returncode == 0, third.stderr
    assert sandbox.store.answers == answers
    assert len(third.dead_letters) == 3


def test_records_rejected_again_for_the_same_reason_add_no_dead_letter_line(
    run_target, sandbox, ledger_url
):
    broken = {**BROKEN, "ledger_url": ledger_url}
    run_target(broken, tap_output(range(2)), sandbox=sandbox)
    again = run_target(broken, tap_output(range(2)), sandbox=sandbox)
    assert again.returncode == 0, again.stderr
    assert len(again.dead_letters) == 2


def requests_made(sandbox) -> int:
    return sum(sandbox.store.answers.values())


def titled(expression: str, ledger_url: str) -> dict:
    """The page-view mapping with another content title, on ``ledger_url``."""
    mapping = {**VIEW_MAPPING, "content": {"contentTitle": expression}}
    return {"mappings": {VIEWS: mapping}, "ledger_url": ledger_url}


def test_a_body_gong_refused_is_sent_again_only_once_it_has_changed(
    run_target, make_sandbox, ledger_url
):
    gong = make_sandbox(refuse_text="Page 1")
    first = run_target(titled("page", ledger_url), tap_output(range(2)), sandbox=gong)
    assert [letter["stage"] for letter in first.dead_letters] == ["api"]
    assert requests_made(gong) == 2
    unchanged = run_target(titled("page", ledger_url), tap_output(range(0)), sandbox=gong)
    assert unchanged.returncode == 0, unchanged.stderr
    assert requests_made(gong) == 2
    still_refused = titled("page + ' (v2)'", ledger_url)
    run_target(still_refused, tap_output(range(0)), sandbox=gong)
    assert requests_made(gong) == 3
    accepted = run_target(titled("'Seite ' + str(id)", ledger_url), [], sandbox=gong)
    assert accepted.returncode == 0, accepted.stderr
    assert requests_made(gong) == 3  # no SCHEMA of the stream: nothing is retried
    run_target(titled("'Seite ' + str(id)", ledger_url), tap_output(range(0)), sandbox=gong)
    assert requests_made(gong) == 4
    assert "Seite 1" in {body["content"]["contentTitle"] for body in gong.store.events.values()}
    assert len(accepted.dead_letters) == 1


def test_the_summary_says_what_a_retry_settled_and_what_stays_pending(
    run_target, sandbox, ledger_url
):
    run_target({**BROKEN, "ledger_url": ledger_url}, tap_output(range(3)), sandbox=sandbox)
    fixed = {**CONFIG, "ledger_url": ledger_url}
    second = run_target(fixed, tap_output(range(3, 4)), sandbox=sandbox)
    assert (
        "3 pending from earlier runs settled by a retry (0 rejected again), 0 still "
        "pending" in second.stderr
    )
    third = run_target(
        {**BROKEN, "ledger_url": ledger_url}, tap_output(range(4, 5)), sandbox=sandbox
    )
    assert "1 record pending in the ledger" in third.stderr
    assert "--ledger-pending" in third.stderr


def test_a_dry_run_says_how_many_pending_records_would_now_pass_and_sends_nothing(
    run_target, sandbox, ledger_url
):
    run_target({**BROKEN, "ledger_url": ledger_url}, tap_output(range(3)), sandbox=sandbox)
    answers = dict(sandbox.store.answers)
    dry = run_target(
        {**CONFIG, "ledger_url": ledger_url, "dry_run": True}, tap_output(range(0)), sandbox=sandbox
    )
    assert dry.returncode == 0, dry.stderr
    assert (
        "Dry run: 3 of 3 records pending in the ledger for stream 'page_views' would "
        "now pass" in dry.stderr
    )
    assert sandbox.store.answers == answers


def test_past_max_pending_per_stream_the_oldest_are_dropped_with_one_warning(
    run_target, sandbox, ledger_url
):
    config = {**BROKEN, "ledger_url": ledger_url, "max_pending_per_stream": 2}
    run = run_target(config, tap_output(range(5)), sandbox=sandbox)
    warnings = [line for line in run.stderr.splitlines() if "max_pending_per_stream" in line]
    assert len(warnings) == 1
    assert "the oldest 3 records were dropped" in warnings[0]
    assert len(run.dead_letters) == 5
    fixed = run_target({**CONFIG, "ledger_url": ledger_url}, tap_output(range(0)), sandbox=sandbox)
    assert fixed.returncode == 0, fixed.stderr
    assert len(sandbox.store.events) == 2


def test_pending_records_content_stays_out_of_the_log(run_target, sandbox, ledger_url):
    broken = {**BROKEN, "ledger_url": ledger_url}
    runs = [run_target(broken, tap_output(range(2)), sandbox=sandbox) for _ in range(2)]
    runs.append(run_target({**broken, "dry_run": True}, tap_output(range(0)), sandbox=sandbox))
    assert "user0@acme.com" in runs[0].dead_letter_path.read_text()  # the record has it
    assert all("acme.com" not in run.stderr for run in runs)

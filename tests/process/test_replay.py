"""--replay turns a dead-letter file into delivered events once the cause is fixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from page_views import CONFIG, VIEW_MAPPING, VIEWS, view, views

BROKEN = {"mappings": {VIEWS: {**VIEW_MAPPING, "content": {"contentTitle": "int(page)"}}}}
"""A mapping whose expression raises for every record: each is dead-lettered at 'mapping'."""
NO_PERSON = {"mappings": {VIEWS: {**VIEW_MAPPING, "person": {"email": "None"}}}}
"""A body with neither person nor trackingId: each fails validation."""
ANONYMOUS = {"mappings": {VIEWS: {**VIEW_MAPPING, "person": None, "trackingId": "str(id)"}}}


def replay(run_target, dead_letters: Path, config: dict, sandbox, tmp_path: Path):
    """Replay ``dead_letters``, writing what still fails to another file."""
    elsewhere = {**config, "dead_letter_path": str(tmp_path / "still-rejected.jsonl")}
    return run_target(elsewhere, [], sandbox=sandbox, args=["--replay", str(dead_letters)])


@pytest.mark.parametrize(
    "case",
    [(BROKEN, "mapping", CONFIG), (NO_PERSON, "validation", ANONYMOUS)],
    ids=["mapping", "validation"],
)
def test_a_fixed_mapping_delivers_what_was_dead_lettered(run_target, sandbox, tmp_path, case):
    broken, stage, fixed = case
    first = run_target(broken, views(3), sandbox=sandbox)
    assert [letter["stage"] for letter in first.dead_letters] == [stage] * 3
    replayed = replay(run_target, first.dead_letter_path, fixed, sandbox, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert len(sandbox.store.events) == 3
    assert "3 delivered, 0 still rejected" in replayed.stderr


def test_records_refused_by_their_schema_are_delivered_once_validation_allows(
    run_target, sandbox, tmp_path
):
    first = run_target(CONFIG, [*views(0), view(1, id="0042")], sandbox=sandbox)
    assert [letter["stage"] for letter in first.dead_letters] == ["schema"]
    relaxed = {**CONFIG, "validate_records": False}
    replayed = replay(run_target, first.dead_letter_path, relaxed, sandbox, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert len(sandbox.store.events) == 1


def test_records_gong_refused_are_sent_again_on_replay(run_target, make_sandbox, tmp_path):
    refusing, accepting = make_sandbox(reject_rate=1.0), make_sandbox()
    first = run_target(CONFIG, views(2), sandbox=refusing)
    assert [letter["stage"] for letter in first.dead_letters] == ["api", "api"]
    replayed = replay(run_target, first.dead_letter_path, CONFIG, accepting, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert len(accepting.store.events) == 2


def test_the_replayed_file_is_never_changed(run_target, sandbox, tmp_path):
    first = run_target(BROKEN, views(2), sandbox=sandbox)
    before = first.dead_letter_path.read_bytes()
    replay(run_target, first.dead_letter_path, CONFIG, sandbox, tmp_path)
    assert first.dead_letter_path.read_bytes() == before


def test_what_still_fails_goes_to_dead_letter_path(run_target, sandbox, tmp_path):
    first = run_target(BROKEN, views(2), sandbox=sandbox)
    replayed = replay(run_target, first.dead_letter_path, BROKEN, sandbox, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert "0 delivered, 2 still rejected" in replayed.stderr
    still = (tmp_path / "still-rejected.jsonl").read_text().splitlines()
    assert len(still) == 2


def test_replay_refuses_to_append_to_the_file_it_replays(run_target, sandbox):
    first = run_target(BROKEN, views(1), sandbox=sandbox)
    path = str(first.dead_letter_path)
    refused = run_target(BROKEN, [], sandbox=sandbox, args=["--replay", path])
    assert refused.returncode != 0
    assert "dead_letter_path is" in refused.stderr
    assert len(first.dead_letter_path.read_text().splitlines()) == 1


def test_a_record_rejected_by_two_runs_is_replayed_once(run_target, sandbox, tmp_path):
    run_target(BROKEN, views(2), sandbox=sandbox)
    elsewhere = {**BROKEN, "ledger_url": f"sqlite:///{tmp_path / 'another.db'}"}
    second = run_target(elsewhere, views(2), sandbox=sandbox)  # it knows no pending record
    assert len(second.dead_letters) == 4
    assert len({letter["runId"] for letter in second.dead_letters}) == 2
    replayed = replay(run_target, second.dead_letter_path, CONFIG, sandbox, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert sum(sandbox.store.answers.values()) == 2
    assert "2 repeated lines" in replayed.stderr


def test_replay_reports_each_unreadable_line_and_replays_every_whole_one(
    run_target, sandbox, tmp_path
):
    first = run_target(
        BROKEN, [*views(0), *(view(n, page=f"价格 {n}") for n in range(3))], sandbox=sandbox
    )
    torn, swallowed, whole = first.dead_letter_path.read_bytes().splitlines()
    cut = torn.index("价".encode()) + 1  # inside the character, as a torn write may end
    older = json.loads(whole)
    del older["schema"]  # as versions before dead letters carried their SCHEMA wrote it
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(b"\n".join([torn[:cut] + swallowed, json.dumps(older).encode(), whole]))
    replayed = replay(run_target, mixed, CONFIG, sandbox, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert f"--replay {mixed}, line 1: not JSON" in replayed.stderr
    assert f"--replay {mixed}, line 2: not a dead letter this version can replay" in replayed.stderr
    assert "1 delivered" in replayed.stderr
    assert "2 unreadable lines skipped" in replayed.stderr
    [body] = sandbox.store.events.values()
    assert body["content"]["contentTitle"] == "价格 2"

"""A dead letter is on disk, whole, before any STATE covers its record; a torn one costs itself.

A write cut short is real here, not imitated: the target runs under a file-size limit
(RLIMIT_FSIZE), so the dead letter that crosses it is written partway and the next write
fails, as on a disk that fills; ``/dev/full`` answers every write with ENOSPC. The ledger is
on PostgreSQL, so the limit bites the dead-letter file only.
"""

from __future__ import annotations

import json

from page_views import CONFIG, VIEW_PROPERTIES, VIEWS, interleaved, view
from processes import stored_ids
from singer_messages import SECRET, error_lines, schema, state
from target_runs import Run

FULL_DISK = "/dev/full"
"""Every write to it fails with ENOSPC, as on a full disk."""
NO_SPACE = f"cannot write the dead-letter file {FULL_DISK}: No space left on device"
"""The one line a run stopped by it logs: the file and the cause, never a bare errno."""


def bad(number: int) -> dict:
    """A record its SCHEMA refuses (the id is a string, not an integer): dead-lettered."""
    return view(number, id=f"{number:04d}")


TAP = [bad(0), bad(1), view(2)]
"""What the tap sends: two records that are dead-lettered, then one that is delivered."""


def bookmark(number: int) -> dict:
    return {"bookmarks": {VIEWS: {"n": number}}}


def tap_after(resumed: list[dict]) -> list[dict]:
    """The tap's messages, each record followed by its STATE, after the STATE it resumes
    from (the last of ``resumed``; all of them when there is none)."""
    start = resumed[-1]["bookmarks"][VIEWS]["n"] + 1 if resumed else 0
    messages = [schema(VIEWS, VIEW_PROPERTIES, ["id"])]
    for number in range(start, len(TAP)):
        messages += [TAP[number], state(bookmark(number))]
    return messages


def cut_short_run(run_target, sandbox, ledger_url: str, tmp_path) -> Run:
    """A run whose second dead letter is cut short halfway, as by a disk that fills."""
    measured = run_target(
        {**CONFIG, "dry_run": True, "dead_letter_path": str(tmp_path / "measured.jsonl")},
        tap_after([])[:2],
    )
    line = len(measured.dead_letter_path.read_bytes())  # the first dead letter, its newline
    config = {**CONFIG, "ledger_url": ledger_url}
    return run_target(config, tap_after([]), sandbox=sandbox, file_size_limit=line + line // 2)


def resume(run_target, sandbox, ledger_url: str, stopped: Run) -> Run:
    """Rerun from the last STATE ``stopped`` forwarded, with room on the disk again."""
    config = {**CONFIG, "ledger_url": ledger_url}
    return run_target(config, tap_after(stopped.states), sandbox=sandbox)


def test_a_dead_letter_cut_short_stops_the_run_and_no_state_covers_its_record(
    run_target, sandbox, shared_ledger_url, tmp_path
):
    cut = cut_short_run(run_target, sandbox, shared_ledger_url, tmp_path)
    assert cut.returncode == 1
    assert error_lines(cut.stderr) == [
        f"cannot write the dead-letter file {cut.dead_letter_path}: File too large"
    ]
    whole, torn = cut.dead_letter_path.read_bytes().split(b"\n")
    assert json.loads(whole)["key"] == {"id": "0000"}
    assert torn.startswith(b'{"stream":')  # half of record 1's dead letter
    assert cut.states == [bookmark(0)]  # so the rerun starts from record 1
    assert stored_ids(sandbox) == set()


def test_the_run_after_a_torn_write_starts_its_first_dead_letter_on_a_line_of_its_own(
    run_target, sandbox, shared_ledger_url, tmp_path
):
    cut = cut_short_run(run_target, sandbox, shared_ledger_url, tmp_path)
    rerun = resume(run_target, sandbox, shared_ledger_url, cut)
    assert rerun.returncode == 0, rerun.stderr
    assert f"dead-letter file {rerun.dead_letter_path} ends in half a line" in rerun.stderr
    first, torn, again, end = rerun.dead_letter_path.read_bytes().split(b"\n")
    assert [json.loads(line)["key"] for line in (first, again)] == [{"id": "0000"}, {"id": "0001"}]
    assert (torn, end) == (cut.dead_letter_path.read_bytes().split(b"\n")[1], b"")
    assert rerun.states[-1] == bookmark(2)
    assert stored_ids(sandbox) == {2}


def test_replay_reports_the_torn_line_and_replays_every_whole_one(
    run_target, sandbox, shared_ledger_url, tmp_path
):
    cut = cut_short_run(run_target, sandbox, shared_ledger_url, tmp_path)
    rerun = resume(run_target, sandbox, shared_ledger_url, cut)
    relaxed = {
        **CONFIG,
        "validate_records": False,
        "ledger_url": shared_ledger_url,
        "dead_letter_path": str(tmp_path / "still-rejected.jsonl"),
    }
    path = str(rerun.dead_letter_path)
    replayed = run_target(relaxed, [], sandbox=sandbox, args=["--replay", path])
    assert replayed.returncode == 0, replayed.stderr
    assert f"--replay {path}, line 2: not JSON" in replayed.stderr
    assert 'skipped: \'{"stream":"page_views"' in replayed.stderr  # its first bytes
    assert "2 delivered, 0 still rejected" in replayed.stderr
    assert "1 unreadable lines skipped" in replayed.stderr
    assert stored_ids(sandbox) == {0, 1, 2}


def test_a_full_disk_stops_the_run_with_one_line_naming_the_file_and_the_cause(run_target, sandbox):
    full = run_target({**CONFIG, "dead_letter_path": FULL_DISK}, tap_after([]), sandbox=sandbox)
    assert full.returncode == 1
    assert error_lines(full.stderr) == [NO_SPACE]
    assert "Traceback" not in full.stderr
    assert SECRET not in full.stderr
    assert full.states == []  # record 0 is not in any file, so no STATE covers it
    rerun = run_target(CONFIG, tap_after(full.states), sandbox=sandbox)
    assert rerun.returncode == 0, rerun.stderr
    assert [letter["key"] for letter in rerun.dead_letters] == [{"id": "0000"}, {"id": "0001"}]
    assert stored_ids(sandbox) == {2}


def test_a_refusal_by_gong_that_cannot_be_dead_lettered_is_not_covered_by_any_state(
    run_target, make_sandbox
):
    refusing = make_sandbox(reject_rate=1.0)
    full = run_target({**CONFIG, "dead_letter_path": FULL_DISK}, interleaved(3), sandbox=refusing)
    assert full.returncode == 1
    assert error_lines(full.stderr) == [NO_SPACE]
    assert SECRET not in full.stderr
    assert full.states == []
    rerun = run_target(CONFIG, interleaved(3), sandbox=refusing)  # from the start again
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(letter["key"]["id"] for letter in rerun.dead_letters) == [0, 1, 2]
    assert rerun.states[-1] == {"bookmarks": {VIEWS: {"id": 2}}}

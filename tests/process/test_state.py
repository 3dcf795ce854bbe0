"""STATE goes to stdout only once every record before it is settled, and soon after."""

from __future__ import annotations

import json
import subprocess
import sys

from page_views import CONFIG, interleaved, view, views
from singer_messages import state


def test_states_are_coalesced_so_a_fast_run_prints_few_of_them(run_target, sandbox):
    run = run_target({**CONFIG, "max_requests_per_second": 1000}, interleaved(200), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert 1 <= len(run.states) < 50
    assert run.states[-1] == {"bookmarks": {"page_views": {"id": 199}}}


def test_last_state_is_forwarded_at_end_of_input(run_target, sandbox):
    run = run_target(CONFIG, interleaved(7), sandbox=sandbox)
    assert run.states == [{"bookmarks": {"page_views": {"id": 6}}}]


def test_no_state_is_forwarded_ahead_of_delivery(sandbox, tmp_path):
    config = {
        **CONFIG,
        "api_url": sandbox.url,
        "access_key": "key",
        "access_key_secret": sandbox.options.access_key_secret,
        "dead_letter_path": str(tmp_path / "dl.jsonl"),
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    process = subprocess.Popen(
        [sys.executable, "-m", "target_gong_di", "--config", str(tmp_path / "config.json")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    process.stdin.write("".join(json.dumps(m) + "\n" for m in interleaved(30)))
    process.stdin.close()
    checked = 0
    for line in process.stdout:
        covered = json.loads(line)["bookmarks"]["page_views"]["id"]
        stored = {body["content"]["contentTitle"] for body in list(sandbox.store.events.values())}
        assert {f"Page {n}" for n in range(covered + 1)} <= stored
        checked += 1
    assert process.wait(timeout=60) == 0
    assert checked >= 2  # at 100/s, 30 records settle over ~0.3 s: a STATE mid-way and the last


def test_dead_lettered_records_are_settled_before_the_state_that_covers_them(run_target, sandbox):
    messages = [*views(0), view(0, id="bad"), state({"after": "bad"}), view(1)]
    run = run_target(CONFIG, messages, sandbox=sandbox)
    assert run.states[0] == {"after": "bad"}
    assert [letter["stage"] for letter in run.dead_letters] == ["schema"]


def test_state_before_any_record_is_forwarded(run_target, sandbox):
    run = run_target(CONFIG, [*views(0), state({"start": 1})], sandbox=sandbox)
    assert run.states == [{"start": 1}]

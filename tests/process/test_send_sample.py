"""--send-sample N: a first send to the real Gong that sends N new events and no STATE.

Each test runs the real target process against the sandbox on 127.0.0.1. The contract
(issue 19): at most N events Gong does not have yet, each logged with its eventId, stream,
key values and requestId; no STATE forwarded; exit 0; a later ordinary run sends exactly
the rest and no 409.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing as t

from page_views import CONFIG, VIEWS, interleaved, view, views
from processes import stored_ids
from singer_messages import SECRET

if t.TYPE_CHECKING:
    from pathlib import Path

    from target_gong_di.sandbox import Sandbox

SAMPLE = ["--send-sample", "5"]
TAP = "import shutil, sys; shutil.copyfileobj(open(sys.argv[1]), sys.stdout)"
"""A tap writing a file to stdout; it fails (BrokenPipeError) if the target stops reading."""
SENT_LINE = re.compile(
    r"Sample: sent eventId '(?P<event_id>[^']+)' of stream '(?P<stream>[^']+)', "
    r"key (?P<key>\{.*\}); Gong's requestId (?P<request_id>\S+)"
)


def requests(server: Sandbox) -> int:
    """Every POST the sandbox answered, whatever the answer."""
    return sum(server.store.answers.values())


def sent_lines(stderr: str) -> list[re.Match[str]]:
    return [match for line in stderr.splitlines() if (match := SENT_LINE.search(line))]


def test_a_sample_of_5_sends_exactly_5_requests_and_exits_0(run_target, sandbox):
    run = run_target(CONFIG, interleaved(20), sandbox=sandbox, args=SAMPLE)
    assert run.returncode == 0, run.stderr
    assert requests(sandbox) == 5
    assert len(sandbox.store.events) == 5


def test_a_sample_forwards_no_state(run_target, sandbox):
    run = run_target(CONFIG, interleaved(20), sandbox=sandbox, args=SAMPLE)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""


def test_a_sample_logs_each_sent_events_id_stream_keys_and_request_id(run_target, sandbox):
    run = run_target(CONFIG, interleaved(20), sandbox=sandbox, args=SAMPLE)
    lines = sent_lines(run.stderr)
    assert sorted(line["event_id"] for line in lines) == sorted(sandbox.store.events)
    assert {line["stream"] for line in lines} == {VIEWS}
    keys = sorted(f"{{'id': {n}}}" for n in stored_ids(sandbox))
    assert sorted(line["key"] for line in lines) == keys
    assert all(line["request_id"] not in {"None", ""} for line in lines)


def test_a_sample_ends_with_what_it_sent_of_what_it_read(run_target, sandbox):
    run = run_target(CONFIG, interleaved(20), sandbox=sandbox, args=SAMPLE)
    assert "Sample: sent 5 of 20 records read" in run.stderr
    assert "no STATE forwarded, rerun normally to send the rest" in run.stderr


def test_a_sample_logs_no_secret(run_target, sandbox):
    run = run_target(CONFIG, interleaved(20), sandbox=sandbox, args=SAMPLE)
    assert run.returncode == 0, run.stderr
    assert SECRET not in run.stderr + run.stdout


def test_an_ordinary_run_after_a_sample_sends_exactly_the_rest_without_a_409(run_target, sandbox):
    run_target(CONFIG, interleaved(20), sandbox=sandbox, args=SAMPLE)
    ordinary = run_target(CONFIG, interleaved(20), sandbox=sandbox)
    assert ordinary.returncode == 0, ordinary.stderr
    assert requests(sandbox) == 5 + 15
    assert sandbox.store.answers["409"] == 0
    assert len(sandbox.store.events) == 20


def test_an_ordinary_run_after_a_sample_forwards_state(run_target, sandbox):
    run_target(CONFIG, interleaved(20), sandbox=sandbox, args=SAMPLE)
    ordinary = run_target(CONFIG, interleaved(20), sandbox=sandbox)
    assert ordinary.states[-1] == {"bookmarks": {VIEWS: {"id": 19}}}


def test_events_already_in_the_ledger_do_not_count_toward_the_sample(run_target, sandbox):
    run_target(CONFIG, views(3), sandbox=sandbox)
    sample = run_target(CONFIG, views(20), sandbox=sandbox, args=SAMPLE)
    assert sample.returncode == 0, sample.stderr
    assert requests(sandbox) == 3 + 5
    assert len(sandbox.store.events) == 8


def test_a_record_refused_by_its_schema_does_not_count_toward_the_sample(run_target, sandbox):
    messages = [*views(2), view(2, id="not a number"), *views(20)[3:]]
    run = run_target(CONFIG, messages, sandbox=sandbox, args=SAMPLE)
    assert run.returncode == 0, run.stderr
    assert [letter["stage"] for letter in run.dead_letters] == ["schema"]
    assert len(sandbox.store.events) == 5


def test_a_record_gong_refuses_does_not_count_toward_the_sample(run_target, make_sandbox):
    refusing = make_sandbox(reject_rate=0.3, seed=7)
    run = run_target(CONFIG, views(40), sandbox=refusing, args=SAMPLE)
    assert run.returncode == 0, run.stderr
    refused = refusing.store.answers["400"]
    assert refused >= 1  # the seed makes Gong refuse some of the first requests
    assert len(refusing.store.events) == 5
    assert requests(refusing) == 5 + refused
    assert len(run.dead_letters) == refused


def test_an_event_gong_stored_while_its_answer_was_lost_counts_toward_the_sample(
    run_target, make_sandbox
):
    """Every first answer lost, every retry a 409: the sample still leaves 5 events in Gong."""
    losing = make_sandbox(lost_reply_rate=1.0)
    run = run_target(CONFIG, views(20), sandbox=losing, args=SAMPLE)
    assert run.returncode == 0, run.stderr
    assert len(losing.store.events) == 5
    assert len(sent_lines(run.stderr)) == 5


def test_a_sample_of_0_is_refused_by_the_command_line(run_target, sandbox):
    run = run_target(CONFIG, views(3), sandbox=sandbox, args=["--send-sample", "0"])
    assert run.returncode == 2
    assert "--send-sample" in run.stderr
    assert requests(sandbox) == 0


def test_a_sample_refuses_a_dry_run_config(run_target, sandbox):
    run = run_target({**CONFIG, "dry_run": True}, views(3), sandbox=sandbox, args=SAMPLE)
    assert run.returncode == 1
    assert "--send-sample sends to Gong" in run.stderr


def test_a_tap_piped_into_a_sample_writes_all_its_output_and_exits_0(tmp_path: Path, sandbox):
    """The rest of the input is read, not left in the pipe: the tap sees no broken pipe."""
    messages = "".join(json.dumps(message) + "\n" for message in interleaved(3000))
    (tmp_path / "tap.jsonl").write_text(messages)  # ~300 kB: far more than a pipe holds
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                **CONFIG,
                "api_url": sandbox.url,
                "access_key": "key",
                "access_key_secret": SECRET,
                "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
                "dead_letter_path": str(tmp_path / "rejected.jsonl"),
            }
        )
    )
    tap = subprocess.Popen(
        [sys.executable, "-c", TAP, str(tmp_path / "tap.jsonl")], stdout=subprocess.PIPE
    )
    assert tap.stdout is not None
    target = subprocess.run(
        [sys.executable, "-m", "target_gong_di", "--config", str(config), *SAMPLE],
        stdin=tap.stdout, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    tap.stdout.close()
    assert tap.wait(timeout=60) == 0
    assert target.returncode == 0, target.stderr
    assert "Sample: sent 5 of 3000 records read" in target.stderr

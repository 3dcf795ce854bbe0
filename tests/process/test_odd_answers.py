"""Answers the real API or a proxy in front of it may give, from a scripted server on 127.0.0.1.

The sandbox behaves like Gong; this server answers exactly what each test scripts, to pin
down how the target copes with redirects, echoed headers, empty errors and stalled replies.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from page_views import interleaved, views
from processes import wait_until
from scripted_server import Answer, config_for
from singer_messages import SECRET

CREDENTIAL = base64.b64encode(f"key:{SECRET}".encode()).decode()


OK = Answer(200, b'{"requestId": "r1"}', {"Content-Type": "application/json"})


def test_redirect_is_not_followed_and_stops_the_run_naming_the_location(run_target, scripted):
    server = scripted(Answer(302, headers={"Location": "/elsewhere"}))
    run = run_target(config_for(server), interleaved(3))
    assert run.returncode == 1
    assert "HTTP 302" in run.stderr
    assert "redirect to '/elsewhere'" in run.stderr
    assert "Traceback" not in run.stderr
    assert server.requests == [("POST", "/v2/digital-interaction")]
    assert run.states == []


def test_http_408_is_retried_like_a_server_error(run_target, scripted):
    server = scripted(Answer(408), OK)
    run = run_target(config_for(server), views(1))
    assert run.returncode == 0, run.stderr
    assert len(server.requests) == 2


def test_credentials_a_server_echoes_back_are_blanked_in_logs_and_dead_letters(
    run_target, scripted
):
    echoed = f'{{"errors": ["bad request; Authorization: Basic {CREDENTIAL}"]}}'.encode()
    server = scripted(Answer(400, echoed, {"Content-Type": "application/json"}))
    run = run_target(config_for(server), views(1))
    assert run.returncode == 0, run.stderr
    [letter] = run.dead_letters
    assert letter["errors"] == ["bad request; Authorization: [redacted]"]
    for text in (run.stderr, run.dead_letter_path.read_text()):
        assert CREDENTIAL not in text
        assert SECRET not in text


def test_credentials_in_a_long_non_json_answer_are_blanked_before_it_is_cut(run_target, scripted):
    page = ("x" * 480 + f"Authorization: Basic {CREDENTIAL}").encode()
    server = scripted(Answer(400, page, {"Content-Type": "text/html"}))
    run = run_target(config_for(server), views(1))
    [letter] = run.dead_letters
    assert letter["errors"][0].endswith("Authorization: [redacted]"[:20])
    assert CREDENTIAL[:8] not in run.stderr + run.dead_letter_path.read_text()


def test_credentials_in_a_redirect_location_are_blanked(run_target, scripted):
    server = scripted(Answer(302, headers={"Location": f"/login?auth={CREDENTIAL}"}))
    run = run_target(config_for(server), views(1))
    assert run.returncode == 1
    assert "redirect to '/login?auth=[redacted]'" in run.stderr
    assert CREDENTIAL not in run.stderr


def test_http_400_without_error_text_says_so(run_target, scripted):
    server = scripted(Answer(400))
    run = run_target(config_for(server), views(1))
    [letter] = run.dead_letters
    assert letter["errors"] == ["HTTP 400 with no error text"]


@pytest.mark.parametrize("retry_after", ["inf", "1e20"])
def test_retry_after_beyond_any_date_stops_with_one_line(run_target, scripted, retry_after):
    server = scripted(Answer(429, headers={"Retry-After": retry_after}))
    run = run_target({**config_for(server), "on_daily_limit": "fail"}, views(1))
    assert run.returncode == 1
    assert "resume after" in run.stderr
    assert "Traceback" not in run.stderr


def test_stop_signal_does_not_wait_forever_for_a_trickling_answer(scripted, tmp_path: Path):
    server = scripted(Answer(200, b"{", trickle=True))
    config_path = tmp_path / "config.json"
    config_path.write_text(
        json.dumps(
            config_for(
                server,
                request_timeout_seconds=1,
                dead_letter_path=str(tmp_path / "dl.jsonl"),
                ledger_url=f"sqlite:///{tmp_path / 'ledger.db'}",
            )
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "target_gong_di", "--config", str(config_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write("".join(json.dumps(message) + "\n" for message in views(1)))
    process.stdin.close()  # end of input: the record is sent
    wait_until(lambda: bool(server.requests), timeout=30)  # the record is being answered
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=20) == 1
    assert process.stderr is not None
    stderr = process.stderr.read()
    assert "stopped by signal 15" in stderr
    # The whole attempt is bounded by request_timeout_seconds: none is left to abandon.
    assert "Requests still unanswered" not in stderr

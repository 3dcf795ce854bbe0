"""Answers that are not Gong's, answers that never end, huge answers and a failing certificate.

Each runs the real target against a real server on 127.0.0.1 (the sandbox's proxy and trickle
modes, a scripted server, or a TLS server with a certificate no one trusts) and checks what was
delivered, what STATE covers and what a rerun sends.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from page_views import CONFIG, interleaved
from scripted_server import Answer, config_for

from target_gong_di.delivery.answers import MAX_ERRORS
from target_gong_di.delivery.client import ANSWER_BYTES_LIMIT, ERROR_TEXT_LIMIT


@pytest.mark.parametrize("mode", ["html_ok_rate", "empty_ok_rate"])
def test_a_200_that_is_not_gongs_answer_stops_the_run_and_is_not_checkpointed(
    run_target, make_sandbox, mode
):
    proxy = make_sandbox(**{mode: 1.0})
    run = run_target(CONFIG, interleaved(3), sandbox=proxy)
    assert run.returncode == 1
    assert "HTTP 200" in run.stderr
    assert "not Gong's answer" in run.stderr
    assert "a proxy, captive portal or firewall may be in the way" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.states == []
    assert proxy.store.events == {}


def test_a_200_html_page_is_named_by_content_type_and_first_bytes(run_target, make_sandbox):
    proxy = make_sandbox(html_ok_rate=1.0)
    run = run_target(CONFIG, interleaved(1), sandbox=proxy)
    assert "Content-Type text/html" in run.stderr
    assert "first bytes '<!DOCTYPE html><html><body>Please sign in" in run.stderr


def test_a_200_not_from_gong_leaves_nothing_in_the_ledger_so_a_rerun_sends_everything(
    run_target, make_sandbox
):
    proxy = make_sandbox(html_ok_rate=1.0)
    run_target(CONFIG, interleaved(3), sandbox=proxy)
    gong = make_sandbox()
    rerun = run_target(CONFIG, interleaved(3), sandbox=gong)  # same ledger
    assert rerun.returncode == 0, rerun.stderr
    assert len(gong.store.events) == 3
    assert "3 delivered, 0 duplicates, 0 unchanged" in rerun.stderr
    assert rerun.states[-1]["bookmarks"]["page_views"]["id"] == 2


def test_json_200_without_request_id_is_not_a_delivery(run_target, scripted):
    server = scripted(Answer(200, b'{"ok": true}', {"Content-Type": "application/json"}))
    run = run_target(config_for(server), interleaved(1))
    assert run.returncode == 1
    assert "not Gong's answer (no requestId; Content-Type application/json" in run.stderr
    assert run.states == []


def test_a_trickled_answer_is_cut_at_request_timeout_and_retried(run_target, make_sandbox):
    # The event is stored, then its answer trickles a byte every 2s: the attempt ends at
    # request_timeout_seconds and the retry's 409 settles it.
    server = make_sandbox(trickle_answers=1, trickle_ms=2000)
    run = run_target({**CONFIG, "request_timeout_seconds": 1}, interleaved(2), sandbox=server)
    assert run.returncode == 0, run.stderr
    assert "no whole answer within request_timeout_seconds=1" in run.stderr
    assert len(server.store.events) == 2
    assert server.store.answers["409"] == 1
    assert run.states[-1]["bookmarks"]["page_views"]["id"] == 1


def test_an_answer_trickled_for_ever_exhausts_the_retries_without_a_checkpoint(
    run_target, make_sandbox
):
    server = make_sandbox(trickle_answers=100, trickle_ms=2000)
    config = {**CONFIG, "request_timeout_seconds": 1, "max_retries": 1}
    run = run_target(config, interleaved(1), sandbox=server)
    assert run.returncode == 1
    assert "failed after 1 retries (last: no whole answer within" in run.stderr
    assert run.states == []


def test_a_huge_200_is_read_only_up_to_the_bound_and_not_a_delivery(run_target, scripted):
    page = b"<html>" + b"x" * (8 * ANSWER_BYTES_LIMIT)
    server = scripted(Answer(200, page, {"Content-Type": "text/html"}))
    run = run_target(config_for(server), interleaved(1))
    assert run.returncode == 1
    assert "not Gong's answer" in run.stderr
    assert run.states == []


def test_a_400_with_many_errors_keeps_only_the_first_few_each_cut(run_target, scripted):
    errors = [f"error {n} " + "e" * ERROR_TEXT_LIMIT for n in range(MAX_ERRORS + 10)]
    body = json.dumps({"requestId": "r1", "errors": errors}).encode()
    server = scripted(Answer(400, body, {"Content-Type": "application/json"}))
    run = run_target(config_for(server), interleaved(1))
    assert run.returncode == 0, run.stderr
    [letter] = run.dead_letters
    assert len(letter["errors"]) == MAX_ERRORS
    assert letter["errors"][0].startswith("error 0 ")
    assert all(len(error) == ERROR_TEXT_LIMIT for error in letter["errors"])


def test_a_400_larger_than_the_read_bound_is_still_dead_lettered(run_target, scripted):
    errors = [f"error {n}" for n in range(200_000)]
    body = json.dumps({"requestId": "r1", "errors": errors}).encode()
    server = scripted(Answer(400, body, {"Content-Type": "application/json"}))
    run = run_target(config_for(server), interleaved(1))
    assert run.returncode == 0, run.stderr
    [letter] = run.dead_letters
    assert len(letter["errors"]) == 1  # cut JSON: kept as one text, bounded
    assert len(letter["errors"][0]) == ERROR_TEXT_LIMIT
    assert len(run.dead_letter_path.read_bytes()) < ANSWER_BYTES_LIMIT
    assert run.states[-1]["bookmarks"]["page_views"]["id"] == 0


def _trickle_headers(listener: socket.socket) -> None:
    """Accept connections and answer each with a status line, then a header byte every 2 s."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.recv(65536)
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while True:
                threading.Event().wait(2)
                conn.sendall(b"a")
        except OSError:
            conn.close()


def test_headers_trickled_in_are_cut_at_request_timeout_and_not_a_delivery(run_target):
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_trickle_headers, args=(listener,), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    config = {**CONFIG, "api_url": url, "access_key": "key", "access_key_secret": "x"}
    try:
        run = run_target({**config, "request_timeout_seconds": 1, "max_retries": 1}, interleaved(1))
    finally:
        listener.close()
    assert run.returncode == 1
    assert "failed after 1 retries (last: no whole answer within" in run.stderr
    assert run.states == []


class _UntrustedTLS(ThreadingHTTPServer):
    """A TLS server on 127.0.0.1 whose self-signed certificate no CA bundle holds."""

    daemon_threads = True

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(("127.0.0.1", 0), BaseHTTPRequestHandler)
        key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
                *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
            ],
            check=True,
            capture_output=True,
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.handshakes = 0

    def get_request(self) -> tuple[socket.socket, t.Any]:
        self.handshakes += 1
        return super().get_request()


def test_a_certificate_that_fails_verification_stops_at_once_naming_requests_ca_bundle(
    run_target, tmp_path
):
    server = _UntrustedTLS(tmp_path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}"
        config = {**CONFIG, "api_url": url, "access_key": "key", "max_retries": 3}
        run = run_target({**config, "access_key_secret": "x"}, interleaved(2))
    finally:
        server.shutdown()
        server.server_close()
    assert run.returncode == 1
    assert f"the certificate of api_url {url} could not be verified" in run.stderr
    assert "REQUESTS_CA_BUNDLE" in run.stderr
    assert "failed after" not in run.stderr
    assert server.handshakes == 1
    assert run.states == []

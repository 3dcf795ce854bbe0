"""A server on 127.0.0.1 that answers exactly what a test scripts, as a proxy or odd API might.

The sandbox behaves like Gong; this server pins down how the target copes with redirects,
echoed headers, empty errors and stalled replies. The ``scripted`` fixture (conftest) starts one.
"""

from __future__ import annotations

import threading
import time
import typing as t
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from page_views import CONFIG
from singer_messages import SECRET


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    trickle: bool = False  # send the headers, then one byte every half second, forever


class ScriptedServer(ThreadingHTTPServer):
    """Answers POSTs with ``answers`` in turn, the last one repeating; logs every request."""

    daemon_threads = True

    def __init__(self, answers: list[Answer]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers = answers
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_answer(self, method: str, path: str) -> Answer:
        with self.lock:
            self.requests.append((method, path))
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ScriptedServer

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = self.server.next_answer(self.command, self.path)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body) + (10**6 if answer.trickle else 0)))
        self.end_headers()
        self.wfile.write(answer.body)
        while answer.trickle:
            time.sleep(0.5)
            self.wfile.write(b" ")
            self.wfile.flush()

    do_POST = do_GET = _answer


def config_for(server: ScriptedServer, **settings: t.Any) -> dict:
    return {
        **CONFIG,
        "api_url": server.url,
        "access_key": "key",
        "access_key_secret": SECRET,
        "max_retries": 2,
        **settings,
    }

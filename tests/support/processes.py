"""Helpers that run the target as a child process and watch what it does, as a tap would."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

from page_views import CONFIG, VIEW_MAPPING, VIEW_PROPERTIES, VIEWS, view
from singer_messages import SECRET, record, schema, state

from target_gong_di.sandbox import Sandbox


def stored_ids(server: Sandbox) -> set[int]:
    return {
        int(body["content"]["contentTitle"].split()[-1]) for body in server.store.events.values()
    }


class TargetProcess:
    """The target as a child process whose stdout (STATE) is read as it is written."""

    def __init__(
        self,
        tmp_path: Path,
        server: Sandbox,
        config: dict,
        messages: list[dict],
        *,
        close_stdin: bool = True,
    ) -> None:
        full = {
            **CONFIG,
            "api_url": server.url,
            "access_key": "key",
            "access_key_secret": SECRET,
            "dead_letter_path": str(tmp_path / "dl.jsonl"),
            "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
            **config,
        }
        path = tmp_path / f"config-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(full))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "target_gong_di", "--config", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,  # files the config leaves at their defaults land here
        )
        self.states: list[dict] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []  # read as it comes: a full pipe would block the target
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self._stderr_reader = threading.Thread(
            target=lambda: self._stderr.extend(self.process.stderr), daemon=True
        )
        self._stderr_reader.start()
        self.write(messages)
        if close_stdin:
            self.process.stdin.close()

    def write(self, messages: list[dict]) -> None:
        """Send more Singer messages, as a tap does."""
        self.process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        self.process.stdin.flush()

    def _read_stdout(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def read_state(self, timeout: float | None = None) -> dict | None:
        """The next STATE line; None at end of output, or when ``timeout`` passes first."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self._lines.put(None)  # end of output stays the answer
            return None
        self.states.append(json.loads(line))
        return self.states[-1]

    def stderr_so_far(self) -> str:
        """What the target has logged up to now, while it still runs."""
        return "".join(list(self._stderr))

    def finish(self) -> tuple[int, str]:
        while self.read_state() is not None:
            pass
        code = self.process.wait(timeout=120)
        self._stderr_reader.join(timeout=30)
        return code, "".join(self._stderr)


def wait_until(condition: t.Callable[[], bool], timeout: float = 60) -> None:
    """Poll ``condition``, so a test acts on what happened rather than on a guessed delay."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def last_id(states: list[dict]) -> int:
    return states[-1]["bookmarks"][VIEWS]["id"] if states else -1


def resumed_from(messages: list[dict], covered: int) -> list[dict]:
    """What a tap sends when rerun from a STATE covering ids up to ``covered``."""
    return [
        message
        for message in messages
        if message["type"] == "SCHEMA"
        or (message["type"] == "RECORD" and message["record"]["id"] > covered)
        or (message["type"] == "STATE" and message["value"]["bookmarks"][VIEWS]["id"] > covered)
    ]


def pipeline_stream(number: int) -> str:
    """The stream of pipeline ``number`` when several run at once, one source each."""
    return f"{VIEWS}_{number}"


def pipeline(number: int, events: int) -> tuple[dict, list[dict]]:
    """Mappings and messages of pipeline ``number``: its own stream of ``events`` page views,
    each followed by its STATE; eventType names the stream, so the sandbox tells them apart."""
    stream = pipeline_stream(number)
    mapping = {**VIEW_MAPPING, "eventType": repr(stream)}
    messages = [schema(stream, VIEW_PROPERTIES, ["id"])]
    for n in range(events):
        messages += [
            record(stream, view(n)["record"]),
            state({"bookmarks": {stream: {"id": n}}}),
        ]
    return {"mappings": {stream: mapping}}, messages


def start_pipelines(
    tmp_path: Path, server: Sandbox, ledger_url: str, events: list[int], **settings: t.Any
) -> list[TargetProcess]:
    """One target process per entry of ``events`` (its count), all on ``ledger_url``."""
    processes = []
    for number, count in enumerate(events):
        mappings, messages = pipeline(number, count)
        config = {**mappings, "ledger_url": ledger_url, **settings}
        processes.append(TargetProcess(tmp_path, server, config, messages))
    return processes


def delivered_by(server: Sandbox, number: int) -> int:
    """Events of pipeline ``number`` the sandbox has stored."""
    stream = pipeline_stream(number)
    return sum(body["eventType"] == stream for body in list(server.store.events.values()))

"""The sandbox's command line: it serves until stopped and listens only on loopback."""

from __future__ import annotations

import subprocess
import sys

import requests
from sandbox_requests import AUTH, BODY
from singer_messages import SECRET


def test_command_line_sandbox_serves_until_stopped(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "target_gong_di.sandbox.cli",
            "--port",
            "0",
            "--access-key",
            "key",
            "--access-key-secret",
            SECRET,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stderr.readline().split()[-1]
        assert requests.post(f"{url}/v2/digital-interaction", json=BODY, auth=AUTH, timeout=5).ok
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_command_line_sandbox_refuses_non_loopback_hosts():
    completed = subprocess.run(
        [sys.executable, "-m", "target_gong_di.sandbox.cli", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode != 0
    assert "only listens on loopback" in completed.stderr

"""The ledger across real processes: killed with SIGKILL, and two spending one budget."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

from ledger_process import API_URL
from repo_paths import ROOT

from target_gong_di.ledger.store import open_ledger

WORKER = ROOT / "tests" / "support" / "ledger_process.py"


def start(command: str, url: str, number: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), command, url, str(number)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_confirmations_not_flushed_are_gone_after_sigkill(ledger_url):
    process = start("hold", ledger_url, 50)
    assert process.stdout.readline().strip() == "ready"
    kill(process)
    with open_ledger(ledger_url) as ledger:
        assert len(ledger.confirmed(API_URL, [f"e{n}" for n in range(50)])) == 50
        assert ledger.confirmed(API_URL, [f"u{n}" for n in range(50)]) == {}


def test_a_flush_killed_midway_leaves_whole_batches_only(ledger_url):
    process = start("flush-forever", ledger_url, 400)
    assert process.stdout.readline().strip() == "flushing"
    time.sleep(random.uniform(0.05, 0.5))
    kill(process)
    with open_ledger(ledger_url) as ledger:
        written = sum(count.events for count in ledger.counts(API_URL))
    assert written >= 400
    assert written % 400 == 0


def test_two_processes_spending_one_budget_never_exceed_it(ledger_url):
    processes = [start("spend", ledger_url, 1000) for _ in range(2)]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    spent = [int(process.communicate(timeout=120)[0]) for process in processes]
    assert sum(spent) == 1000
    assert all(share > 0 for share in spent)
    with open_ledger(ledger_url) as ledger:
        assert ledger.spent_today(API_URL) == 1000


def test_two_processes_can_create_a_new_ledger_at_once(ledger_url):
    processes = [start("hold", ledger_url, 10) for _ in range(2)]
    ready = [process.stdout.readline().strip() for process in processes]
    for process in processes:
        kill(process)
    assert ready == ["ready", "ready"]
    with open_ledger(ledger_url) as ledger:
        assert len(ledger.confirmed(API_URL, [f"e{n}" for n in range(10)])) == 10

"""A second process using a ledger, for tests that kill it or run two at once.

``python ledger_process.py hold URL N``: confirm and flush events e0..e(N-1), confirm
u0..u(N-1) without flushing, print "ready", then wait to be killed.
``python ledger_process.py flush-forever URL BATCH``: confirm and flush batches of BATCH new
events, printing "flushing" once the first is written, until killed.
``python ledger_process.py spend URL BUDGET``: open the ledger, print "ready", wait for a
line on stdin (so processes start together), spend a request every half millisecond (as a
paced run does, leaving the other process room) until refused, print how many were spent.
"""

from __future__ import annotations

import itertools
import sys
import time

from target_gong_di.ledger.store import DELIVERED, BudgetExhausted, Confirmation, open_ledger

API_URL = "https://us-1.api.gong.io"


def events(prefix: str, numbers: range) -> list[Confirmation]:
    return [Confirmation("s", f"{prefix}{n}", "hash", DELIVERED, None) for n in numbers]


def hold(url: str, count: int) -> None:
    ledger = open_ledger(url)
    ledger.confirm(API_URL, events("e", range(count)))
    ledger.flush()
    ledger.confirm(API_URL, events("u", range(count)))
    print("ready", flush=True)
    time.sleep(600)


def flush_forever(url: str, batch: int) -> None:
    ledger = open_ledger(url)
    for round_number in itertools.count():
        ledger.confirm(API_URL, events(f"r{round_number}-", range(batch)))
        ledger.flush()
        if round_number == 0:
            print("flushing", flush=True)


def spend(url: str, budget: int) -> None:
    ledger = open_ledger(url)
    print("ready", flush=True)
    sys.stdin.readline()
    spent = 0
    try:
        while True:
            ledger.spend(API_URL, budget)
            spent += 1
            time.sleep(0.0005)
    except BudgetExhausted:
        print(spent, flush=True)


if __name__ == "__main__":
    command, url, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"hold": hold, "flush-forever": flush_forever, "spend": spend}[command](url, number)

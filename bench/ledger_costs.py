"""What the ledger's calls cost, per call, on SQLite and (given a URL) PostgreSQL.

The figures the delivery pipeline is designed with: a lookup of a 500-id chunk in a ledger
holding 100k confirmed events (a full re-sync: every id is found), ``spend`` per request
from one thread and from four at once, ``flush`` of a batch, and ``body_hash`` per body.

    python bench/ledger_costs.py                      # SQLite, a file in a temporary folder
    python bench/ledger_costs.py postgresql://...     # also an (empty) PostgreSQL database

Prints figures; asserts nothing. Tables it writes use the api_url https://bench.invalid,
which it forgets at the end.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from target_gong_di.ledger import DELIVERED, Confirmation, Ledger, body_hash, open_ledger

API_URL = "https://bench.invalid"
CONFIRMED = 100_000
CHUNK = 500
BODY = {
    "eventId": "0f9c2b7a4e1d4c8e9b3a6f5d2c1b0a99",
    "timestamp": "2026-11-20T08:15:02Z",
    "eventType": "page viewed",
    "sourceSystemName": "Acme SaaS",
    "content": {"contentTitle": "Pricing", "contentUrl": "https://acme.example/pricing"},
    "person": {"email": "ada@example.com", "company": {"domain": "example.com"}},
}


def per_call(calls: int, action: object) -> float:
    """Microseconds per call of ``action`` (a no-argument callable)."""
    started = time.perf_counter()
    for _ in range(calls):
        action()  # type: ignore[operator]
    return (time.perf_counter() - started) / calls * 1e6


def fill(ledger: Ledger) -> list[str]:
    ids = [f"event-{n:08d}-{'x' * 24}" for n in range(CONFIRMED)]
    digest = body_hash(BODY)
    for start in range(0, CONFIRMED, 10_000):
        chunk = ids[start : start + 10_000]
        ledger.confirm(API_URL, [Confirmation("s", i, digest, DELIVERED, "req") for i in chunk])
        ledger.flush()
    return ids


def spend_in_threads(ledger: Ledger, threads: int, calls: int) -> float:
    """Microseconds per call, wall clock, with ``threads`` threads spending at once."""
    workers = [
        threading.Thread(target=lambda: [ledger.spend(API_URL, None) for _ in range(calls)])
        for _ in range(threads)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - started) / (threads * calls) * 1e6


def measure(url: str, label: str) -> None:
    with open_ledger(url) as ledger:
        ids = fill(ledger)
        chunks = [ids[start : start + CHUNK] for start in range(0, CONFIRMED, CHUNK)]
        found = iter(chunks * 2)
        lookup = per_call(len(chunks), lambda: ledger.confirmed(API_URL, next(found)))
        print(f"{label}: lookup of a {CHUNK}-id chunk, all found: {lookup:.0f} µs "
              f"({lookup / CHUNK:.2f} µs per id)")  # fmt: skip
        spend = per_call(2000, lambda: ledger.spend(API_URL, 10**9))
        print(f"{label}: spend, one thread: {spend:.0f} µs per call")
        print(f"{label}: spend, 4 threads at once: {spend_in_threads(ledger, 4, 500):.0f} µs "
              "per call (wall clock)")  # fmt: skip
        digest = body_hash(BODY)
        batch = iter(range(10**9))

        def confirm_and_flush(size: int) -> None:
            entries = [
                Confirmation("s", f"flush-{next(batch)}", digest, DELIVERED, "r")
                for _ in range(size)
            ]
            ledger.confirm(API_URL, entries)
            ledger.flush()

        for size in (1, 180, 1000):
            cost = per_call(50, lambda size=size: confirm_and_flush(size))
            print(f"{label}: confirm + flush of {size}: {cost:.0f} µs")
        ledger.forget(API_URL)


def main() -> None:
    hashing = per_call(20_000, lambda: body_hash(BODY))
    print(f"body_hash of a typical body: {hashing:.1f} µs")
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{Path(folder) / 'ledger.db'}", "SQLite")
    for url in sys.argv[1:]:
        measure(url, "PostgreSQL")


if __name__ == "__main__":
    main()

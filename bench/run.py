"""`make bench`: delivery and dry-run figures, each against a baseline measured in this run.

1. Throughput at a rate limit: events/s against a sandbox limited to LIMIT requests/s, as a
   fraction of the limit, and the share of requests answered 429.
2. Concurrency at latency: events/s against a sandbox answering after 50 ms with no limit,
   against the same target sending one request at a time.
3. Per-record cost: dry-run time per record against a no-op target on the same SDK (the
   SDK's own floor) over the same input; start-up is measured apart and subtracted.
4. Memory: peak RSS of dry runs over 100k and 1M records.

Only loopback is used. Prints figures; asserts nothing. `--quick` uses smaller inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from target_gong_di.sandbox import Sandbox, SandboxOptions

HERE = Path(__file__).resolve().parent
STREAMS = ("web_visits", "app_events", "doc_views")
SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": ["string", "null"]},
        "viewed_at": {"type": "string", "format": "date-time"},
        "page": {"type": "string"},
        "mobile": {"type": "boolean"},
    },
}
MAPPING = {
    "eventType": "'page viewed'",
    "timestamp": "viewed_at",
    "device": "'MOBILE' if mobile else 'PC'",
    "content": {"contentTitle": "page"},
    "person": {"email": "email", "company": {"domain": "email.split('@')[-1]"}},
    "customFields": {"mobile": "mobile"},
}


def write_input(path: Path, records: int, state_every: int = 1000) -> Path:
    """Three streams of page views, round-robin, with a STATE every ``state_every``."""
    with path.open("w") as out:
        for stream in STREAMS:
            message = {
                "type": "SCHEMA",
                "stream": stream,
                "schema": SCHEMA,
                "key_properties": ["id"],
            }
            out.write(json.dumps(message) + "\n")
        for number in range(records):
            stream = STREAMS[number % len(STREAMS)]
            values = {
                "id": number,
                "email": f"user{number % 5000}@acme{number % 97}.example",
                "viewed_at": "2026-11-20T09:15:02+01:00",
                "page": f"Page {number % 1000}",
                "mobile": number % 3 == 0,
            }
            out.write(json.dumps({"type": "RECORD", "stream": stream, "record": values}) + "\n")
            if number % state_every == state_every - 1:
                out.write(json.dumps({"type": "STATE", "value": {"position": number}}) + "\n")
    return path


def run(command: list[str], stdin: Path, config: dict, work: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process fed ``stdin``."""
    config_path = work / f"config-{time.monotonic_ns()}.json"
    config_path.write_text(json.dumps(config))
    started = time.perf_counter()
    with stdin.open() as feed:
        process = subprocess.Popen(
            [*command, "--config", str(config_path)],
            stdin=feed,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed; rerun it by hand with {config_path}")
    return elapsed, usage.ru_maxrss


TARGET = [sys.executable, "-m", "target_gong_di"]
NOOP = [sys.executable, str(HERE / "noop_target.py")]


def delivery_config(sandbox: Sandbox, **settings: object) -> dict:
    return {
        "api_url": sandbox.url,
        "access_key": sandbox.options.access_key,
        "access_key_secret": sandbox.options.access_key_secret,
        "mappings": dict.fromkeys(STREAMS, MAPPING),
        "dead_letter_path": os.devnull,
        **settings,
    }


def dry_run_config(bodies: Path) -> dict:
    """A dry run writing its bodies to ``bodies`` and its rejects beside them."""
    return {
        "dry_run": True,
        "dry_run_path": str(bodies),
        "dead_letter_path": str(bodies.with_suffix(".rejected")),
        "mappings": dict.fromkeys(STREAMS, MAPPING),
    }


def accepted_rate(sandbox: Sandbox) -> float:
    times = sandbox.store.accepted_at
    return (len(times) - 1) / (times[-1] - times[0])


def bench_rate_limit(work: Path, limit: int, events: int) -> None:
    stdin = write_input(work / "rate.singer", events)
    with Sandbox(SandboxOptions(rate_limit=limit)) as sandbox:
        run(
            TARGET,
            stdin,
            delivery_config(sandbox, max_requests_per_second=limit, max_concurrency=8),
            work,
        )
        rate = accepted_rate(sandbox)
        answers = sandbox.store.answers
    share_429 = answers["429"] / sum(answers.values())
    print(
        f"1. rate limit {limit}/s, {events} events: {rate:.1f} events/s = "
        f"{rate / limit:.3f} of the limit; 429s {share_429:.2%} of requests "
        f"(target >= 0.95, <= 1%)"
    )


def bench_latency(work: Path, events: int) -> None:
    stdin = write_input(work / "latency.singer", events)
    rates = {}
    for concurrency in (1, 8):
        with Sandbox(SandboxOptions(latency_ms=50)) as sandbox:
            run(
                TARGET,
                stdin,
                delivery_config(sandbox, max_requests_per_second=1000, max_concurrency=concurrency),
                work,
            )
            rates[concurrency] = accepted_rate(sandbox)
    print(
        f"2. 50 ms latency, no limit, {events} events: {rates[8]:.1f} events/s with "
        f"max_concurrency=8 against {rates[1]:.1f} events/s one at a time = "
        f"{rates[8] / rates[1]:.1f}x (target >= 100 events/s)"
    )


def bench_dry_run(work: Path, records: int) -> None:
    stdin = write_input(work / "dry.singer", records)
    empty = write_input(work / "empty.singer", 0)
    contenders = {"floor": (NOOP, {}), "target": (TARGET, dry_run_config(work / "bodies.jsonl"))}
    startup = dict.fromkeys(contenders, float("inf"))
    total = dict.fromkeys(contenders, float("inf"))
    for _ in range(5):  # interleaved, best of five: both see the same machine noise
        for name, (command, config) in contenders.items():
            startup[name] = min(startup[name], run(command, empty, config, work)[0])
            total[name] = min(total[name], run(command, stdin, config, work)[0])
    per_record = {name: (total[name] - startup[name]) / records * 1e6 for name in contenders}
    ratio = per_record["target"] / per_record["floor"]
    print(
        f"3. dry run, {records} records: {per_record['target']:.0f} us/record "
        f"({1e6 / per_record['target']:.0f} records/s) against the SDK floor's "
        f"{per_record['floor']:.0f} us/record = {ratio:.2f}x the floor (target <= 1.5x)"
    )


def bench_memory(work: Path, sizes: tuple[int, int]) -> None:
    peaks = {}
    for size in sizes:
        stdin = write_input(work / f"memory-{size}.singer", size)
        dry = dry_run_config(work / f"bodies-{size}.jsonl")
        peaks[size] = run(TARGET, stdin, dry, work)[1] / 1024
        stdin.unlink()
        (work / f"bodies-{size}.jsonl").unlink()
    small, large = sizes
    print(
        f"4. peak RSS in dry run: {peaks[small]:.0f} MiB for {small} records, "
        f"{peaks[large]:.0f} MiB for {large} = {peaks[large] / peaks[small]:.2f}x "
        "(target <= 1.2x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, a rougher figure")
    args = parser.parse_args()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        bench_rate_limit(work, limit=40, events=200 if args.quick else 800)
        bench_latency(work, events=150 if args.quick else 600)
        bench_dry_run(work, records=10_000 if args.quick else 50_000)
        bench_memory(work, (10_000, 100_000) if args.quick else (100_000, 1_000_000))


if __name__ == "__main__":
    main()

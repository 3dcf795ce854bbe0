"""`make bench`: delivery and dry-run figures, each against a baseline measured in this run.

1. Quiet tap: records written with stdin held open; seconds until all are delivered and a
   STATE covering them is out, against N / rate.
2. Faults: 10% 500s, 5% drops, 3% lost replies under a server limit; run time against the
   server's own bound (requests it admitted / its rate).
3. Latency 300 ms under a 20/s limit, default settings: fraction of the limit, 429 share.
4. Latency 50 ms, rate set high, default settings: events/s and peak in flight, against
   the same target sending one request at a time.
5. Throughput at a 40/s limit, default settings: fraction of the limit, 429 share.
6. Shared rate: 1, 2 and 4 processes, each with its own stream and max_requests_per_second
   20, sharing a PostgreSQL ledger against one sandbox limit of 20/s: combined events/s as a
   fraction of the limit, 429 share; and what a start slot costs through PostgreSQL against
   the in-process limiter a SQLite ledger gets.
7. Per-record cost, same input for all: records/s of a dry run, of a full re-sync of
   delivered records (a SQLite ledger that has every event; requests sent, target 0) and
   of ``--validate-config --input``, each against a no-op target on the same SDK with its
   stock reader (the SDK's own floor) and against the target at ``BASELINE_COMMIT`` (main
   before the per-record work, from ``git archive``, run with ``PYTHONPATH``), whose dry-run
   bodies must be the same bytes. Start-up is measured apart (empty input) and subtracted.
8. Memory: peak RSS of dry runs over 100k and 1M records.

Only loopback is used. Prints figures; asserts nothing. `--quick` uses smaller inputs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

# The throwaway PostgreSQL server is the tests' fixture, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
from postgres_server import PostgresServer

from target_gong_di.delivery import RateLimiter, SharedRateLimiter
from target_gong_di.sandbox import Sandbox, SandboxOptions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE_COMMIT = "4d4a0b8"
"""main before the per-record work (issue 21): the 'today' the per-record figures compare to."""
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


def write_input(
    path: Path, records: int, state_every: int = 1000, streams: tuple[str, ...] = STREAMS
) -> Path:
    """Page views in ``streams``, round-robin, with a STATE every ``state_every``."""
    with path.open("w") as out:
        for stream in streams:
            message = {
                "type": "SCHEMA",
                "stream": stream,
                "schema": SCHEMA,
                "key_properties": ["id"],
            }
            out.write(json.dumps(message) + "\n")
        for number in range(records):
            stream = streams[number % len(streams)]
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


class Run(t.NamedTuple):
    """How one process went."""

    seconds: float
    """Wall time."""
    rss: int
    """Peak resident set, KiB."""
    cpu: float
    """CPU seconds, user and system, all threads: what other load on the machine moves least."""


def run(command: list[str], stdin: Path, config: dict, work: Path, env: dict | None = None) -> Run:
    """Wall seconds, peak RSS (KiB) and CPU seconds of one process fed ``stdin``."""
    config_path = work / f"config-{time.monotonic_ns()}.json"
    # Each run its own ledger unless it asks for one: no run skips what another delivered.
    ledger_url = f"sqlite:///{work / f'ledger-{time.monotonic_ns()}.db'}"
    config_path.write_text(json.dumps({"ledger_url": ledger_url, **config}))
    started = time.perf_counter()
    with stdin.open() as feed:
        process = subprocess.Popen(
            [*command, "--config", str(config_path)],
            stdin=feed,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed; rerun it by hand with {config_path}")
    return Run(elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


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


def bench_rate_limit(work: Path, limit: int, events: int, latency_ms: float = 0.0) -> str:
    """Default settings (no max_concurrency) at the sandbox's limit: events/s, 429 share."""
    stdin = write_input(work / "rate.singer", events)
    with Sandbox(SandboxOptions(rate_limit=limit, latency_ms=latency_ms)) as sandbox:
        run(TARGET, stdin, delivery_config(sandbox, max_requests_per_second=limit), work)
        rate = accepted_rate(sandbox)
        answers = sandbox.store.answers
    share_429 = answers["429"] / sum(answers.values())
    return (
        f"rate limit {limit}/s, {latency_ms:.0f} ms latency, {events} events, default "
        f"settings: {rate:.1f} events/s = {rate / limit:.3f} of the limit; 429s "
        f"{share_429:.2%} of requests (target >= 0.95, <= 1%)"
    )


def bench_latency(work: Path, events: int) -> str:
    """50 ms latency, rate set high: default settings against one request at a time."""
    stdin = write_input(work / "latency.singer", events)
    rates, peaks = {}, {}
    for name, settings in (("default", {}), ("one at a time", {"max_concurrency": 1})):
        with Sandbox(SandboxOptions(latency_ms=50)) as sandbox:
            config = delivery_config(sandbox, max_requests_per_second=10_000, **settings)
            run(TARGET, stdin, config, work)
            rates[name] = accepted_rate(sandbox)
            peaks[name] = sandbox.store.peak_in_flight
    return (
        f"50 ms latency, max_requests_per_second 10000, {events} events: "
        f"{rates['default']:.0f} events/s with default settings ({peaks['default']} in "
        f"flight at peak) against {rates['one at a time']:.1f} events/s one at a time = "
        f"{rates['default'] / rates['one at a time']:.1f}x (target >= 400 events/s)"
    )


def bench_quiet_tap(work: Path, events: int, rate: float) -> str:
    """Records written, stdin held open: time until all are delivered and checkpointed."""
    stdin = write_input(work / "quiet.singer", events, state_every=1)
    with Sandbox(SandboxOptions()) as sandbox:
        config_path = work / "quiet.json"
        config_path.write_text(
            json.dumps(
                delivery_config(
                    sandbox,
                    max_requests_per_second=rate,
                    ledger_url=f"sqlite:///{work / 'quiet.db'}",
                )
            )
        )
        process = subprocess.Popen(
            [*TARGET, "--config", str(config_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        started = time.perf_counter()
        process.stdin.write(stdin.read_bytes())
        process.stdin.flush()  # and kept open: the tap waits for its next page
        last = events - 1
        while json.loads(process.stdout.readline())["position"] < last:
            pass
        elapsed = time.perf_counter() - started
        delivered = len(sandbox.store.events)
        process.stdin.close()
        process.wait(timeout=60)
    bound = events / rate
    return (
        f"quiet tap, {events} records at {rate:g}/s, stdin left open: all {delivered} "
        f"delivered and checkpointed after {elapsed:.2f}s against N/rate = {bound:.2f}s = "
        f"{elapsed / bound:.2f}x (target <= 1.2x + 1 s = {1.2 * bound + 1:.2f}s)"
    )


def bench_faults(work: Path, events: int, server_limit: int, rate: float) -> str:
    """Run time under faults against the server's own bound: admitted requests / its rate."""
    stdin = write_input(work / "faults.singer", events)
    options = SandboxOptions(
        rate_limit=server_limit, fail_rate=0.10, drop_rate=0.05, lost_reply_rate=0.03, seed=7
    )
    with Sandbox(options) as sandbox:
        config = delivery_config(sandbox, max_requests_per_second=rate, max_retries=20)
        elapsed = run(TARGET, stdin, config, work).seconds
        answers = sandbox.store.answers
        stored = len(sandbox.store.events)
    admitted = sum(answers.values()) - answers["429"]
    bound = admitted / server_limit
    return (
        f"faults (10% 500s, 5% drops, 3% lost replies), server limit {server_limit}/s, "
        f"target rate {rate:g}/s, {events} events ({stored} stored once): {elapsed:.1f}s "
        f"against the server's bound {bound:.1f}s ({admitted} admitted requests) = "
        f"{elapsed / bound:.2f}x; {answers['429']} 429s (target <= 1.2x)"
    )


def bench_shared_rate(work: Path, limit: int, events: int, counts: tuple[int, ...]) -> str:
    """``events`` split over several processes on one PostgreSQL ledger, one sandbox limit."""
    figures = []
    database = PostgresServer().start()
    try:
        for count in counts:
            with Sandbox(SandboxOptions(rate_limit=limit)) as sandbox:
                processes = []
                for number in range(count):
                    stream = f"source_{number}"
                    stdin = write_input(work / f"{stream}.singer", events // count, 100, (stream,))
                    config = delivery_config(
                        sandbox, max_requests_per_second=limit, ledger_url=database.url
                    )
                    config["mappings"] = {stream: MAPPING}
                    config_path = work / f"shared-{count}-{number}.json"
                    config_path.write_text(json.dumps(config))
                    with stdin.open() as feed:
                        processes.append(
                            subprocess.Popen(
                                [*TARGET, "--config", str(config_path)],
                                stdin=feed,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                            )
                        )
                if any(process.wait() for process in processes):
                    raise SystemExit(f"a shared-rate run failed; see {work}/shared-*.json")
                rate = accepted_rate(sandbox)
                answers = sandbox.store.answers
            figures.append(
                f"{count} process{'es' if count > 1 else ''}: {rate / limit:.3f} of the limit, "
                f"429s {answers['429'] / sum(answers.values()):.2%}"
            )
        shared, local = slot_costs(database.url)
    finally:
        database.stop()
    return (
        f"shared rate, {events} events over 1, 2 and 4 processes on one PostgreSQL ledger, "
        f"sandbox limit {limit}/s, each process set to {limit}/s: {'; '.join(figures)} "
        f"(target >= 0.95, <= 1%); a start slot costs {shared:.0f} us through PostgreSQL "
        f"(one round trip) against {local:.1f} us in-process (a SQLite ledger) = "
        f"{shared - local:.0f} us more per request"
    )


def slot_costs(url: str, calls: int = 2000) -> tuple[float, float]:
    """Microseconds per ``acquire`` with no waiting (a huge rate): shared, then in-process."""
    stopped = threading.Event()
    shared = SharedRateLimiter(url, "https://bench.invalid", 1e9, stopped)
    local = RateLimiter(1e9, stopped)
    costs = []
    for limiter in (shared, local):
        started = time.perf_counter()
        for _ in range(calls):
            limiter.acquire()
        costs.append((time.perf_counter() - started) / calls * 1e6)
        limiter.close()
    return costs[0], costs[1]


@dataclass
class Contender:
    """One build of the target: how to start it, and its best CPU times per mode."""

    command: list[str]
    env: dict | None = None
    startup: dict[str, float] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)

    def best(self, mode: str, kind: str, seconds: float) -> None:
        """Keep ``seconds`` if it is the best run of ``mode`` on this ``kind`` of input."""
        times = self.startup if kind == "startup" else self.total
        times[mode] = min(times.get(mode, float("inf")), seconds)

    def per_record(self, mode: str, records: int) -> float:
        """CPU microseconds per record, start-up aside."""
        return (self.total[mode] - self.startup[mode]) / records * 1e6


def baseline_target(work: Path) -> Contender:
    """The target at ``BASELINE_COMMIT``, unpacked by ``git archive``, on ``PYTHONPATH``.

    ``-P``: the current directory (this checkout) does not come before it on ``sys.path``.
    """
    folder = work / "baseline"
    archive = subprocess.run(
        [shutil.which("git") or "git", "-C", str(ROOT), "archive", BASELINE_COMMIT],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    env = {**os.environ, "PYTHONPATH": str(folder)}
    found = subprocess.run(
        [sys.executable, "-P", "-c", "import target_gong_di; print(target_gong_di.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if not found.startswith(str(folder)):
        raise SystemExit(f"the baseline imports {found.strip()}, not {folder}")
    return Contender([sys.executable, "-P", "-m", "target_gong_di"], env)


CONFIRM_ALL = """
import itertools, json, sys
from target_gong_di.ledger import Confirmation, body_hash, open_ledger
ledger_url, api_url, bodies, *streams = sys.argv[1:]
with open_ledger(ledger_url) as ledger:
    ledger.confirm(api_url, (
        Confirmation(stream, body["eventId"], body_hash(body), "delivered", None)
        for stream, body in zip(itertools.cycle(streams), map(json.loads, open(bodies)))
    ))
"""
"""Fills a ledger with every body of a dry-run file, run by the build that re-syncs from it."""


def confirm_all(build: Contender, ledger_url: str, api_url: str, bodies: Path) -> None:
    """A ledger in which Gong has every body of the dry-run file ``bodies``.

    Written by ``build``'s own code: each build reads only the ledger schema it knows.
    """
    python = build.command[: build.command.index("-m")]
    subprocess.run(
        [*python, "-c", CONFIRM_ALL, ledger_url, api_url, str(bodies), *STREAMS],
        env=build.env,
        check=True,
    )


def bench_per_record(work: Path, records: int, rounds: int) -> str:
    """Dry run, re-sync and validate-config per record: the floor, the baseline, the target."""
    stdin = write_input(work / "per-record.singer", records)
    empty = write_input(work / "empty.singer", 0)
    floor = Contender(NOOP)
    builds = {"target": Contender(TARGET), "baseline": baseline_target(work)}
    for name, build in builds.items():  # what each dry run writes: the same bytes, or a bug
        bodies = work / f"bodies-{name}.jsonl"
        run(build.command, stdin, dry_run_config(bodies), work, build.env)
    same = (work / "bodies-target.jsonl").read_bytes() == (
        work / "bodies-baseline.jsonl"
    ).read_bytes()
    with Sandbox(SandboxOptions()) as sandbox:
        resyncs = {}
        for name, build in builds.items():
            ledger_url = f"sqlite:///{work / f'per-record-resync-{name}.db'}"
            confirm_all(build, ledger_url, sandbox.url, work / "bodies-target.jsonl")
            resyncs[name] = delivery_config(
                sandbox, ledger_url=ledger_url, max_requests_per_second=3
            )
        modes = {
            "dry run": ([], dry_run_config(work / "bodies.jsonl")),
            "re-sync": ([], resyncs),
            "validate": (["--validate-config", "--input"], dry_run_config(work / "bodies.jsonl")),
        }
        for _ in range(rounds):  # interleaved, best of all: each sees the same machine noise
            for kind, feed in (("startup", empty), ("total", stdin)):
                floor.best("floor", kind, run(floor.command, feed, {}, work).cpu)
                for name, build in builds.items():
                    for mode, (flags, settings) in modes.items():
                        config = settings[name] if mode == "re-sync" else settings
                        if flags:  # the file is --input's, stdin stays empty
                            command, feed_in = [*build.command, *flags, str(feed)], empty
                        else:
                            command, feed_in = build.command, feed
                        seconds = run(command, feed_in, config, work, build.env).cpu
                        build.best(mode, kind, seconds)
        requests = sum(sandbox.store.answers.values())
    floor_us = floor.per_record("floor", records)
    lines = [
        f"per record (CPU time), {records} records, best of {rounds} interleaved; the SDK "
        "no-op floor "
        f"(stock reader) {floor_us:.1f} us/record ({1e6 / floor_us:,.0f} records/s); "
        f"baseline {BASELINE_COMMIT}, whose dry-run bodies are "
        f"{'the same bytes' if same else 'DIFFERENT'}; re-syncs sent {requests} requests "
        "(target 0); goal <= 0.5x the floor for a dry run and a re-sync:"
    ]
    for mode in modes:
        us = builds["target"].per_record(mode, records)
        baseline_us = builds["baseline"].per_record(mode, records)
        lines.append(
            f"   {mode}: {us:.1f} us/record ({1e6 / us:,.0f} records/s) = "
            f"{us / floor_us:.2f}x the floor, {us / baseline_us:.2f}x the baseline's "
            f"{baseline_us:.1f} us ({baseline_us / floor_us:.2f}x the floor)"
        )
    return "\n".join(lines)


def bench_memory(work: Path, sizes: tuple[int, int]) -> str:
    peaks = {}
    for size in sizes:
        stdin = write_input(work / f"memory-{size}.singer", size)
        dry = dry_run_config(work / f"bodies-{size}.jsonl")
        peaks[size] = run(TARGET, stdin, dry, work).rss / 1024
        stdin.unlink()
        (work / f"bodies-{size}.jsonl").unlink()
    small, large = sizes
    return (
        f"peak RSS in dry run: {peaks[small]:.0f} MiB for {small} records, "
        f"{peaks[large]:.0f} MiB for {large} = {peaks[large] / peaks[small]:.2f}x "
        "(target <= 1.2x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, a rougher figure")
    parser.add_argument(
        "--only", type=lambda text: {int(n) for n in text.split(",")}, help="figures, e.g. 7,8"
    )
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
        quick = args.quick
        figures = [
            lambda: bench_quiet_tap(work, events=200 if quick else 1000, rate=100),
            lambda: bench_faults(work, events=300 if quick else 1000, server_limit=60, rate=66),
            lambda: bench_rate_limit(work, limit=20, events=100 if quick else 400, latency_ms=300),
            lambda: bench_latency(work, events=400 if quick else 2000),
            lambda: bench_rate_limit(work, limit=40, events=200 if quick else 800),
            lambda: bench_shared_rate(
                work, limit=20, events=160 if quick else 400, counts=(1, 2, 4)
            ),
            lambda: bench_per_record(work, records=10_000 if quick else 50_000, rounds=5),
            lambda: bench_memory(work, (10_000, 100_000) if quick else (100_000, 1_000_000)),
        ]
        for number, figure in enumerate(figures, 1):
            if args.only is None or number in args.only:
                print(f"{number}. {figure()}", flush=True)


if __name__ == "__main__":
    main()

"""`make demo`: a real Meltano pipeline into the local sandbox, run twice.

Starts the Gong-compatible sandbox on a free loopback port, runs `meltano install`, then
`meltano run` with one tap-jsonl per sample stream (page views, NPS answers, course steps,
intent signals, tracking-id clicks and passthrough partner events, in demo/data/) into
target-gong-di, and prints the run summary and what the sandbox accepted. The pipeline then
runs again: the taps resume from Meltano's stored state, so nothing is delivered twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from target_gong_di.sandbox import Sandbox, SandboxOptions

ROOT = Path(__file__).resolve().parent.parent
MELTANO = str(Path(sys.executable).with_name("meltano"))


def taps() -> list[str]:
    """Every extractor in meltano.yml that reads a sample stream."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    return [tap["name"] for tap in project["plugins"]["extractors"] if "inherit_from" in tap]


def meltano(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a meltano command in the project; stop the demo if it fails."""
    completed = subprocess.run(
        [MELTANO, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"meltano {' '.join(args)} failed")
    return completed


def summary(log: str) -> list[str]:
    """The target's run-summary and warning lines from meltano's log."""
    wanted = ("Run summary", "could not be delivered", "Gong refused")
    return [
        line.split("] ", 1)[-1].removeprefix("target-gong-di ").strip()
        for line in log.splitlines()
        if any(w in line for w in wanted)
    ]


def describe(body: dict) -> str:
    """One line per event: when, what, on which content, and who."""
    content = body["content"]
    detail = next((key for key in content if key.endswith("Details")), "")
    person = body.get("person", {})
    who = person.get("email") or person.get("personId") or f"trackingId {body.get('trackingId')}"
    title = content["contentTitle"][:34]
    return f"{body['timestamp']}  {body['eventType']:<24} {title:<34} {detail:<21} {who}"


def main() -> int:
    """Run the demo; non-zero if any step fails."""
    options = SandboxOptions()
    with Sandbox(options) as sandbox:
        env = {
            **os.environ,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_ENVIRONMENT": "dev",
            "TARGET_GONG_DI_API_URL": sandbox.url,
            "TARGET_GONG_DI_ACCESS_KEY": options.access_key,
            "TARGET_GONG_DI_ACCESS_KEY_SECRET": options.access_key_secret,
            "TARGET_GONG_DI_DEAD_LETTER_PATH": str(ROOT / ".meltano" / "gong-di-rejected.jsonl"),
        }
        print(f"Sandbox listening on {sandbox.url}. Installing the Meltano plugins...")
        meltano("install", env=env)
        pipeline = [part for tap in taps() for part in (tap, "target-gong-di")]
        delivered_first = 0
        # The first run ignores state left by earlier demos; the second resumes from it.
        for attempt, flags in (("First run", ["--full-refresh"]), ("Second run", [])):
            run = meltano("run", *flags, *pipeline, env=env)
            print(f"\n{attempt}: meltano run {' '.join(flags + pipeline)}")
            for line in summary(run.stderr) or ["(no records: every tap resumed past its data)"]:
                print("  " + line)
            delivered_first = delivered_first or len(sandbox.store.events)
        print(
            f"\nThe sandbox accepted {len(sandbox.store.events)} digital interactions "
            f"({delivered_first} in the first run):"
        )
        for body in sandbox.store.events.values():
            print("  " + describe(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())

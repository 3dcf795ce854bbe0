"""`make demo`: deliver the shipped sample through the local sandbox and show the result.

Starts the Gong-compatible sandbox on a free loopback port, runs target-gong-di on
``demo/sample.singer`` (six streams: page views, NPS answers, course steps, intent
signals, tracking-id clicks and passthrough partner events) with ``demo/config.json``,
then prints what the sandbox accepted and the run's counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from target_gong_di.sandbox import Sandbox, SandboxOptions

DEMO = Path(__file__).resolve().parent.parent / "demo"


def _describe(body: dict) -> str:
    """One line per event: what happened, to what, and who did it."""
    content = body["content"]
    detail = next(
        (
            key
            for key in ("numericContentDetails", "stepContentDetails", "searchObjectDetails")
            if key in content
        ),
        "",
    )
    person = body.get("person", {})
    who = person.get("email") or person.get("personId") or f"trackingId {body.get('trackingId')}"
    return (
        f"{body['timestamp']}  {body['eventType']:<24} {content['contentTitle'][:34]:<34} "
        f"{detail:<21} {who}"
    )


def main() -> int:
    """Run the demo; the exit code is the target's."""
    options = SandboxOptions()
    with Sandbox(options) as sandbox, tempfile.TemporaryDirectory() as work:
        config = json.loads((DEMO / "config.json").read_text())
        config.update(
            api_url=sandbox.url,
            access_key=options.access_key,
            access_key_secret=options.access_key_secret,
            dead_letter_path=str(Path(work) / "rejected.jsonl"),
        )
        config_path = Path(work) / "config.json"
        config_path.write_text(json.dumps(config))
        print(f"Sandbox listening on {sandbox.url}; running target-gong-di on demo/sample.singer")
        with (DEMO / "sample.singer").open() as sample:
            run = subprocess.run(
                [sys.executable, "-m", "target_gong_di", "--config", str(config_path)],
                stdin=sample,
                capture_output=True,
                text=True,
                check=False,
            )
        events = list(sandbox.store.events.values())
        print(f"\nThe sandbox accepted {len(events)} digital interactions:")
        for body in events:
            print("  " + _describe(body))
        print("\nRun counts:")
        for line in run.stderr.splitlines():
            if "Run summary" in line or "WARNING" in line or "ERROR" in line:
                print("  " + line.split("| ")[-1])
        print(f"\nSTATE forwarded on stdout: {run.stdout.strip().splitlines()[-1:] or 'none'}")
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
        return run.returncode


if __name__ == "__main__":
    sys.exit(main())

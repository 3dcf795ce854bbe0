"""Singer messages a test sends, and what it reads back from a run's log."""

from __future__ import annotations

SECRET = "s3cr3t-never-printed"
"""The access key secret of every sandbox a test starts; no output may ever show it."""


def schema(stream: str, properties: dict, key_properties: list[str] | None = None) -> dict:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": key_properties if key_properties is not None else [],
    }


def record(stream: str, values: dict) -> dict:
    return {"type": "RECORD", "stream": stream, "record": values}


def state(value: dict) -> dict:
    return {"type": "STATE", "value": value}


def error_lines(stderr: str) -> list[str]:
    """The message of each ERROR line a run logged."""
    return [line.split(" | ", 3)[-1] for line in stderr.splitlines() if "| ERROR" in line]


def refusal(stderr: str) -> str:
    """The message of a run's one ERROR line (there must be exactly one)."""
    [line] = error_lines(stderr)
    return line

"""The Meltano SDK's standard target tests, run against the sandbox.

Their streams have arbitrary names and shapes, so every one gets the same mapping: an
eventId hashed from the whole record, the stream's name as the content title, and a
trackingId. Every record becomes a valid body and really goes through the sandbox.
"""

from __future__ import annotations

import importlib.resources
import json
import tempfile

import pytest
from singer_messages import SECRET
from singer_sdk.testing import get_target_test_class, target_test_streams

from target_gong_di.sandbox import Sandbox, SandboxOptions
from target_gong_di.target import TargetGongDI

ANY_STREAM = {
    "eventId": "md5(__stream_name__ + str(record))",
    "eventType": "'sdk standard test'",
    "timestamp": "'2026-01-01T00:00:00Z'",
    "content": {"contentTitle": "__stream_name__"},
    "trackingId": "'sdk-standard-tests'",
}


def _stream_names() -> set[str]:
    names = set()
    for resource in importlib.resources.files(target_test_streams).iterdir():
        if resource.name.endswith(".singer"):
            for line in resource.read_text(encoding="utf-8").splitlines():
                if line.strip() and '"stream"' in line:
                    names.add(json.loads(line)["stream"])
    return names


SANDBOX = Sandbox(SandboxOptions(access_key="key", access_key_secret=SECRET)).start()
CONFIG = {
    "api_url": SANDBOX.url,
    "access_key": "key",
    "access_key_secret": SECRET,
    "max_requests_per_second": 200,
    "dead_letter_path": "/dev/null",
    "ledger_url": f"sqlite:///{tempfile.mkdtemp(prefix='gong-di-standard-')}/ledger.db",
    "mappings": dict.fromkeys(_stream_names(), ANY_STREAM),
}

StandardTargetTests = get_target_test_class(TargetGongDI, config=CONFIG)


def test_the_standard_streams_really_reach_the_sandbox():
    singer_file = importlib.resources.files(target_test_streams) / "camelcase.singer"
    with singer_file.open(encoding="utf-8") as messages:
        TargetGongDI(config=CONFIG).listen(messages)
    titles = {body["content"]["contentTitle"] for body in SANDBOX.store.events.values()}
    assert "TestCamelcase" in titles


class TestTargetGongDI(StandardTargetTests):
    """The SDK's standard target tests."""

    @pytest.mark.skip(
        reason="target-gong-di dead-letters a record that lacks a key property (it keeps the "
        "record and the run goes on) instead of raising MissingKeyPropertiesError; "
        "tests/process/test_dead_letters_and_dry_run.py covers that behaviour"
    )
    def test_target_record_missing_key_property(self) -> None:
        """Skipped: see the reason."""

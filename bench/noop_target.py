"""The SDK's own floor: a target on the same singer-sdk whose sink does nothing.

It reads, validates against the stream schema and batches exactly as any SDK target does,
so its time per record is what no target built on the SDK can go below.
"""

from __future__ import annotations

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink


class NoopSink(BatchSink):
    """Accepts batches and drops them."""

    def process_batch(self, context: dict) -> None:
        """Do nothing."""


class NoopTarget(Target):
    """A target with no settings whose sink drops everything."""

    name = "target-noop"
    config_jsonschema = th.PropertiesList().to_dict()
    default_sink_class = NoopSink


if __name__ == "__main__":
    NoopTarget.cli()

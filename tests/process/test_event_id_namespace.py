"""A stream renamed by a tap variant keeps its eventIds: ``__event_id_namespace__`` and its hint."""

from __future__ import annotations

from cli_runs import cli, singer_file
from page_views import VIEW_MAPPING, VIEW_PROPERTIES
from singer_messages import SECRET, record, refusal, schema

PREFIXED = "db-usage_events"
"""What pipelinewise-tap-mysql calls the table; singer-io's tap-mysql calls it ``usage_events``."""
BARE = "usage_events"


def usage(stream: str, count: int) -> list[dict]:
    rows = [
        record(
            stream,
            {"id": n, "email": f"u{n}@acme.com", "viewed_at": "2024-05-01T10:00:00Z", "page": "P"},
        )
        for n in range(count)
    ]
    return [schema(stream, VIEW_PROPERTIES, ["id"]), *rows]


def mapped(stream: str, **options: str) -> dict:
    return {"mappings": {stream: {**VIEW_MAPPING, **options}}}


def test_two_stream_names_with_one_namespace_reach_gong_as_one_event_each(run_target, sandbox):
    first = run_target(
        mapped(PREFIXED, __event_id_namespace__=BARE), usage(PREFIXED, 3), sandbox=sandbox
    )
    assert first.returncode == 0, first.stderr
    second = run_target(mapped(BARE, __event_id_namespace__=BARE), usage(BARE, 3), sandbox=sandbox)
    assert second.returncode == 0, second.stderr
    assert len(sandbox.store.events) == 3
    assert sum(sandbox.store.answers.values()) == 3
    assert "0 delivered, 0 duplicates, 3 unchanged" in second.stderr


def test_an_unmapped_stream_names_the_similar_stream_the_ledger_holds(run_target, sandbox):
    run_target(mapped(PREFIXED), usage(PREFIXED, 2), sandbox=sandbox)
    renamed = run_target(mapped(PREFIXED), usage(BARE, 2), sandbox=sandbox)
    assert renamed.returncode == 1
    assert refusal(renamed.stderr).endswith(
        f"; the ledger holds 2 events confirmed under stream '{PREFIXED}'; to keep their "
        f'eventIds map this stream with "__event_id_namespace__": "{PREFIXED}" (or the '
        "namespace that entry used)"
    )


def test_the_namespace_the_hint_names_keeps_the_events_of_the_old_stream(run_target, sandbox):
    run_target(mapped(PREFIXED), usage(PREFIXED, 2), sandbox=sandbox)
    kept = run_target(
        mapped(BARE, __event_id_namespace__=PREFIXED), usage(BARE, 2), sandbox=sandbox
    )
    assert kept.returncode == 0, kept.stderr
    assert len(sandbox.store.events) == 2
    assert "2 unchanged" in kept.stderr


def test_validate_config_names_the_similar_stream_the_ledger_holds(run_target, sandbox, tmp_path):
    run_target(mapped(PREFIXED), usage(PREFIXED, 2), sandbox=sandbox)
    config = {
        **mapped(PREFIXED),
        "api_url": sandbox.url,
        "access_key": "key",
        "access_key_secret": SECRET,
        "ledger_url": f"sqlite:///{tmp_path / 'ledger.db'}",
    }
    path = singer_file(tmp_path, usage(BARE, 1))
    result = cli(tmp_path, config, "--validate-config", "--input", path)
    assert result.returncode == 1
    assert f"2 events confirmed under stream '{PREFIXED}'" in result.stderr

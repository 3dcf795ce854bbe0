"""The target process end to end against the sandbox: config → mapping → validation → delivery."""

from __future__ import annotations

import base64
import json

from page_views import CONFIG, VIEW_MAPPING, VIEW_PROPERTIES, VIEWS, interleaved, view, views
from singer_messages import SECRET, record, schema, state


def test_records_are_delivered_as_mapped_bodies(run_target, sandbox):
    run = run_target(CONFIG, views(3), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    # Sent concurrently, the bodies may arrive in any order: compare them as a collection.
    bodies = {body["content"]["contentTitle"]: body for body in sandbox.store.events.values()}
    assert sorted(bodies) == ["Page 0", "Page 1", "Page 2"]
    assert len(sandbox.store.events) == 3
    assert bodies["Page 0"]["timestamp"] == "2024-05-01T08:00:00Z"
    assert bodies["Page 0"]["person"] == {"email": "user0@acme.com"}


def test_unicode_survives_delivery(run_target, sandbox):
    run = run_target(
        CONFIG, [*views(0), view(1, page="Preise – Übersicht 价格 🚀")], sandbox=sandbox
    )
    assert run.returncode == 0, run.stderr
    assert next(iter(sandbox.store.events.values()))["content"]["contentTitle"] == (
        "Preise – Übersicht 价格 🚀"
    )


def test_rerun_with_another_ledger_is_idempotent_and_counted_as_duplicates(
    run_target, sandbox, tmp_path
):
    first = run_target(CONFIG, views(4), sandbox=sandbox)
    another_ledger = {**CONFIG, "ledger_url": f"sqlite:///{tmp_path / 'another.db'}"}
    second = run_target(another_ledger, views(4), sandbox=sandbox)
    assert first.returncode == second.returncode == 0
    assert len(sandbox.store.events) == 4
    assert sandbox.store.answers["409"] == 4
    assert "0 delivered, 4 duplicates" in second.stderr


def test_activate_version_of_a_full_table_sync_is_ignored_and_records_delivered(
    run_target, sandbox
):
    activate = {"type": "ACTIVATE_VERSION", "stream": VIEWS, "version": 7}
    schema_message, *records = views(2)
    run = run_target(CONFIG, [schema_message, activate, *records, activate], sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert len(sandbox.store.events) == 2
    assert "ACTIVATE_VERSION" not in run.stderr  # ignored by design: nothing to act on


def test_batch_message_records_are_checked_mapped_and_delivered_before_the_next_state(
    run_target, sandbox, tmp_path
):
    batch_file = tmp_path / "batch-1.jsonl"
    rows = [view(n)["record"] for n in (10, 11)] + [view(12, viewed_at="soon")["record"]]
    batch_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    batch = {
        "type": "BATCH",
        "stream": VIEWS,
        "encoding": {"format": "jsonl", "compression": "none"},
        "manifest": [batch_file.as_uri()],
    }
    messages = [*views(1), batch, state({"bookmarks": {VIEWS: {"id": 12}}})]
    run = run_target(CONFIG, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    stored = {body["content"]["contentTitle"] for body in sandbox.store.events.values()}
    assert stored == {"Page 0", "Page 10", "Page 11"}
    assert [letter["record"]["id"] for letter in run.dead_letters] == [12]
    assert run.states == [{"bookmarks": {VIEWS: {"id": 12}}}]


def test_integer_in_a_string_or_integer_date_time_property_is_kept_and_read_as_epoch(
    run_target, sandbox
):
    when = {"type": ["null", "string", "integer"], "format": "date-time"}
    mapping = {**VIEW_MAPPING, "timestamp": "when"}
    messages = [schema(VIEWS, {**VIEW_PROPERTIES, "when": when}, ["id"]), view(1, when=1714550400)]
    run = run_target({"mappings": {VIEWS: mapping}}, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    [body] = sandbox.store.events.values()
    assert body["timestamp"] == "2024-05-01T08:00:00Z"


def test_text_in_the_plain_string_branch_of_a_date_time_any_of_is_kept(run_target, sandbox):
    label = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string"}]}
    mapping = {**VIEW_MAPPING, "content": {"contentTitle": "label"}}
    messages = [schema(VIEWS, {**VIEW_PROPERTIES, "label": label}, ["id"]), view(1, label="soon")]
    run = run_target({"mappings": {VIEWS: mapping}}, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    [body] = sandbox.store.events.values()
    assert body["content"]["contentTitle"] == "soon"


def test_run_summary_counts_each_stream(run_target, sandbox):
    run = run_target(CONFIG, [*views(2), view(9, id="not-an-int")], sandbox=sandbox)
    assert (
        "Run summary for stream 'page_views': 2 delivered, 0 duplicates, 0 unchanged and "
        "0 changed_after_delivery skipped (already in the ledger), 1 dead-lettered" in run.stderr
    )


def test_source_system_name_is_set_on_every_body(run_target, sandbox):
    run_target({**CONFIG, "source_system_name": "Acme Web"}, views(2), sandbox=sandbox)
    assert {body["sourceSystemName"] for body in sandbox.store.events.values()} == {"Acme Web"}


def test_access_token_authenticates_as_bearer(run_target, make_sandbox):
    server = make_sandbox(access_token="tok-123")
    run = run_target({**CONFIG, "api_url": server.url, "access_token": "tok-123"}, views(1))
    assert run.returncode == 0, run.stderr
    assert len(server.store.events) == 1


def test_passthrough_stream_sends_records_as_they_are(run_target, sandbox):
    body = {
        "eventId": "e-1",
        "timestamp": "2024-05-01T08:00:00Z",
        "eventType": "link clicked",
        "content": {"contentTitle": "Launch email", "contentUrl": None},
        "trackingId": "trk-9",
    }
    messages = [schema("raw", {"eventId": {"type": "string"}}, []), record("raw", body)]
    run = run_target({"mappings": {"raw": "passthrough"}}, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert sandbox.store.events["e-1"] == {
        "eventId": "e-1",
        "timestamp": "2024-05-01T08:00:00Z",
        "eventType": "link clicked",
        "content": {"contentTitle": "Launch email"},
        "trackingId": "trk-9",
    }


def test_stream_without_a_mapping_stops_the_run_at_its_schema(run_target, sandbox):
    orders = [schema("orders", {"id": {"type": "integer"}}, ["id"]), record("orders", {"id": 1})]
    run = run_target(CONFIG, [*views(2), *orders], sandbox=sandbox)
    assert run.returncode != 0
    assert "stream 'orders' has no entry in mappings (mapped streams: page_views)" in run.stderr
    assert sum(sandbox.store.answers.values()) <= 2  # only the page views read before it


def test_records_read_before_an_unmapped_stream_are_checkpointed(run_target, sandbox):
    orders = schema("orders", {"id": {"type": "integer"}}, ["id"])
    run = run_target(CONFIG, [*interleaved(3), orders], sandbox=sandbox)
    assert run.returncode != 0
    assert run.states[-1] == {"bookmarks": {VIEWS: {"id": 2}}}


def test_expression_naming_a_missing_property_is_refused_at_schema(run_target, sandbox):
    mapping = {**VIEW_MAPPING, "sessionId": "session"}
    run = run_target({"mappings": {VIEWS: mapping}}, views(1), sandbox=sandbox)
    assert run.returncode != 0
    assert (
        "stream 'page_views', field 'sessionId': expression 'session' names 'session'" in run.stderr
    )
    assert sum(sandbox.store.answers.values()) == 0


def test_unknown_mapping_key_is_refused_before_reading_input(run_target, sandbox):
    mapping = {**VIEW_MAPPING, "contnt": {"contentTitle": "page"}}
    run = run_target({"mappings": {VIEWS: mapping}}, views(1), sandbox=sandbox)
    assert run.returncode != 0
    assert "stream 'page_views', field 'contnt'" in run.stderr
    assert sum(sandbox.store.answers.values()) == 0


def test_config_errors_are_reported_in_one_line_each(run_target):
    run = run_target({"api_url": "http://gong.example", **CONFIG}, views(1))
    assert run.returncode != 0
    assert "api_url: 'http://gong.example' uses plain http://" in run.stderr
    assert "auth: no credentials" in run.stderr


def test_wrong_secret_stops_at_once_naming_auth_and_url(run_target, sandbox):
    run = run_target({**CONFIG, "access_key_secret": "wrong-" + SECRET}, views(50), sandbox=sandbox)
    assert run.returncode != 0
    assert "HTTP 401" in run.stderr
    assert "HTTP Basic with access_key 'key'" in run.stderr
    assert sandbox.url in run.stderr
    assert "wrong base URL" in run.stderr
    assert sandbox.store.answers["401"] == 1  # the first request goes alone
    assert run.states == []


def test_secrets_never_reach_any_output(run_target, sandbox, tmp_path):
    wrong = "wrong-" + SECRET
    run = run_target(
        {**CONFIG, "access_key_secret": wrong},
        views(3),
        sandbox=sandbox,
        env={"LOGLEVEL": "DEBUG", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode != 0
    assert "| DEBUG" in run.stderr
    for text in (run.stdout, run.stderr, *(p.read_text() for p in tmp_path.glob("*.jsonl"))):
        assert wrong not in text
        assert base64.b64encode(f"key:{wrong}".encode()).decode() not in text


def test_refused_stream_is_one_line_not_a_traceback(run_target, sandbox):
    run = run_target(
        CONFIG, [*views(1), schema("orders", {"id": {"type": "integer"}}, ["id"])], sandbox=sandbox
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr


def test_config_in_expressions_is_stream_map_config_as_in_sdk_stream_maps(run_target, sandbox):
    mapping = {**VIEW_MAPPING, "sessionId": "config['env']", "sourceSystemName": "config['app']"}
    config = {"mappings": {VIEWS: mapping}, "stream_map_config": {"env": "prod", "app": "Web"}}
    run = run_target(config, views(1), sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    [body] = sandbox.store.events.values()
    assert (body["sessionId"], body["sourceSystemName"]) == ("prod", "Web")


def test_stream_removed_by_stream_maps_needs_no_mapping(run_target, sandbox):
    orders = [schema("orders", {"id": {"type": "integer"}}, ["id"]), record("orders", {"id": 1})]
    config = {**CONFIG, "stream_maps": {"orders": None}}
    run = run_target(config, [*views(2), *orders, state({"done": True})], sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert len(sandbox.store.events) == 2
    assert run.states == [{"done": True}]


def test_schema_no_validator_can_read_stops_with_one_line_naming_the_stream(run_target, sandbox):
    unreadable = {**VIEW_PROPERTIES, "page": {"type": "string", "pattern": "^\\p{L}+$"}}
    run = run_target(CONFIG, [schema(VIEWS, unreadable, ["id"]), view(1)], sandbox=sandbox)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "stream 'page_views': its SCHEMA is not valid JSON Schema" in run.stderr
    assert sandbox.store.events == {}


def test_wrong_secret_is_one_line_not_a_traceback(run_target, sandbox):
    run = run_target({**CONFIG, "access_key_secret": "nope"}, views(2), sandbox=sandbox)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert sum("HTTP 401" in line for line in run.stderr.splitlines()) == 1


def test_secret_of_the_wrong_type_is_not_echoed_in_the_config_error(run_target):
    run = run_target({**CONFIG, "access_key": "key", "access_key_secret": 987654321}, views(1))
    assert run.returncode != 0
    assert "987654321" not in run.stderr
    assert "access_key_secret: must be a string" in run.stderr


def test_a_daily_request_budget_below_one_is_refused(run_target):
    run = run_target({**CONFIG, "access_token": "t", "daily_request_budget": 0}, views(1))
    assert run.returncode != 0
    assert "daily_request_budget" in run.stderr


def test_a_wrong_ledger_url_is_refused_without_echoing_it(run_target):
    run = run_target({**CONFIG, "access_token": "t", "ledger_url": 12345}, views(1))
    assert run.returncode != 0
    assert "ledger_url: must be a string (its value is not shown: it is a secret)" in run.stderr
    assert "12345" not in run.stderr

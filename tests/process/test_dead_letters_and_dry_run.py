"""Records that cannot be delivered are kept, never lost; a dry run sends nothing."""

from __future__ import annotations

import json

from page_views import CONFIG, VIEW_PROPERTIES, VIEWS, view, views
from singer_messages import error_lines, schema, state


def test_schema_invalid_record_is_dead_lettered_not_fatal(run_target, sandbox):
    run = run_target(CONFIG, [*views(1), view(5, viewed_at="not a date"), view(6)], sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert len(sandbox.store.events) == 2
    [letter] = run.dead_letters
    assert letter["stage"] == "schema"
    assert letter["record"]["viewed_at"] == "not a date"
    assert letter["errors"] == ["viewed_at: 'not a date' is not a 'date-time'"]


def test_decimal_columns_are_checked_exactly_against_multiple_of(run_target, sandbox):
    properties = {**VIEW_PROPERTIES, "amount": {"type": "number", "multipleOf": 0.01}}
    mapping = {**CONFIG["mappings"][VIEWS], "customFields": {"amount": "amount"}}
    messages = [
        schema(VIEWS, properties, ["id"]),
        view(1, amount=12.3),
        view(2, amount=0.07),
        view(3, amount=12.345),
    ]
    run = run_target({"mappings": {VIEWS: mapping}}, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert len(sandbox.store.events) == 2
    [letter] = run.dead_letters
    assert letter["stage"] == "schema"
    assert letter["errors"] == ["amount: 12.345 is not a multiple of 0.01"]


SCORED = {**VIEW_PROPERTIES, "score": {"type": ["null", "number"]}}


def lines(*messages: dict) -> str:
    """Messages as Python's json.dumps writes them: NaN bare, lone surrogates escaped."""
    return "".join(json.dumps(message) + "\n" for message in messages)


def test_nan_from_a_python_tap_is_read_and_the_record_dead_lettered(run_target, sandbox):
    mapping = {**CONFIG["mappings"][VIEWS], "customFields": {"score": "score"}}
    messages = lines(schema(VIEWS, SCORED, ["id"]), view(1, score=float("nan")), view(2, score=4))
    run = run_target({"mappings": {VIEWS: mapping}}, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert len(sandbox.store.events) == 1
    [letter] = run.dead_letters
    assert (letter["stage"], letter["record"]["score"]) == ("validation", None)


def test_lone_surrogate_is_sent_escaped_and_its_refusal_dead_letters_the_record_intact(
    run_target, sandbox
):
    messages = lines(
        schema(VIEWS, SCORED, ["id"]),
        view(1, page="cut \ud83d", score=12.5),
        state({"done": True}),
    ).replace('"score": 12.5', '"score": 12.50')  # a tap's exact decimal
    run = run_target(CONFIG, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    [letter] = run.dead_letters
    assert letter["stage"] == "api"
    assert letter["record"] == {**view(1, page="cut \ud83d")["record"], "score": 12.5}
    assert '"score":12.50' in run.dead_letter_path.read_text()
    assert run.states == [{"done": True}]


def test_mapping_that_raises_dead_letters_the_record(run_target, sandbox):
    mapping = {**CONFIG["mappings"][VIEWS], "sessionId": "email.split('@')[1]"}
    run = run_target(
        {"mappings": {VIEWS: mapping}}, [*views(1), view(2, email="nobody")], sandbox=sandbox
    )
    assert run.returncode == 0, run.stderr
    [letter] = run.dead_letters
    assert letter["stage"] == "mapping"
    assert "sessionId" in letter["errors"][0]
    assert "body" not in letter


def test_body_failing_validation_is_dead_lettered_with_the_body(run_target, sandbox):
    run = run_target(CONFIG, [*views(1), view(2, email=None)], sandbox=sandbox)
    [letter] = run.dead_letters
    assert letter["stage"] == "validation"
    assert letter["errors"] == ["person, trackingId: one of them is required"]
    assert letter["body"]["content"] == {"contentTitle": "Page 2"}


def test_dead_letter_entry_has_every_documented_field(run_target, sandbox):
    run = run_target(CONFIG, [*views(0), view(2, email=None)], sandbox=sandbox)
    assert set(run.dead_letters[0]) == {
        *(
            "stream",
            "stage",
            "errors",
            "runId",
            "key",
            "line",
            "record",
            "schema",
            "keyProperties",
            "body",
            "time",
        )
    }
    assert run.dead_letters[0]["stream"] == VIEWS


def test_dead_letter_names_the_records_key_values_and_input_line(run_target, sandbox):
    run = run_target(CONFIG, [*views(2), view(7, email=None)], sandbox=sandbox)
    [letter] = run.dead_letters
    assert letter["key"] == {"id": 7}
    assert letter["line"] == 4  # SCHEMA, two records, then this one


def test_dead_letter_of_an_api_rejection_names_the_input_line_of_its_record(
    run_target, make_sandbox
):
    run = run_target(CONFIG, views(3), sandbox=make_sandbox(reject_rate=1.0))
    # Answers arrive in any order (requests run side by side): each letter names its own line.
    lines = {letter["key"]["id"]: letter["line"] for letter in run.dead_letters}
    assert lines == {0: 2, 1: 3, 2: 4}  # the SCHEMA is line 1


def test_same_record_rejected_in_two_runs_has_the_same_key_and_another_run_id(run_target, sandbox):
    run_target(CONFIG, [*views(0), view(2, email=None)], sandbox=sandbox)
    run = run_target(CONFIG, [*views(0), view(2, email=None, page="Other")], sandbox=sandbox)
    first, second = run.dead_letters
    assert first["key"] == second["key"] == {"id": 2}
    assert first["runId"] != second["runId"]


def test_a_record_rejected_again_for_the_same_reason_adds_no_line(run_target, sandbox):
    for _ in range(3):  # a FULL_TABLE tap reading the same bad row on every run
        run = run_target(CONFIG, [*views(0), view(2, email=None)], sandbox=sandbox)
    assert len(run.dead_letters) == 1


def test_rejections_are_summarised_once_per_stage_field_and_reason_with_an_example(
    run_target, sandbox
):
    messages = [*views(1), *(view(n, email=None) for n in (5, 6, 7)), view(8, viewed_at="x")]
    run = run_target(CONFIG, messages, sandbox=sandbox)
    warnings = [line for line in run.stderr.splitlines() if "Rejected" in line]
    assert len(warnings) == 2
    assert (
        f"Rejected 3 records of stream '{VIEWS}' at stage validation, field person, "
        "trackingId: one of them is required (e.g. key {'id': 5}, input line 3: "
    ) in warnings[0]
    assert "input lines 3, 4, 5" in warnings[0]
    assert f"Rejected 1 record of stream '{VIEWS}' at stage schema, field viewed_at" in warnings[1]


def test_unmapped_sql_stream_error_names_the_table_mapping_it_meant(run_target):
    run = run_target(
        {**CONFIG, "dry_run": True}, [schema(f"public-{VIEWS}", VIEW_PROPERTIES, ["id"])]
    )
    assert run.returncode == 1
    assert f"did you mean '{VIEWS}'?" in run.stderr
    assert f"table '{VIEWS}' is stream 'public-{VIEWS}'" in run.stderr


def test_dead_letter_file_is_appended_across_runs(run_target, sandbox):
    run_target(CONFIG, [*views(0), view(2, email=None)], sandbox=sandbox)
    run = run_target(CONFIG, [*views(0), view(3, email=None)], sandbox=sandbox)
    assert [letter["record"]["id"] for letter in run.dead_letters] == [2, 3]


def test_dead_letter_warning_names_the_file(run_target, sandbox):
    run = run_target(CONFIG, [*views(0), view(2, email=None)], sandbox=sandbox)
    assert f"1 record could not be delivered; see {run.dead_letter_path}" in run.stderr


def test_dry_run_writes_bodies_and_sends_nothing(run_target, sandbox):
    run = run_target({**CONFIG, "dry_run": True, "api_url": sandbox.url}, views(3))
    assert run.returncode == 0, run.stderr
    assert [body["content"]["contentTitle"] for body in run.dry_run_bodies] == [
        "Page 0",
        "Page 1",
        "Page 2",
    ]
    assert sum(sandbox.store.answers.values()) == 0


def test_dry_run_needs_no_credentials_and_still_dead_letters(run_target):
    run = run_target({**CONFIG, "dry_run": True}, [*views(1), view(7, email=None)])
    assert run.returncode == 0, run.stderr
    assert len(run.dry_run_bodies) == 1
    assert [letter["stage"] for letter in run.dead_letters] == ["validation"]


def test_dry_run_bodies_are_json_lines(run_target):
    run = run_target({**CONFIG, "dry_run": True}, views(2))
    lines = run.dry_run_path.read_text().splitlines()
    assert all(json.loads(line)["eventType"] == "page viewed" for line in lines)


def test_record_missing_its_key_property_is_dead_lettered_not_fatal(run_target, sandbox):
    missing_id = {
        "type": "RECORD",
        "stream": VIEWS,
        "record": {"email": "x@acme.com", "viewed_at": "2024-05-01T10:00:00Z", "page": "P"},
    }
    run = run_target(CONFIG, [*views(1), missing_id, view(4)], sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert len(sandbox.store.events) == 2
    [letter] = run.dead_letters
    assert letter["errors"] == ["id: key property is missing from the record"]
    assert "id" not in letter["record"]


def test_dry_run_forwards_no_state_so_the_real_run_sends_everything(run_target):
    messages = [*views(2), {"type": "STATE", "value": {"bookmarks": {VIEWS: {"id": 1}}}}]
    run = run_target({**CONFIG, "dry_run": True}, messages)
    assert run.returncode == 0, run.stderr
    assert run.states == []
    assert len(run.dry_run_bodies) == 2


def test_a_dry_run_whose_output_cannot_be_written_fails_naming_the_file_and_the_cause(run_target):
    run = run_target({**CONFIG, "dry_run": True, "dry_run_path": "/dev/full"}, views(2))
    assert run.returncode == 1
    assert error_lines(run.stderr) == [
        "cannot write the dry-run output /dev/full: No space left on device"
    ]

"""A SCHEMA's ``$ref`` is resolved inside the SCHEMA only: a tap's output never makes the
target reach the network or the disk, and a ``$ref`` loop is refused, not recursed into."""

from __future__ import annotations

import json
import os
import socket
import typing as t

import pytest
from page_views import CONFIG, VIEW_PROPERTIES, VIEWS, view, views
from singer_messages import SECRET, record, refusal, schema, state

if t.TYPE_CHECKING:
    from pathlib import Path


def with_schema_at_line_4(properties: dict, **schema_keywords: t.Any) -> list[dict]:
    """SCHEMA, a record, its STATE, then a new SCHEMA of the stream (line 4), then a record."""
    changed = schema(VIEWS, properties, ["id"])
    changed["schema"].update(schema_keywords)
    return [*views(1), state({"at": 0}), changed, view(1)]


@pytest.fixture
def unanswering_port() -> t.Iterator[socket.socket]:
    """A socket listening on loopback that never answers: a fetch from it would hang the run.

    The kernel queues any connection to it, so a test can tell afterwards whether one came.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    yield listener
    listener.close()


def connections_to(listener: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


@pytest.fixture
def unreadable_file(tmp_path: Path) -> Path:
    """A file that exists but whose opening blocks until someone writes: a FIFO nobody writes.

    Reading it would hang the run, so a run that ends never opened it.
    """
    path = tmp_path / "schema.fifo"
    os.mkfifo(path)
    return path


def refused_id_ref(run_target, sandbox, ref: str) -> str:
    """The one error line of a run whose SCHEMA at line 4 has ``"id": {"$ref": ref}``."""
    properties = {**VIEW_PROPERTIES, "id": {"$ref": ref}}
    run = run_target(CONFIG, with_schema_at_line_4(properties), sandbox=sandbox)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    return refusal(run.stderr)


def test_a_ref_to_a_url_is_refused_without_connecting(run_target, sandbox, unanswering_port):
    ref = f"http://127.0.0.1:{unanswering_port.getsockname()[1]}/schema.json"
    assert refused_id_ref(run_target, sandbox, ref).startswith(
        f"input line 4: stream 'page_views': its SCHEMA has $ref '{ref}' at properties/id, "
        "which is not inside the SCHEMA"
    )
    assert connections_to(unanswering_port) == 0


def test_a_ref_to_a_file_is_refused_without_opening_it(run_target, sandbox, unreadable_file):
    ref = f"file://{unreadable_file}"
    assert f"$ref '{ref}' at properties/id, which is not inside" in refused_id_ref(
        run_target, sandbox, ref
    )


def test_a_ref_to_a_readable_file_is_refused_all_the_same(run_target, sandbox, tmp_path):
    path = tmp_path / "id.json"
    path.write_text(json.dumps({"type": "integer"}))
    assert f"$ref '{path.as_uri()}' at properties/id, which is not inside" in refused_id_ref(
        run_target, sandbox, path.as_uri()
    )


def test_a_refused_schema_forwards_the_state_of_what_came_before(run_target, sandbox):
    properties = {**VIEW_PROPERTIES, "id": {"$ref": "https://schemas.example.com/id.json"}}
    run = run_target(CONFIG, with_schema_at_line_4(properties), sandbox=sandbox)
    assert run.states == [{"at": 0}]
    assert [body["content"]["contentTitle"] for body in sandbox.store.events.values()] == ["Page 0"]


LOOPS = {
    "a definition that is its own $ref": (
        {"definitions": {"a": {"$ref": "#/definitions/a"}}},
        "#/definitions/a",
    ),
    "two $defs that refer to each other through allOf": (
        {"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"$ref": "#/$defs/a"}}},
        "#/$defs/b",
    ),
}


@pytest.mark.parametrize(("definitions", "ref"), LOOPS.values(), ids=LOOPS.keys())
def test_a_ref_loop_is_refused_in_one_line(run_target, sandbox, definitions, ref):
    properties = {**VIEW_PROPERTIES, "id": {"$ref": ref}}
    run = run_target(CONFIG, with_schema_at_line_4(properties, **definitions), sandbox=sandbox)
    assert run.returncode == 1
    message = refusal(run.stderr)
    assert message.startswith("input line 4: stream 'page_views': its SCHEMA's $ref "), message
    assert "leads back to itself" in message
    assert "Traceback" not in run.stderr
    assert "RecursionError" not in run.stderr
    assert run.states == [{"at": 0}]


def test_refs_inside_the_schema_are_resolved(run_target, sandbox):
    properties = {
        **VIEW_PROPERTIES,
        "id": {"$ref": "#/definitions/id"},
        "page": {"$ref": "#/$defs/page"},
    }
    messages = [
        {**schema(VIEWS, properties, ["id"])},
        view(1),
        record(VIEWS, {**view(2)["record"], "page": 7}),
    ]
    messages[0]["schema"].update(
        definitions={"id": {"type": "integer"}}, **{"$defs": {"page": {"type": "string"}}}
    )
    run = run_target(CONFIG, messages, sandbox=sandbox)
    assert run.returncode == 0, run.stderr
    assert [body["content"]["contentTitle"] for body in sandbox.store.events.values()] == ["Page 1"]
    assert [letter["errors"] for letter in run.dead_letters] == [
        ["page: 7 is not of type 'string'"]
    ]
    assert SECRET not in run.stderr

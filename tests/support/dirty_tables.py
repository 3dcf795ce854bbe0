"""Five SQL tables as a MySQL tap sends them, with the dirt real tables hold.

Shaped like pipelinewise-tap-mysql's output: streams named ``<database>-<table>``, every
column nullable, DATETIME(3) with milliseconds, DATE columns as midnight date-times under
``format: date-time``, and a zero date ``0000-00-00`` as a string. Each table has a few bad
values among many good ones: an email with no ``@``, a URL that is not one, nulls, a zero
date. ``--suggest-mappings`` must survive all of it.
"""

from __future__ import annotations

import typing as t

from singer_messages import record, schema

DATABASE = "shop"
ROWS = 60

TEXT = {"type": ["null", "string"]}
INTEGER = {"type": ["null", "integer"]}
NUMBER = {"type": ["null", "number"]}
DATETIME = {"type": ["null", "string"], "format": "date-time"}


def at(row: int, *, millis: bool = True) -> str:
    """A DATETIME(3) value as the tap sends it: UTC, with milliseconds."""
    day, minute = divmod(row * 37, 1440)
    text = f"2026-11-{1 + day % 28:02d}T{minute // 60:02d}:{minute % 60:02d}:{row % 60:02d}"
    return text + (f".{row * 7 % 1000:03d}000+00:00" if millis else "+00:00")


def day(row: int) -> str:
    """A DATE value as pipelinewise-tap-mysql sends it: midnight under format date-time."""
    return f"2026-10-{1 + row % 28:02d}T00:00:00+00:00"


def email(row: int) -> str:
    return f"person{row}@customer{row % 7}.example"


def usage_events() -> tuple[dict[str, t.Any], list[str], list[dict[str, t.Any]]]:
    properties = {
        "id": {"type": ["integer"]}, "user_email": TEXT, "feature_name": TEXT,
        "feature_url": TEXT, "duration_ms": INTEGER, "used_at": DATETIME,
        "updated_at": DATETIME,
    }  # fmt: skip
    rows = [
        {"id": row, "user_email": email(row), "feature_name": f"Feature {row % 9}",
         "feature_url": f"https://app.example/features/{row % 9}", "duration_ms": row * 113,
         "used_at": at(row), "updated_at": at(row + 1)}
        for row in range(ROWS)
    ]  # fmt: skip
    rows[3]["user_email"] = "not-an-email"
    rows[8]["feature_url"] = "not a url"
    rows[11]["user_email"] = rows[12]["user_email"] = None
    rows[20]["feature_name"] = None
    return properties, ["id"], rows


def webinar_attendance() -> tuple[dict[str, t.Any], list[str], list[dict[str, t.Any]]]:
    properties = {
        "webinar_id": {"type": ["integer"]}, "attendee_email": {"type": ["string"]},
        "webinar_title": TEXT, "join_url": TEXT, "registered_on": DATETIME,
        "minutes_attended": INTEGER, "updated_at": DATETIME,
    }  # fmt: skip
    rows = [
        {"webinar_id": row % 4, "attendee_email": email(row),
         "webinar_title": f"Webinar {row % 4}: what's new",
         "join_url": f"https://meet.example/w/{row % 4}", "registered_on": day(row),
         "minutes_attended": row % 50, "updated_at": at(row, millis=False)}
        for row in range(ROWS)
    ]  # fmt: skip
    rows[5]["attendee_email"] = "not-an-email"
    for row in (7, 19, 33):
        rows[row]["registered_on"] = None
    rows[40]["registered_on"] = "0000-00-00"
    return properties, ["webinar_id", "attendee_email"], rows


def nps_answers() -> tuple[dict[str, t.Any], list[str], list[dict[str, t.Any]]]:
    properties = {
        "id": {"type": ["integer"]}, "respondent_email": TEXT, "score": INTEGER,
        "comment": TEXT, "answered_at": DATETIME,
    }  # fmt: skip
    rows = [
        {"id": row, "respondent_email": email(row), "score": row % 11,
         "comment": None if row % 3 else f"Comment {row}", "answered_at": at(row)}
        for row in range(ROWS)
    ]  # fmt: skip
    rows[9]["respondent_email"] = "n/a"
    rows[14]["respondent_email"] = None
    rows[30]["score"] = None
    return properties, ["id"], rows


def page_views() -> tuple[dict[str, t.Any], list[str], list[dict[str, t.Any]]]:
    properties = {
        "view_id": {"type": ["integer"]}, "visitor_email": TEXT, "page_url": TEXT,
        "page_title": TEXT, "referrer": TEXT, "viewed_at": DATETIME,
    }  # fmt: skip
    rows = [
        {"view_id": row, "visitor_email": email(row),
         "page_url": f"https://www.example/pricing?ref={row}", "page_title": f"Pricing {row % 3}",
         "referrer": "https://search.example/" if row % 2 else None, "viewed_at": at(row)}
        for row in range(ROWS)
    ]  # fmt: skip
    rows[2]["page_url"] = "/pricing"
    rows[4]["visitor_email"] = "VISITOR"
    rows[6]["page_title"] = ""
    rows[17]["visitor_email"] = None
    return properties, ["view_id"], rows


def course_progress() -> tuple[dict[str, t.Any], list[str], list[dict[str, t.Any]]]:
    properties = {
        "id": {"type": ["integer"]}, "learner_email": TEXT, "course_name": TEXT,
        "course_url": TEXT, "progress_pct": NUMBER, "started_on": DATETIME,
        "completed_at": DATETIME, "updated_at": DATETIME,
    }  # fmt: skip
    rows = [
        {"id": row, "learner_email": email(row), "course_name": f"Course {row % 5}",
         "course_url": f"https://learn.example/c/{row % 5}", "progress_pct": row % 101,
         "started_on": day(row), "completed_at": at(row) if row % 4 == 0 else None,
         "updated_at": at(row)}
        for row in range(ROWS)
    ]  # fmt: skip
    rows[10]["learner_email"] = "learner at example"
    rows[12]["course_url"] = "not a url"
    rows[25]["started_on"] = "0000-00-00"
    return properties, ["id"], rows


TABLES = {
    "usage_events": usage_events,
    "webinar_attendance": webinar_attendance,
    "nps_answers": nps_answers,
    "page_views": page_views,
    "course_progress": course_progress,
}
EMAILS = {
    "usage_events": "user_email",
    "webinar_attendance": "attendee_email",
    "nps_answers": "respondent_email",
    "page_views": "visitor_email",
    "course_progress": "learner_email",
}
"""The column of each table that holds the person's email."""


DATE_COLUMNS = {"registered_on", "started_on"}
"""Columns that are DATE in the table (the others of ``format: date-time`` are DATETIME(3))."""


def stream_name(table: str, *, prefixed: bool = True) -> str:
    """pipelinewise-tap-mysql writes ``<database>-<table>``, singer-io's tap-mysql ``<table>``."""
    return f"{DATABASE}-{table}" if prefixed else table


def messages(*, prefixed: bool = True) -> list[dict[str, t.Any]]:
    """Each table's SCHEMA and then its records, as the tap writes them."""
    out = []
    for table, build in TABLES.items():
        properties, keys, rows = build()
        out.append(schema(stream_name(table, prefixed=prefixed), properties, keys))
        out += [record(stream_name(table, prefixed=prefixed), row) for row in rows]
    return out


def _sql_type(column: str, prop: dict[str, t.Any]) -> str:
    if prop.get("format") == "date-time":
        return "date" if column in DATE_COLUMNS else "datetime(3)"
    kinds = set(prop["type"]) - {"null"}
    return {"integer": "int(11)", "number": "decimal(5,2)"}.get(kinds.pop(), "varchar(255)")


def catalog() -> dict[str, t.Any]:
    """The tables as either MySQL tap discovers them: ``stream`` is the bare table name,
    ``tap_stream_id`` is ``<database>-<table>``, ``sql-datatype`` per column."""
    streams = []
    for table, build in TABLES.items():
        properties, keys, _ = build()
        metadata = [
            {"breadcrumb": [], "metadata": {"database-name": DATABASE,
                                            "table-key-properties": keys}},
            *({"breadcrumb": ["properties", column],
               "metadata": {"sql-datatype": _sql_type(column, prop)}}
              for column, prop in properties.items()),
        ]  # fmt: skip
        streams.append({
            "tap_stream_id": stream_name(table), "stream": table, "table_name": table,
            "schema": {"type": "object", "properties": properties}, "metadata": metadata,
        })  # fmt: skip
    return {"streams": streams}

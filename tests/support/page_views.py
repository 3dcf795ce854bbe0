"""The one stream most tests deliver: page views, mapped to Gong's 'page viewed' events."""

from __future__ import annotations

from singer_messages import record, schema, state

VIEWS = "page_views"
VIEW_PROPERTIES = {
    "id": {"type": "integer"},
    "email": {"type": ["string", "null"]},
    "viewed_at": {"type": "string", "format": "date-time"},
    "page": {"type": "string"},
}
VIEW_MAPPING = {
    "eventType": "'page viewed'",
    "timestamp": "viewed_at",
    "content": {"contentTitle": "page"},
    "person": {"email": "email"},
}
CONFIG = {"mappings": {VIEWS: VIEW_MAPPING}}
BROKEN = {"mappings": {VIEWS: {**VIEW_MAPPING, "content": {"contentTitle": "int(page)"}}}}
"""A mapping whose expression raises for every record: each is rejected at 'mapping'."""


def view(number: int, **changes) -> dict:
    values = {
        "id": number,
        "email": f"user{number}@acme.com",
        "viewed_at": "2024-05-01T10:00:00+02:00",
        "page": f"Page {number}",
    }
    return record(VIEWS, {**values, **changes})


def views(count: int) -> list[dict]:
    return [schema(VIEWS, VIEW_PROPERTIES, ["id"]), *(view(n) for n in range(count))]


def interleaved(count: int) -> list[dict]:
    """Each record followed by a STATE naming it, as an incremental tap writes them."""
    return tap_output(range(count))


def tap_output(ids: range) -> list[dict]:
    """What an incremental tap sends: the SCHEMA, then each record and its bookmark."""
    messages = views(0)
    for number in ids:
        messages += [view(number), state({"bookmarks": {VIEWS: {"id": number}}})]
    return messages

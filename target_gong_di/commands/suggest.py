"""Starter mappings (``--suggest-mappings FILE``): a first ``mappings`` from what a tap says.

A new user's first hour goes into writing one mapping per stream. The tap already tells
most of it: its catalog (``meltano invoke tap-x --discover``) names the streams, their key
properties and typed properties, and a sample of its output (``meltano invoke tap-x | head``)
adds values, which tell an email from a name and epoch milliseconds from a count
(``sampled_values``: by a large majority, so one dirty value does not change the answer).
Each stream gets the fields this module can decide from names, types and values; what it
cannot decide is left out or given a stand-in, and returned as a note saying what a person
should fill in, so a suggestion used unedited passes ``--validate-config`` and builds valid
bodies for most records.
"""

from __future__ import annotations

import collections
import json
import sys
import typing as t
from pathlib import Path

from target_gong_di.commands.sampled_values import (
    DOMAIN,
    EMAIL,
    TIME_KIND_SCORES,
    URL,
    StreamSample,
    looks_like,
    nullable,
    time_coverage,
    time_kind,
    types,
)
from target_gong_di.mapping import EVENT_ID_NAMESPACE, PASSTHROUGH
from target_gong_di.run import read_message

__all__ = ["StreamSample", "catalog_of", "print_suggestion", "read_streams", "suggest"]

SAMPLE_SIZE = 200
"""Records looked at per stream: enough to see what the values look like."""

TIME_HINTS = ("occurred", "event", "visited", "viewed", "answered", "clicked", "created", "used")
ROW_TIME_HINTS = ("created", "updated", "modified", "inserted")
"""Names of the times a row always has, unlike ``completed_at`` or ``cancelled_on``."""
TITLE_HINTS = ("title", "subject", "page", "feature", "survey", "course", "topic", "campaign")
TITLE_ENDINGS = ("title", "name", "subject")
PERSON_ID_HINTS = ("anonymous", "visitor", "user", "person", "contact", "lead", "customer")
NOT_TITLES = (*PERSON_ID_HINTS, "company", "attendee", "respondent", "email", "url")
CRM_HINTS = ("salesforce", "sfdc", "crm", "hubspot")

Notes = list[str]
ReadLines = collections.deque[tuple[str, dict[str, t.Any] | None]]
"""Lines of a sample, each with its message as ``read_message`` read it (None: blank)."""


def read_streams(text: str, lines: ReadLines | None = None) -> list[StreamSample]:
    """The streams in a Singer catalog or in a sample of a tap's SCHEMA and RECORD lines.

    ``lines`` gets each line of a sample with its message (None for a blank line), so that
    what reads the sample next need not parse it again.
    """
    catalog = catalog_of(text)
    if catalog is not None:
        return [_catalog_stream(entry) for entry in catalog["streams"]]
    return _sampled_streams(text, lines)


def _catalog_stream(entry: dict[str, t.Any]) -> StreamSample:
    """A catalog entry under its ``stream``: the name taps write in their messages.

    ``tap_stream_id`` is the catalog's own key; singer-io's tap-mysql, for one, makes it
    ``<database>-<table>`` while its SCHEMA and RECORD messages use ``stream``.
    """
    metadata: dict[str, t.Any] = next(
        (item["metadata"] for item in entry.get("metadata", []) if not item.get("breadcrumb")),
        {},
    )
    keys = entry.get("key_properties") or metadata.get("table-key-properties")
    name = entry.get("stream") or entry["tap_stream_id"]
    sql_types = {
        item["breadcrumb"][-1]: item["metadata"]["sql-datatype"]
        for item in entry.get("metadata", [])
        if len(item.get("breadcrumb", ())) == 2 and "sql-datatype" in item.get("metadata", {})
    }
    return StreamSample(
        name,
        entry["schema"].get("properties", {}),
        tuple(keys or ()),
        table=entry.get("table_name") or "",
        tap_stream_id=entry.get("tap_stream_id") or "",
        sql_types=sql_types,
    )


def catalog_of(text: str) -> dict[str, t.Any] | None:
    """The Singer catalog the text holds, or None for a tap's messages."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # not JSON: then each line must be a message
        return None
    return document if isinstance(document, dict) and "streams" in document else None


def _sampled_streams(text: str, lines: ReadLines | None) -> list[StreamSample]:
    streams: dict[str, StreamSample] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if lines is not None:
                lines.append((line, None))
            continue
        message = read_message(number, line)
        if lines is not None:
            lines.append((line, message))
        if message.get("type") == "SCHEMA":
            streams[message["stream"]] = StreamSample(
                message["stream"],
                message["schema"].get("properties", {}),
                tuple(message.get("key_properties") or ()),
            )
        elif message.get("type") == "RECORD" and message["stream"] in streams:
            sample = streams[message["stream"]]
            if len(sample.records) < SAMPLE_SIZE:
                sample.records.append(message["record"])
    return list(streams.values())


def _scalar(prop: dict[str, t.Any]) -> bool:
    return bool(types(prop)) and not types(prop) & {"object", "array"}


def _domain_of(email: str) -> str:
    """The company domain of an email expression; no domain for a value with no ``@``."""
    return f"{email}.split('@')[-1] if {email} and '@' in {email} else None"


class _Suggestion:
    """Builds one stream's mapping, remembering which properties it used."""

    def __init__(self, sample: StreamSample) -> None:
        self.sample = sample
        self.names = [name for name in sample.properties if not name.startswith("_sdc_")]
        self.used: set[str] = set(sample.key_properties)
        self.notes: Notes = []
        self.event_type = repr(sample.table.replace("_", " "))

    def first(self, test: t.Callable[[str], bool], *, keys: bool = False) -> str | None:
        """The first property passing ``test`` not used yet (key properties too, if ``keys``)."""
        found = next(
            (
                name
                for name in self.names
                if (name not in self.used or (keys and name in self.sample.key_properties))
                and test(name)
            ),
            None,
        )
        if found is not None:
            self.used.add(found)
        return found

    def mapping(self) -> dict[str, t.Any]:
        # eventIds built from the table, not the stream name: the same row keeps its
        # eventId under another tap variant, schema or alias.
        spec: dict[str, t.Any] = {
            EVENT_ID_NAMESPACE: self.sample.table,
            "eventType": self.event_type,
        }
        self.event_id(spec)
        self.timestamp(spec)
        spec["content"] = self.content()
        person = self.person()
        if person:
            spec["person"] = person
        else:
            self.tracking_id(spec)
        custom = {
            name: name
            for name in self.names
            if name not in self.used and _scalar(self.sample.properties[name])
        }
        if custom:
            spec["customFields"] = custom
        return spec

    def event_id(self, spec: dict[str, t.Any]) -> None:
        if self.sample.key_properties:
            return  # derived from the key properties, stable across runs
        name = self.first(lambda n: n.lower() == "id" or n.lower().endswith("_id"))
        if name is None:
            self.notes.append(
                "eventId: left out, the stream has no key properties and no id-like "
                "property; map eventId to an expression unique per event"
            )
        else:
            spec["eventId"] = f"{EVENT_ID_NAMESPACE} + '-' + str({name})"

    def timestamp(self, spec: dict[str, t.Any]) -> None:
        """The best point in time: set in every record, a date-time, named for the event.

        ``updated_at`` set on every row beats a DATE column with nulls and zero dates. A
        catalog has no values: there a NOT NULL column, or one named for the event or for
        the row's life (``created_at``, ``updated_at``), counts as set in every record.
        """
        ranked = []
        for position, name in enumerate(self.names):
            kind = time_kind(self.sample, name)
            if kind is None:
                continue
            coverage = time_coverage(self.sample, name, kind)
            lowered = name.lower()
            if coverage is None:  # a catalog: set if NOT NULL or named for the event or row
                named = any(hint in lowered for hint in (*TIME_HINTS, *ROW_TIME_HINTS))
                coverage = 1.0 if named or not nullable(self.sample.properties[name]) else 0.0
            score = TIME_KIND_SCORES[kind]
            score += 2 if any(hint in lowered for hint in TIME_HINTS) else 0
            score -= 1 if "updated" in lowered or "modified" in lowered else 0
            ranked.append((coverage == 1.0, score, coverage, -position, name))
        if not ranked:
            self.notes.append(
                "timestamp: left out, no date-time or epoch property; map it to when the "
                "event happened"
            )
            return
        best = max(ranked)[-1]
        self.used.add(best)
        spec["timestamp"] = best

    def is_text(self, name: str) -> bool:
        """A text property that is not a URL or an email: a candidate title."""
        return (
            "string" in types(self.sample.properties[name])
            and "url" not in name.lower()
            and not looks_like(self.sample, name, URL, "url")
            and not looks_like(self.sample, name, EMAIL, "email")
        )

    def content(self) -> dict[str, str]:
        """A title (``*name``/``*title`` first, URL-like text never) and a URL.

        Gong requires a title: a stream with none gets its event type, and a title property
        with gaps in the sample (or nullable, in a catalog) falls back to it, so the body
        stays valid either way.
        """
        title = self.first(
            lambda n: (
                self.is_text(n)
                and n.lower().endswith(TITLE_ENDINGS)
                and not any(hint in n.lower() for hint in NOT_TITLES)
            )
        ) or self.first(
            lambda n: self.is_text(n) and any(hint in n.lower() for hint in TITLE_HINTS)
        )
        if title is None:
            self.notes.append(
                f"content.contentTitle: the event type {self.event_type} stands in, no "
                "title- or name-like property; map it to what the event is about"
            )
            content = {"contentTitle": self.event_type}
        elif self.sample.has_gaps(title) or (
            not self.sample.records and nullable(self.sample.properties[title])
        ):
            content = {"contentTitle": f"{title} or {self.event_type}"}
        else:
            content = {"contentTitle": title}
        url = self.first(lambda n: looks_like(self.sample, n, URL, "url"))
        if url is not None:
            content["contentUrl"] = url
        return content

    def person(self) -> dict[str, t.Any]:
        email = self.email()
        if email is not None:
            person: dict[str, t.Any] = {"email": email}
            prefix = email.split("_email")[0] if "_email" in email else None
            name = self.first(lambda n: n == f"{prefix}_name") if prefix else None
            if name is not None:
                person["name"] = name
            person["company"] = {"domain": _domain_of(email)}
            return person
        crm = self.first(lambda n: any(hint in n.lower() for hint in CRM_HINTS))
        if crm is not None:
            kind = "LEAD" if "lead" in crm.lower() else "CONTACT"
            return {"personBusinessContext": {"objectType": kind, "objectId": crm}}
        return self.anonymous_person()

    def tracking_id(self, spec: dict[str, t.Any]) -> None:
        """An email-tracking id identifies the recipient when no person can be mapped."""
        name = self.first(lambda n: "tracking" in n.lower())
        if name is None:
            self.notes.append(
                "person: left out, no email, CRM id, or visitor id with a company domain; "
                "map person (email, or personId with company.domain) or trackingId"
            )
        else:
            spec["trackingId"] = name

    def email(self) -> str | None:
        """A top-level email property (a key property too), else ``parent['email']``."""
        top = self.first(lambda n: looks_like(self.sample, n, EMAIL, "email"), keys=True)
        if top is not None:
            return top
        for name in self.names:
            nested = self.sample.properties[name].get("properties", {})
            inner = next((key for key in nested if "email" in key.lower()), None)
            if inner is not None and name not in self.used:
                self.used.add(name)
                return f"{name}[{inner!r}]"
        return None

    def anonymous_person(self) -> dict[str, t.Any]:
        person_id = self.first(
            lambda n: (
                n.lower().endswith("id") and any(hint in n.lower() for hint in PERSON_ID_HINTS)
            )
        )
        domain = self.first(lambda n: looks_like(self.sample, n, DOMAIN, "domain"))
        if person_id is not None and domain is not None:
            return {"personId": person_id, "company": {"domain": domain}}
        for name in (person_id, domain):
            if name is not None:
                self.used.discard(name)
        return {}


def _is_body(sample: StreamSample) -> bool:
    """Records that already are digital-interaction bodies go through as they are."""
    return {"eventType", "timestamp", "content"} <= sample.properties.keys()


def _catalog_name_note(sample: StreamSample) -> str:
    """Which of a catalog entry's two names the tap's messages use depends on the tap."""
    return (
        f"stream name: keyed by the catalog's stream {sample.name!r}, which singer-io taps "
        f"write in their messages; pipelinewise taps write the tap_stream_id "
        f"{sample.tap_stream_id!r} instead: rename the entry to that if the tap's SCHEMA "
        "lines name it so"
    )


def suggest(streams: list[StreamSample]) -> tuple[dict[str, t.Any], dict[str, Notes]]:
    """The suggested ``mappings`` and, per stream, what a person must still fill in."""
    mappings: dict[str, t.Any] = {}
    notes: dict[str, Notes] = {}
    for sample in streams:
        if _is_body(sample):
            mappings[sample.name] = PASSTHROUGH
            continue
        suggestion = _Suggestion(sample)
        mappings[sample.name] = suggestion.mapping()
        if sample.tap_stream_id not in ("", sample.name):
            suggestion.notes.append(_catalog_name_note(sample))
        if suggestion.notes:
            notes[sample.name] = suggestion.notes
    return mappings, notes


def print_suggestion(path: str) -> None:
    """Print ``{"mappings": ...}`` on stdout and, on stderr, what a person must fill in."""
    mappings, notes = suggest(read_streams(Path(path).read_text("utf-8", "surrogateescape")))
    sys.stdout.write(json.dumps({"mappings": mappings}, indent=2) + "\n")
    for stream_name, stream_notes in notes.items():
        for note in stream_notes:
            sys.stderr.write(f"stream {stream_name!r}: {note}\n")

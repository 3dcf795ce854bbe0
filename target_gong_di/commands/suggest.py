"""Starter mappings (``--suggest-mappings FILE``): a first ``mappings`` from what a tap says.

A new user's first hour goes into writing one mapping per stream. The tap already tells
most of it: its catalog (``meltano invoke tap-x --discover``) names the streams, their key
properties and typed properties, and a sample of its output (``meltano invoke tap-x | head``)
adds values, which tell an email from a name and epoch milliseconds from a count. Each
stream gets the fields this module can decide from names, types and values; what it cannot
decide is left out and returned as a note saying what a person must fill in, so a
suggestion used unedited still passes ``--validate-config``.
"""

from __future__ import annotations

import json
import re
import sys
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from target_gong_di.mapping import PASSTHROUGH, TimestampError, bare_name, to_utc_iso
from target_gong_di.run import read_message

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://\S+$")
DOMAIN = re.compile(r"^(?!https?://)[a-z0-9-]+(\.[a-z0-9-]+)+$", re.IGNORECASE)
EPOCH_SECONDS = (10**9, 10**10)  # 2001-09-09 to 2286-11-20
EPOCH_MILLISECONDS = (10**12, 10**13)
SAMPLE_SIZE = 200
"""Records looked at per stream: enough to see what the values look like."""

TIME_HINTS = ("occurred", "event", "visited", "viewed", "answered", "clicked", "created", "used")
TITLE_HINTS = ("title", "subject", "page", "feature", "survey", "course", "topic", "campaign")
PERSON_ID_HINTS = ("anonymous", "visitor", "user", "person", "contact", "lead", "customer")
CRM_HINTS = ("salesforce", "sfdc", "crm", "hubspot")

Notes = list[str]


@dataclass
class StreamSample:
    """One stream as the file describes it: properties, key properties, sample records."""

    name: str
    properties: dict[str, t.Any]
    key_properties: tuple[str, ...]
    records: list[dict[str, t.Any]] = field(default_factory=list)

    def values(self, name: str) -> list[t.Any]:
        """The non-null sample values of a top-level property."""
        return [record[name] for record in self.records if record.get(name) is not None]


def read_streams(text: str) -> list[StreamSample]:
    """The streams in a Singer catalog or in a sample of a tap's SCHEMA and RECORD lines."""
    catalog = catalog_of(text)
    if catalog is not None:
        return [_catalog_stream(entry) for entry in catalog["streams"]]
    return _sampled_streams(text)


def _catalog_stream(entry: dict[str, t.Any]) -> StreamSample:
    keys = entry.get("key_properties") or next(
        (
            item["metadata"].get("table-key-properties")
            for item in entry.get("metadata", [])
            if not item.get("breadcrumb")
        ),
        None,
    )
    name = entry.get("tap_stream_id") or entry["stream"]
    return StreamSample(name, entry["schema"].get("properties", {}), tuple(keys or ()))


def catalog_of(text: str) -> dict[str, t.Any] | None:
    """The Singer catalog the text holds, or None for a tap's messages."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # not JSON: then each line must be a message
        return None
    return document if isinstance(document, dict) and "streams" in document else None


def _sampled_streams(text: str) -> list[StreamSample]:
    streams: dict[str, StreamSample] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        message = read_message(number, line)
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


# What a property looks like, from its SCHEMA and, where there are records, its values.


def _types(prop: dict[str, t.Any]) -> set[str]:
    kinds = prop.get("type", [])
    found = {kinds} if isinstance(kinds, str) else set(kinds)
    for option in prop.get("anyOf", []):
        found |= _types(option)
    return found - {"null"}


def _is_time_text(value: t.Any) -> bool:
    """ISO dates and date-times, naive ones too (the target reads them as UTC)."""
    if not isinstance(value, str) or value.strip().isdigit():
        return False
    try:
        to_utc_iso(value)
    except TimestampError:
        return False
    return True


def _all_match(values: list[t.Any], test: t.Callable[[t.Any], bool]) -> bool:
    return bool(values) and all(test(value) for value in values)


def _looks_like(sample: StreamSample, name: str, pattern: re.Pattern[str], hint: str) -> bool:
    """A string property named like ``hint`` or whose sampled values all match ``pattern``."""
    if "string" not in _types(sample.properties[name]):
        return False
    values = sample.values(name)
    if values:
        return _all_match(values, lambda v: isinstance(v, str) and bool(pattern.match(v)))
    return hint in name.lower()


def _epoch_unit(sample: StreamSample, name: str) -> bool:
    """An integer property holding epoch seconds or milliseconds (by values, else by name)."""
    kinds = _types(sample.properties[name])
    if not kinds or not kinds <= {"integer", "number"}:
        return False
    values = sample.values(name)
    if values:
        return _all_match(
            values,
            lambda v: (
                isinstance(v, int | float)
                and any(low <= v < high for low, high in (EPOCH_SECONDS, EPOCH_MILLISECONDS))
            ),
        )
    lowered = name.lower()
    return lowered.endswith(("_ms", "_epoch", "_at")) or "timestamp" in lowered


def _time_score(sample: StreamSample, name: str) -> int:
    """How good a timestamp ``name`` is: 0 for none, more for date-times named for the event."""
    prop = sample.properties[name]
    if "string" in _types(prop) and prop.get("format") in {"date-time", "date"}:
        score = 3 if prop["format"] == "date-time" else 2
    elif "string" in _types(prop) and _all_match(sample.values(name), _is_time_text):
        score = 3
    elif _epoch_unit(sample, name):
        score = 2
    else:
        return 0
    lowered = name.lower()
    if any(hint in lowered for hint in TIME_HINTS):
        score += 2
    if "updated" in lowered or "modified" in lowered:
        score -= 1
    return score


def _scalar(prop: dict[str, t.Any]) -> bool:
    return bool(_types(prop)) and not _types(prop) & {"object", "array"}


# The suggestion for one stream.


class _Suggestion:
    """Builds one stream's mapping, remembering which properties it used."""

    def __init__(self, sample: StreamSample) -> None:
        self.sample = sample
        self.names = [name for name in sample.properties if not name.startswith("_sdc_")]
        self.used: set[str] = set(sample.key_properties)
        self.notes: Notes = []

    def first(self, test: t.Callable[[str], bool]) -> str | None:
        found = next((name for name in self.names if name not in self.used and test(name)), None)
        if found is not None:
            self.used.add(found)
        return found

    def mapping(self) -> dict[str, t.Any]:
        spec: dict[str, t.Any] = {"eventType": repr(bare_name(self.sample.name).replace("_", " "))}
        self.event_id(spec)
        self.timestamp(spec)
        content = self.content()
        if content:
            spec["content"] = content
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
                "eventId: the stream has no key properties and no id-like property; "
                "map eventId to an expression unique per event"
            )
        else:
            spec["eventId"] = f"__stream_name__ + '-' + str({name})"

    def timestamp(self, spec: dict[str, t.Any]) -> None:
        scores = {name: _time_score(self.sample, name) for name in self.names}
        best = max(scores, key=lambda name: scores[name], default=None)
        if best is None or scores[best] == 0:
            self.notes.append(
                "timestamp: no date-time or epoch property; map it to when the event happened"
            )
            return
        self.used.add(best)
        spec["timestamp"] = best

    def is_text(self, name: str) -> bool:
        """A text property that is not a URL or an email: a candidate title."""
        return (
            "string" in _types(self.sample.properties[name])
            and not _looks_like(self.sample, name, URL, "url")
            and not _looks_like(self.sample, name, EMAIL, "email")
        )

    def content(self) -> dict[str, str]:
        content = {}
        title = self.first(
            lambda n: self.is_text(n) and any(hint in n.lower() for hint in TITLE_HINTS)
        ) or self.first(
            lambda n: (
                self.is_text(n)
                and n.lower().endswith("name")
                and not any(hint in n.lower() for hint in (*PERSON_ID_HINTS, "company"))
            )
        )
        if title is None:
            self.notes.append(
                "content.contentTitle: no title- or name-like property; map it to what the "
                "event is about (a quoted constant will do)"
            )
        else:
            content["contentTitle"] = title
        url = self.first(lambda n: _looks_like(self.sample, n, URL, "url"))
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
            person["company"] = {"domain": f"{email}.split('@')[-1]"}
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
                "person: no email, CRM id, or visitor id with a company domain; map person "
                "(email, or personId with company.domain) or trackingId"
            )
        else:
            spec["trackingId"] = name

    def email(self) -> str | None:
        """A top-level email property, else ``parent['email']`` of an object property."""
        top = self.first(lambda n: _looks_like(self.sample, n, EMAIL, "email"))
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
        domain = self.first(lambda n: _looks_like(self.sample, n, DOMAIN, "domain"))
        if person_id is not None and domain is not None:
            return {"personId": person_id, "company": {"domain": domain}}
        for name in (person_id, domain):
            if name is not None:
                self.used.discard(name)
        return {}


def _is_body(sample: StreamSample) -> bool:
    """Records that already are digital-interaction bodies go through as they are."""
    return {"eventType", "timestamp", "content"} <= sample.properties.keys()


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
        if suggestion.notes:
            notes[sample.name] = suggestion.notes
    return mappings, notes


def print_suggestion(path: str) -> None:
    """Print ``{"mappings": ...}`` on stdout and, on stderr, what a person must fill in."""
    mappings, notes = suggest(read_streams(Path(path).read_text("utf-8", "surrogateescape")))
    sys.stdout.write(json.dumps({"mappings": mappings}, indent=2) + "\n")
    for stream_name, stream_notes in notes.items():
        for note in stream_notes:
            sys.stderr.write(f"stream {stream_name!r}: left out {note}\n")

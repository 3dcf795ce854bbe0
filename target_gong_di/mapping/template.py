"""Templates: a stream's compiled mapping, one node per constant, leaf or container.

``compiler`` makes them once per SCHEMA; ``build`` gives a node's value for one record
(None when it has none, so its key is left out of the body). ``generated`` turns a
template into one function that does the same without a call per node.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

from target_gong_di.mapping.closures import RECORD_NAMES
from target_gong_di.mapping.conversion import conform, custom_field_text, data_type_of_value
from target_gong_di.mapping.expressions import (
    Literal,
    PropertyRead,
    RecordMappingError,
    Value,
    field_label,
)
from target_gong_di.mapping.timestamps import TimestampError, to_utc_iso


def unreadable_time(path: tuple[str, ...], error: TimestampError) -> RecordMappingError:
    """A value that is no point in time fails the record, naming the field it was for.

    (Raised from plain ``try`` blocks: they cost nothing per record, a context manager does.)
    """
    return RecordMappingError(f"{field_label(path)}: {error}")


class Node(t.Protocol):
    """Any node of a template."""

    def build(self, record: dict[str, t.Any]) -> t.Any:
        """The node's value for ``record`` (its dates parsed); None when it has none."""
        ...


@dataclass(frozen=True)
class Constant:
    """A value known when the mapping is compiled: a literal, fitted once."""

    value: t.Any

    def build(self, record: dict[str, t.Any]) -> t.Any:
        """See ``Node.build``."""
        return self.value


class Leaf:
    """One expression's value, fitted to its field (``conform``)."""

    def __init__(
        self, value: Value, path: tuple[str, ...], schema: dict[str, t.Any] | None
    ) -> None:
        self.value = value
        self.path = path
        self.schema = schema
        self._evaluate = value.evaluate
        self.text_as_is = not (schema and "format" in schema)
        """What ``conform`` does to text here, decided once: keep it."""
        self._dated = bool(schema) and schema == {"type": "string", "format": "date-time"}
        """What ``conform`` does to a ``datetime`` here, decided once: ``to_utc_iso``."""
        if isinstance(value, PropertyRead) and value.name not in RECORD_NAMES:
            self._name, self._default = value.name, value.default
            self.build = self._build_property  # type: ignore[method-assign]

    def build(self, record: dict[str, t.Any]) -> t.Any:
        """See ``Node.build``."""
        value = self._evaluate(record, self.path)
        if type(value) is str and self.text_as_is:
            return value or None  # "" is what CSV and SaaS taps give for "no value"
        return self.fit(value)

    def _build_property(self, record: dict[str, t.Any]) -> t.Any:
        """``build`` for a bare property: ``PropertyRead.evaluate`` without the call."""
        value = record.get(self._name, self._default)
        if type(value) is str and self.text_as_is:
            return value or None
        return self.fit(value)

    def fit(self, value: t.Any) -> t.Any:
        """``value`` as its field takes it (None: left out); text kept as is is not asked."""
        try:
            if type(value) is dt.datetime and self._dated:
                return to_utc_iso(value)
            if value == "":
                return None  # left out, like None
            return conform(value, self.schema)
        except TimestampError as error:
            raise unreadable_time(self.path, error) from None


class ObjectNode:
    """An object field (or the body): its children's values, those that have one."""

    def __init__(self, children: dict[str, Node]) -> None:
        self.children = children
        self._builds = tuple((key, node.build) for key, node in children.items())

    def build(self, record: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """See ``Node.build``; an object with no value in it has none."""
        built = {}
        for key, build in self._builds:
            value = build(record)
            if value is not None:
                built[key] = value
        return built or None


@dataclass(frozen=True)
class ListNode:
    """A list field written as a list: its items' values, those that have one."""

    items: list[Node]

    def build(self, record: dict[str, t.Any]) -> list[t.Any] | None:
        """See ``Node.build``."""
        built = [node.build(record) for node in self.items]
        return [value for value in built if value is not None] or None


@dataclass(frozen=True)
class CustomFields:
    """``{name: expression}`` becomes Gong's ``[{name, value, dataType}]``."""

    fields: list[tuple[str, Value, str | None]]
    path: tuple[str, ...]

    def __post_init__(self) -> None:
        paths = [(*self.path, name) for name, _, _ in self.fields]
        fields = [(name, source.evaluate, kind) for name, source, kind in self.fields]
        object.__setattr__(self, "_fields", [(*f, p) for f, p in zip(fields, paths, strict=True)])

    def build(self, record: dict[str, t.Any]) -> list[dict[str, str]] | None:
        """See ``Node.build``: one entry per field with a value."""
        built = []
        for name, evaluate, schema_type, path in self._fields:  # type: ignore[attr-defined]
            value = evaluate(record, path)
            if value is not None and value != "":
                data_type = schema_type or data_type_of_value(value)
                try:
                    text = custom_field_text(value)
                except TimestampError as error:
                    raise unreadable_time(path, error) from None
                built.append({"name": name, "value": text, "dataType": data_type})
        return built or None


def constant_leaf(leaf: Leaf) -> Node:
    """A literal leaf whose fitted value is a scalar is that constant, fitted once.

    (Lists and objects are fitted per record: each body gets its own.)
    """
    if not isinstance(leaf.value, Literal):
        return leaf
    try:
        value = leaf.build({})
    except RecordMappingError:
        return leaf  # a literal that is no point in time fails each record, as it did
    if value is None or type(value) in {str, int, float, bool}:
        return Constant(value)
    return leaf

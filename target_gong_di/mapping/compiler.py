"""Compiling a stream's mapping: one record of a stream in, one digital-interaction body out.

A stream's mapping is either ``"passthrough"`` (records already are bodies) or an object
shaped like the body whose string leaves are expressions (``expressions``). Everything that
can be checked without a record is checked once, when the mapping is compiled against the
stream's SCHEMA: unknown body keys, expression syntax, names that are not properties of the
stream, and whether eventIds can be derived. Building a body per record then only evaluates
pre-parsed expressions and fits the values to the body (``conversion``).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import typing as t
from dataclasses import dataclass

from target_gong_di.mapping.conversion import (
    conform,
    data_type_of_property,
    text_of,
)
from target_gong_di.mapping.entry_options import split_options
from target_gong_di.mapping.expressions import (
    CONTEXT_NAMES,
    FUNCTIONS,
    SECRET_WORDS,
    Evaluated,
    Expression,
    Literal,
    MappingConfigError,
    PropertyRead,
    RecordMappingError,
    Scope,
    Value,
    field_label,
    looks_secret,
)
from target_gong_di.mapping.generated import generate_build
from target_gong_di.mapping.reads import properties_read
from target_gong_di.mapping.template import (
    Constant,
    CustomFields,
    Leaf,
    ListNode,
    Node,
    ObjectNode,
    constant_leaf,
    unreadable_time,
)
from target_gong_di.mapping.timestamps import TimestampError
from target_gong_di.validation import BODY_SCHEMA, CUSTOM_FIELD_LISTS, field_check

__all__ = [
    "PASSTHROUGH",
    "MappingConfigError",
    "RecordMappingError",
    "StreamMapping",
    "StreamSchema",
    "check_mapping",
    "compile_stream_mapping",
    "derive_event_id",
]

PASSTHROUGH = "passthrough"


def derive_event_id(namespace: str, key_values: list[t.Any]) -> str:
    """A stable eventId from the namespace and the record's key values.

    The namespace is the stream name unless the entry's ``__event_id_namespace__`` sets it.
    Same inputs give the same id on every run and machine, so a rerun is answered 409.
    """
    texts = [_key_text(value) for value in key_values]
    if type(namespace) is str and all(type(text) is str for text in texts):
        # The encoder's own output for a list of strings, without its per-call set-up.
        canonical = f"[{_TEXT(namespace)},[{','.join(map(_TEXT, texts))}]]"
    else:
        canonical = _CANONICAL_JSON([namespace, texts])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _key_text(value: t.Any) -> t.Any:
    """``text_of``, with its two commonest cases first."""
    return value if type(value) is str else str(value) if type(value) is int else text_of(value)


def event_id_deriver(namespace: str) -> t.Callable[[list[t.Any]], str]:
    """``derive_event_id`` for one namespace, its JSON text written once: a stream's own.

    A single key whose text is a string (most streams) takes a few string operations and
    the hash; anything else is ``derive_event_id``'s.
    """
    head = f"[{_TEXT(namespace)},[" if type(namespace) is str else None

    def derive(key_values: list[t.Any]) -> str:
        if head is not None and len(key_values) == 1:
            text = _key_text(key_values[0])
            if type(text) is str:
                return hashlib.sha256(f"{head}{_TEXT(text)}]]".encode()).hexdigest()
        return derive_event_id(namespace, key_values)

    return derive


_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
"""Built once: ``json.dumps`` with options builds a new encoder on every call."""
_TEXT = json.encoder.encode_basestring
"""How ``_CANONICAL_JSON`` writes a string (``ensure_ascii=False``)."""


# Compiling a stream's mapping.


@dataclass(frozen=True)
class StreamSchema:
    """What a SCHEMA message tells the mapping about its stream."""

    properties: dict[str, t.Any]
    key_properties: tuple[str, ...]


class _Compiler:
    """Walks a mapping object beside the body schema, collecting nodes or errors."""

    def __init__(
        self, stream_name: str, stream: StreamSchema | None, scope: Scope | None = None
    ) -> None:
        self.stream_name = stream_name
        self.stream = stream
        self.scope = scope

    def where(self, path: tuple[str, ...]) -> str:
        return f"stream {self.stream_name!r}, field {field_label(path)!r}"

    def object(
        self, spec: dict[str, t.Any], path: tuple[str, ...], schema: dict[str, t.Any]
    ) -> ObjectNode:
        children: dict[str, Node] = {}
        for key, value in spec.items():
            child_schema = schema["properties"].get(key)
            if child_schema is None:
                raise MappingConfigError(
                    f"{self.where((*path, key))}: {key!r} is not a field of "
                    f"{field_label(path) if path else 'a digital-interaction body'} "
                    f"(fields: {', '.join(sorted(schema['properties']))})"
                )
            children[key] = self.compile(value, (*path, key), child_schema)
        return ObjectNode(children)

    def compile(self, spec: t.Any, path: tuple[str, ...], schema: dict[str, t.Any]) -> Node:
        if isinstance(spec, str):
            return constant_leaf(Leaf(self.value(spec, path, schema), path, schema))
        if isinstance(spec, list):
            if schema.get("type") != "array":
                raise MappingConfigError(f"{self.where(path)}: takes a single value, not a list")
            return ListNode([self.compile(item, path, schema["items"]) for item in spec])
        if isinstance(spec, dict):
            if schema.get("type") == "array" and path[-1] in CUSTOM_FIELD_LISTS:
                return self.custom_fields(spec, path)
            if "properties" not in schema:
                raise MappingConfigError(f"{self.where(path)}: takes a value, not an object")
            return self.object(spec, path, schema)
        return Constant(spec)

    def custom_fields(self, spec: dict[str, t.Any], path: tuple[str, ...]) -> CustomFields:
        fields = []
        for name, source in spec.items():
            text = source if isinstance(source, str) else repr(source)  # a constant
            value = self.value(text, (*path, name))
            declared = (
                self.stream.properties.get(value.name)
                if self.stream and isinstance(value, PropertyRead)
                else None
            )
            fields.append((name, value, declared and data_type_of_property(declared)))
        return CustomFields(fields, path)

    def value(
        self, source: str, path: tuple[str, ...], schema: dict[str, t.Any] | None = None
    ) -> Value:
        """Check the expression, then pick the cheapest way to compute it per record.

        In an enum field (device, numericType, objectType, dataType) a bare enum value such
        as ``PC`` that is not a property of the stream is that constant, unquoted.
        """
        bare = source.strip()
        enum = (schema or {}).get("enum", ())
        if bare in enum and not (self.stream and bare in self.stream.properties):
            return Literal(bare)
        expression = self.expression(source, path)
        node = expression.tree.value  # type: ignore[attr-defined]
        try:
            return Literal(ast.literal_eval(node))
        except (ValueError, TypeError):
            pass
        if isinstance(node, ast.Name) and self.stream and node.id in self.stream.properties:
            return PropertyRead(node.id, self.scope.base[node.id] if self.scope else None)
        return Evaluated.compile(expression, self.scope)

    def expression(self, source: str, path: tuple[str, ...]) -> Expression:
        expression = Expression.compile(source, self.where(path))
        secrets = sorted(key for key in expression.config_keys() if looks_secret(key))
        if secrets:
            raise MappingConfigError(
                f"{self.where(path)}: expression {source!r} reads config[{secrets[0]!r}]: "
                "secrets are not available to expressions (config leaves out every key "
                f"named {' or '.join(f'*{word}*' for word in SECRET_WORDS)})"
            )
        if self.stream is None:
            return expression
        properties = self.stream.properties.keys()
        known = properties | FUNCTIONS.keys() | CONTEXT_NAMES
        unknown = sorted(expression.free_names() - known) + sorted(
            expression.record_keys() - properties
        )
        if unknown:
            candidates = known if unknown[0] in expression.free_names() else properties
            raise MappingConfigError(
                f"{self.where(path)}: expression {source!r} names {unknown[0]!r}"
                f"{_did_you_mean(unknown[0], candidates)}, which is "
                f"neither a property in the stream's SCHEMA (properties: "
                f"{', '.join(sorted(self.stream.properties)) or 'none'}) nor a function "
                f"({', '.join(sorted(FUNCTIONS))})"
            )
        return expression


def _did_you_mean(name: str, candidates: t.Iterable[str]) -> str:
    """`` (did you mean 'user_email'?)`` for the closest known name, as for stream names."""
    names = sorted(candidates)
    same_but_case = [known for known in names if known.lower() == name.lower()]
    found = same_but_case or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f" (did you mean {found[0]!r}?)" if found else ""


class StreamMapping:
    """Builds bodies for one stream from its records."""

    def __init__(
        self,
        stream_name: str,
        template: ObjectNode | None,
        stream: StreamSchema,
        source_system_name: str | None,
        *,
        event_id_namespace: str,
        reads: frozenset[str] | None,
    ) -> None:
        self.stream_name = stream_name
        self.event_id_namespace = event_id_namespace
        self.reads = reads
        """The top-level properties ``build`` reads (key properties included); None: any."""
        self.template = template
        """The compiled mapping (None: passthrough), the reference of its generated build."""
        self._build = None if template is None else generate_build(template, stream_name)
        self._key_properties = stream.key_properties
        self._derive_event_id = event_id_deriver(event_id_namespace)
        self._source_system_name = source_system_name
        source_check = field_check(BODY_SCHEMA["properties"]["sourceSystemName"])
        self._source_passes = not source_system_name or bool(
            source_check and source_check(source_system_name)
        )

    def build(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """The body for ``record``; raises RecordMappingError naming the failing field."""
        return self.build_checked(record)[0]

    def build_checked(self, record: dict[str, t.Any]) -> tuple[dict[str, t.Any], bool | None]:
        """``build``, and whether the body passed ``mapped_body_errors``'s field check.

        A template checks each value as it puts it in the body (``generated``): True or
        False. A passthrough body is checked by ``mapped_body_errors`` itself: None.
        """
        passed: bool | None = None
        if self._build is None:
            fields = {key: value for key, value in record.items() if not key.startswith("_sdc_")}
            try:
                body = conform(fields, BODY_SCHEMA) or {}
            except TimestampError as error:
                raise unreadable_time(("timestamp",), error) from None
        else:
            body, passed = self._build(record)
        if "eventId" not in body and self._key_properties:
            key_values = [record.get(key) for key in self._key_properties]
            if key_values.count(None) == len(key_values):  # all null, without a generator
                raise RecordMappingError(
                    f"eventId: cannot be derived, key properties "
                    f"{', '.join(self._key_properties)} are all null"
                )
            try:
                body["eventId"] = self._derive_event_id(key_values)
            except TimestampError as error:
                raise unreadable_time(("eventId",), error) from None
        if self._source_system_name and "sourceSystemName" not in body:
            body["sourceSystemName"] = self._source_system_name
            passed = passed and self._source_passes
        if passed:
            passed = _REQUIRED.issubset(body)
        return body, passed


_REQUIRED = frozenset(BODY_SCHEMA["required"])
"""The body's own required keys: a template checks only what is inside its fields."""


def check_mapping(stream_name: str, spec: t.Any) -> ObjectNode | None:
    """Compile ``spec`` without a stream schema: unknown keys and syntax errors only.

    Returns the template (None for passthrough); raises MappingConfigError.
    """
    return _compile_template(stream_name, spec, None)[0]


def _compile_template(
    stream_name: str, spec: t.Any, stream: StreamSchema | None, scope: Scope | None = None
) -> tuple[ObjectNode | None, str]:
    """The template (None for passthrough) and the namespace of its derived eventIds."""
    if spec == PASSTHROUGH:
        return None, stream_name
    if not isinstance(spec, dict):
        raise MappingConfigError(
            f'stream {stream_name!r}: mapping must be "{PASSTHROUGH}" or an object shaped '
            f"like the body, not {type(spec).__name__}"
        )
    body, namespace = split_options(stream_name, spec)
    return _Compiler(stream_name, stream, scope).object(body, (), BODY_SCHEMA), namespace


def compile_stream_mapping(
    stream_name: str,
    spec: t.Any,
    stream: StreamSchema,
    *,
    source_system_name: str | None = None,
    expression_config: dict[str, t.Any] | None = None,
) -> StreamMapping:
    """Compile ``spec`` against the stream's SCHEMA; raises MappingConfigError."""
    # The namespace first: expressions may read it (``__event_id_namespace__``).
    namespace = split_options(stream_name, spec)[1] if isinstance(spec, dict) else stream_name
    scope = Scope(stream_name, stream.properties, expression_config or {}, namespace)
    template, _ = _compile_template(stream_name, spec, stream, scope)
    has_event_id = "eventId" in stream.properties if template is None else "eventId" in (spec or {})
    if not has_event_id and not stream.key_properties:
        raise MappingConfigError(
            f"stream {stream_name!r}: its mapping gives no eventId and its SCHEMA has no "
            "key_properties to derive one from; map eventId to a unique expression"
        )
    reads = (
        None
        if template is None
        else properties_read(
            split_options(stream_name, spec)[0], stream.properties, stream.key_properties
        )
    )
    scope.open()
    return StreamMapping(
        stream_name,
        template,
        stream,
        source_system_name,
        event_id_namespace=namespace,
        reads=reads,
    )

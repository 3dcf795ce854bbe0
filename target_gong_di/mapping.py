"""Turns one record of a stream into one digital-interaction body, as the config says.

A stream's mapping is either ``"passthrough"`` (records already are bodies) or an object
shaped like the body whose string leaves are expressions in the Meltano SDK stream-map
syntax (simpleeval). Everything that can be checked without a record is checked once, when
the mapping is compiled against the stream's SCHEMA: unknown body keys, expression syntax,
names that are not properties of the stream, and whether eventIds can be derived. Building a
body per record then only evaluates pre-parsed expressions.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import typing as t
from dataclasses import dataclass
from decimal import Decimal

import simpleeval
from singer_sdk.mapper import md5, sha256

from target_gong_di.encoding import JsonFunctions, to_json
from target_gong_di.event_schema import BODY_SCHEMA, CUSTOM_FIELD_LISTS
from target_gong_di.timestamps import TimestampError, to_utc_iso

PASSTHROUGH = "passthrough"

FUNCTIONS: dict[str, t.Any] = {
    **simpleeval.DEFAULT_FUNCTIONS,
    "md5": md5,
    "sha256": sha256,
    "datetime": simpleeval.ModuleWrapper(dt),
    "bool": bool,
    "json": JsonFunctions,
}
"""The functions the SDK's stream maps offer, so expressions mean the same in both."""

CONTEXT_NAMES = frozenset({"record", "_", "config", "__stream_name__", "self"})
"""Names every expression may use besides the stream's properties and ``FUNCTIONS``."""


class MappingConfigError(ValueError):
    """A mapping in the config cannot work for a stream; raised before any record is sent."""


class RecordMappingError(ValueError):
    """One record could not be turned into a body; the record is dead-lettered."""


def _field_label(path: tuple[str, ...]) -> str:
    return ".".join(path) or "(body)"


def _unreadable_time(path: tuple[str, ...], error: TimestampError) -> RecordMappingError:
    """A value that is no point in time fails the record, naming the field it was for.

    (Raised from plain ``try`` blocks: they cost nothing per record, a context manager does.)
    """
    return RecordMappingError(f"{_field_label(path)}: {error}")


@dataclass(frozen=True)
class Expression:
    """One mapping leaf, parsed once so each record only pays for evaluation."""

    source: str
    tree: ast.AST

    @classmethod
    def compile(cls, source: str, where: str) -> Expression:
        """Parse ``source``; ``where`` names the stream and field for the error."""
        try:
            module = ast.parse(source.strip(), mode="exec")
        except SyntaxError as error:
            raise MappingConfigError(
                f"{where}: expression {source!r} is not valid: {error.msg}"
            ) from None
        if len(module.body) != 1 or not isinstance(module.body[0], ast.Expr):
            raise MappingConfigError(
                f"{where}: {source!r} must be a single expression "
                "(write constants quoted, e.g. \"'page viewed'\")"
            )
        return cls(source, module.body[0])

    def free_names(self) -> set[str]:
        """Names read by the expression that it does not bind itself (comprehensions)."""
        nodes = list(ast.walk(self.tree))
        bound = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        read = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        return read - bound - set(simpleeval.DEFAULT_NAMES)

    def record_keys(self) -> set[str]:
        """Constant keys read through ``record[...]`` or ``_[...]``."""
        return {
            node.slice.value
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in {"record", "_"}
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        }


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    """One per stream: ``names`` is replaced for each record before evaluation.

    Like the SDK's own stream-map evaluator, it skips simpleeval's scan of every
    intermediate value for modules and forbidden functions: the only modules reachable are
    the ``ModuleWrapper``-wrapped ones in ``FUNCTIONS``, and records and config are JSON,
    which holds neither. Attribute access to modules and calls to forbidden functions are
    still refused by simpleeval's other checks.
    """

    def _check_disallowed_items(self, item: t.Any) -> None:
        return

    def _eval_subscript(self, node: ast.Subscript) -> t.Any:
        """``visitor['email']`` is None when ``visitor`` is null or has no ``email``.

        Taps leave nested objects null or sparse; a missing nested value then omits the
        leaf, as a null property does, instead of failing the record.
        """
        container = self._eval(node.value)
        if container is None:
            return None
        key = self._eval(node.slice)
        if isinstance(container, dict):
            return container.get(key)
        return container[key]


# Values: how a leaf expression is computed, from cheapest to most general. Most leaves in
# real mappings are quoted constants or bare property names; they skip simpleeval.


class _Value(t.Protocol):
    def evaluate(self, evaluator: _Evaluator, path: tuple[str, ...]) -> t.Any: ...


@dataclass(frozen=True)
class _Literal:
    """An expression that is a Python literal (``'page viewed'``, ``['a', 'b']``, ``10``)."""

    value: t.Any

    def evaluate(self, evaluator: _Evaluator, path: tuple[str, ...]) -> t.Any:
        return self.value


@dataclass(frozen=True)
class _PropertyRead:
    """An expression that is one property's name: read it, None when the record lacks it."""

    name: str

    def evaluate(self, evaluator: _Evaluator, path: tuple[str, ...]) -> t.Any:
        return evaluator.names[self.name]  # type: ignore[index]


@dataclass(frozen=True)
class _Evaluated:
    """Any other expression, evaluated by simpleeval from its pre-parsed tree."""

    expression: Expression

    def evaluate(self, evaluator: _Evaluator, path: tuple[str, ...]) -> t.Any:
        try:
            return evaluator.eval(self.expression.source, previously_parsed=self.expression.tree)
        except Exception as error:
            raise RecordMappingError(
                f"{_field_label(path)}: {self.expression.source!r} failed: "
                f"{type(error).__name__}: {error}"
            ) from None


# Templates: the compiled form of a mapping object, one node per leaf or container.


class _Node(t.Protocol):
    def build(self, evaluator: _Evaluator) -> t.Any: ...


@dataclass(frozen=True)
class _Constant:
    value: t.Any

    def build(self, evaluator: _Evaluator) -> t.Any:
        return self.value


@dataclass(frozen=True)
class _Leaf:
    value: _Value
    path: tuple[str, ...]
    schema: dict[str, t.Any] | None

    def build(self, evaluator: _Evaluator) -> t.Any:
        value = self.value.evaluate(evaluator, self.path)
        if value == "":
            return None  # what CSV and SaaS taps give for "no value": left out, like None
        try:
            return conform(value, self.schema)
        except TimestampError as error:
            raise _unreadable_time(self.path, error) from None


@dataclass(frozen=True)
class _Object:
    children: dict[str, _Node]

    def build(self, evaluator: _Evaluator) -> dict[str, t.Any] | None:
        built = {}
        for key, node in self.children.items():
            value = node.build(evaluator)
            if value is not None:
                built[key] = value
        return built or None


@dataclass(frozen=True)
class _List:
    items: list[_Node]

    def build(self, evaluator: _Evaluator) -> list[t.Any] | None:
        built = [node.build(evaluator) for node in self.items]
        return [value for value in built if value is not None] or None


@dataclass(frozen=True)
class _CustomFields:
    """``{name: expression}`` becomes Gong's ``[{name, value, dataType}]``."""

    fields: list[tuple[str, _Value, str | None]]
    path: tuple[str, ...]

    def build(self, evaluator: _Evaluator) -> list[dict[str, str]] | None:
        built = []
        for name, source, schema_type in self.fields:
            path = (*self.path, name)
            value = source.evaluate(evaluator, path)
            if value is not None and value != "":
                data_type = schema_type or data_type_of_value(value)
                try:
                    text = custom_field_text(value)
                except TimestampError as error:
                    raise _unreadable_time(path, error) from None
                built.append({"name": name, "value": text, "dataType": data_type})
        return built or None


# Values: shaping what an expression or a passthrough record gives into what the API takes.


def _text(value: t.Any) -> t.Any:
    """Scalars to the text Gong expects in a string field; anything else stays as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return to_utc_iso(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _number(value: t.Any) -> t.Any:
    """Integral numbers to int (the SDK may give Decimal or float); others stay."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _json_safe(value)


def _json_safe(value: t.Any) -> t.Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return to_utc_iso(value)
    return value


def conform(value: t.Any, schema: dict[str, t.Any] | None) -> t.Any:
    """Fit ``value`` to the body field described by ``schema``.

    Nones and containers left empty are dropped (``None`` is returned for them), date-time
    fields become ISO 8601 UTC (raising TimestampError when they cannot), numbers and dates
    in other string fields become text, integral numbers in integer fields become int, and
    nested objects and lists are fitted field by field. Values of the wrong kind are left
    for validation to report rather than guessed at.
    """
    if value is None:
        return None
    if type(value) is str and not (schema and "format" in schema):
        return value  # the common case, first
    if isinstance(value, dict):
        properties = (schema or {}).get("properties", {})
        fitted = {key: conform(item, properties.get(key)) for key, item in value.items()}
        return {key: item for key, item in fitted.items() if item is not None} or None
    if isinstance(value, list | tuple):
        items = (schema or {}).get("items")
        fitted_items = [conform(item, items) for item in value]
        return [item for item in fitted_items if item is not None] or None
    kind = (schema or {}).get("type")
    if kind == "string":
        if schema.get("format") == "date-time":  # type: ignore[union-attr]
            return to_utc_iso(value)
        return _text(value)
    if kind == "integer":
        return _number(value)
    return _json_safe(value)


def custom_field_text(value: t.Any) -> str:
    """A custom field's ``value`` is always a string: JSON text for lists and objects."""
    if isinstance(value, list | dict):
        return to_json(value).decode("utf-8")
    return str(_text(value))


def data_type_of_value(value: t.Any) -> str:
    """Gong dataType for a value whose stream property type is unknown."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float | Decimal):
        return "NUMBER"
    if isinstance(value, dt.date):
        return "DATE"
    return "STRING"


_DATA_TYPE_OF_FORMAT = {"date-time": "DATE", "date": "DATE", "uri": "URL"}
_DATA_TYPE_OF_KIND = {"boolean": "BOOLEAN", "integer": "NUMBER", "number": "NUMBER"}


def _data_types(prop: dict[str, t.Any]) -> set[str]:
    """The Gong dataType of each kind of value a SCHEMA property allows, null aside."""
    kinds = prop.get("type", [])
    found = set()
    for kind in ({kinds} if isinstance(kinds, str) else set(kinds)) - {"null"}:
        if kind == "string":
            found.add(_DATA_TYPE_OF_FORMAT.get(prop.get("format", ""), "STRING"))
        else:
            found.add(_DATA_TYPE_OF_KIND.get(kind, "STRING"))
    for option in prop.get("anyOf", []) + prop.get("oneOf", []):
        found |= _data_types(option)
    return found


def data_type_of_property(prop: dict[str, t.Any]) -> str | None:
    """Gong dataType for a stream property, from its SCHEMA type and format.

    None when the property allows values of more than one dataType (``["string", "number"]``,
    an ``anyOf`` of a date-time and a plain string): then each value's own type decides, so
    ``"N/A"`` is sent as STRING rather than failing as a NUMBER.
    """
    found = _data_types(prop)
    return found.pop() if len(found) == 1 else None


def derive_event_id(stream_name: str, key_values: list[t.Any]) -> str:
    """A stable eventId from the stream and the record's key values.

    Same inputs give the same id on every run and machine, so a rerun is answered 409.
    """
    canonical = _CANONICAL_JSON([stream_name, [_text(value) for value in key_values]])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
"""Built once: ``json.dumps`` with options builds a new encoder on every call."""


# Compiling a stream's mapping.


@dataclass(frozen=True)
class StreamSchema:
    """What a SCHEMA message tells the mapping about its stream."""

    properties: dict[str, t.Any]
    key_properties: tuple[str, ...]


class _Compiler:
    """Walks a mapping object beside the body schema, collecting nodes or errors."""

    def __init__(self, stream_name: str, stream: StreamSchema | None) -> None:
        self.stream_name = stream_name
        self.stream = stream

    def where(self, path: tuple[str, ...]) -> str:
        return f"stream {self.stream_name!r}, field {_field_label(path)!r}"

    def object(
        self, spec: dict[str, t.Any], path: tuple[str, ...], schema: dict[str, t.Any]
    ) -> _Object:
        children: dict[str, _Node] = {}
        for key, value in spec.items():
            child_schema = schema["properties"].get(key)
            if child_schema is None:
                raise MappingConfigError(
                    f"{self.where((*path, key))}: {key!r} is not a field of "
                    f"{_field_label(path) if path else 'a digital-interaction body'} "
                    f"(fields: {', '.join(sorted(schema['properties']))})"
                )
            children[key] = self.compile(value, (*path, key), child_schema)
        return _Object(children)

    def compile(self, spec: t.Any, path: tuple[str, ...], schema: dict[str, t.Any]) -> _Node:
        if isinstance(spec, str):
            return _Leaf(self.value(spec, path, schema), path, schema)
        if isinstance(spec, list):
            if schema.get("type") != "array":
                raise MappingConfigError(f"{self.where(path)}: takes a single value, not a list")
            return _List([self.compile(item, path, schema["items"]) for item in spec])
        if isinstance(spec, dict):
            if schema.get("type") == "array" and path[-1] in CUSTOM_FIELD_LISTS:
                return self.custom_fields(spec, path)
            if "properties" not in schema:
                raise MappingConfigError(f"{self.where(path)}: takes a value, not an object")
            return self.object(spec, path, schema)
        return _Constant(spec)

    def custom_fields(self, spec: dict[str, t.Any], path: tuple[str, ...]) -> _CustomFields:
        fields = []
        for name, source in spec.items():
            text = source if isinstance(source, str) else repr(source)  # a constant
            value = self.value(text, (*path, name))
            declared = (
                self.stream.properties.get(value.name)
                if self.stream and isinstance(value, _PropertyRead)
                else None
            )
            fields.append((name, value, declared and data_type_of_property(declared)))
        return _CustomFields(fields, path)

    def value(
        self, source: str, path: tuple[str, ...], schema: dict[str, t.Any] | None = None
    ) -> _Value:
        """Check the expression, then pick the cheapest way to compute it per record.

        In an enum field (device, numericType, objectType, dataType) a bare enum value such
        as ``PC`` that is not a property of the stream is that constant, unquoted.
        """
        bare = source.strip()
        enum = (schema or {}).get("enum", ())
        if bare in enum and not (self.stream and bare in self.stream.properties):
            return _Literal(bare)
        expression = self.expression(source, path)
        node = expression.tree.value  # type: ignore[attr-defined]
        try:
            return _Literal(ast.literal_eval(node))
        except (ValueError, TypeError):
            pass
        if isinstance(node, ast.Name) and self.stream and node.id in self.stream.properties:
            return _PropertyRead(node.id)
        return _Evaluated(expression)

    def expression(self, source: str, path: tuple[str, ...]) -> Expression:
        expression = Expression.compile(source, self.where(path))
        if self.stream is None:
            return expression
        known = self.stream.properties.keys() | FUNCTIONS.keys() | CONTEXT_NAMES
        unknown = sorted(expression.free_names() - known) + sorted(
            expression.record_keys() - self.stream.properties.keys()
        )
        if unknown:
            raise MappingConfigError(
                f"{self.where(path)}: expression {source!r} names {unknown[0]!r}, which is "
                f"neither a property in the stream's SCHEMA (properties: "
                f"{', '.join(sorted(self.stream.properties)) or 'none'}) nor a function "
                f"({', '.join(sorted(FUNCTIONS))})"
            )
        return expression


class StreamMapping:
    """Builds bodies for one stream from its records."""

    def __init__(
        self,
        stream_name: str,
        template: _Node | None,
        stream: StreamSchema,
        source_system_name: str | None,
        expression_config: dict[str, t.Any],
    ) -> None:
        self.stream_name = stream_name
        self._template = template
        self._key_properties = stream.key_properties
        self._source_system_name = source_system_name
        self._evaluator = _Evaluator(functions=FUNCTIONS)
        self._base_names = {
            **dict.fromkeys(stream.properties),
            "config": expression_config,
            "__stream_name__": stream_name,
        }

    def build(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """The body for ``record``; raises RecordMappingError naming the failing field."""
        if self._template is None:
            fields = {key: value for key, value in record.items() if not key.startswith("_sdc_")}
            try:
                body = conform(fields, BODY_SCHEMA) or {}
            except TimestampError as error:
                raise _unreadable_time(("timestamp",), error) from None
        else:
            self._evaluator.names = {**self._base_names, **record, "record": record, "_": record}
            body = self._template.build(self._evaluator) or {}
        if "eventId" not in body and self._key_properties:
            key_values = [record.get(key) for key in self._key_properties]
            if all(value is None for value in key_values):
                raise RecordMappingError(
                    f"eventId: cannot be derived, key properties "
                    f"{', '.join(self._key_properties)} are all null"
                )
            try:
                body["eventId"] = derive_event_id(self.stream_name, key_values)
            except TimestampError as error:
                raise _unreadable_time(("eventId",), error) from None
        if self._source_system_name and "sourceSystemName" not in body:
            body["sourceSystemName"] = self._source_system_name
        return body


def check_mapping(stream_name: str, spec: t.Any) -> _Node | None:
    """Compile ``spec`` without a stream schema: unknown keys and syntax errors only.

    Returns the template (None for passthrough); raises MappingConfigError.
    """
    return _compile_template(stream_name, spec, None)


def _compile_template(stream_name: str, spec: t.Any, stream: StreamSchema | None) -> _Node | None:
    if spec == PASSTHROUGH:
        return None
    if not isinstance(spec, dict):
        raise MappingConfigError(
            f'stream {stream_name!r}: mapping must be "{PASSTHROUGH}" or an object shaped '
            f"like the body, not {type(spec).__name__}"
        )
    return _Compiler(stream_name, stream).object(spec, (), BODY_SCHEMA)


def compile_stream_mapping(
    stream_name: str,
    spec: t.Any,
    stream: StreamSchema,
    *,
    source_system_name: str | None = None,
    expression_config: dict[str, t.Any] | None = None,
) -> StreamMapping:
    """Compile ``spec`` against the stream's SCHEMA; raises MappingConfigError."""
    template = _compile_template(stream_name, spec, stream)
    has_event_id = "eventId" in stream.properties if template is None else "eventId" in (spec or {})
    if not has_event_id and not stream.key_properties:
        raise MappingConfigError(
            f"stream {stream_name!r}: its mapping gives no eventId and its SCHEMA has no "
            "key_properties to derive one from; map eventId to a unique expression"
        )
    return StreamMapping(stream_name, template, stream, source_system_name, expression_config or {})

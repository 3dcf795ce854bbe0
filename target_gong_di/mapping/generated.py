"""A stream's template as one generated Python function: the body built and checked at once.

Walking the template's nodes costs a call per node and per leaf for every record, and the
body check then walks the built body again, key by key. Generated once per SCHEMA, one
function does both in a straight line: a bare property is read inline, a constant is
bound once, and each value is checked against its field's schema (``field_check``) where
it is put in the body, so keys the template cannot produce are never looked at. What it
builds is exactly what the template's ``build`` builds (the same calls, in the same order,
raising the same errors: ``tests/unit/test_generated_build.py`` runs both); whether the
body passed is a promise only one way: True means the body passes the field check of
``mapped_body_errors`` (the same checks, ``MAPPED_FIELD_CHECKS`` for the body's own fields),
False sends it to the full check (``body_errors``), which says why or passes it.
"""

from __future__ import annotations

import typing as t

from target_gong_di.mapping.closures import RECORD_NAMES
from target_gong_di.mapping.conversion import custom_field_text, data_type_of_value
from target_gong_di.mapping.expressions import Evaluated, PropertyRead, Value
from target_gong_di.mapping.template import (
    Constant,
    CustomFields,
    Leaf,
    Node,
    ObjectNode,
    unreadable_time,
)
from target_gong_di.mapping.timestamps import TimestampError
from target_gong_di.validation import (
    BODY_SCHEMA,
    CUSTOM_FIELDS,
    MAPPED_FIELD_CHECKS,
    field_check,
)

BodyBuild = t.Callable[[dict[str, t.Any]], tuple[dict[str, t.Any], bool]]
"""A record's body (empty when nothing maps), and whether every value passed its check."""

_PLAIN_TEXT = ({"type": "string"}, {"type": "string", "minLength": 1})
"""Field schemas any non-empty text passes: no check needed for a bare text property."""


class _Writer:
    """Collects the function's lines and the values its names are bound to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.bound: dict[str, t.Any] = {}
        self._objects = 0

    def bind(self, value: t.Any) -> str:
        """A name for ``value`` in the generated function's globals."""
        name = f"_v{len(self.bound)}"
        self.bound[name] = value
        return name

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def object_name(self) -> str:
        self._objects += 1
        return f"o{self._objects}"

    @staticmethod
    def check_of(target: str, key: str, schema: dict[str, t.Any]) -> t.Callable | None:
        """The check of ``target[key]``: the mapped body's own for its fields, else the field's."""
        return MAPPED_FIELD_CHECKS[key] if target == "body" else field_check(schema)

    def checked(self, depth: int, target: str, key: str, schema: dict[str, t.Any]) -> None:
        """Put ``v`` (known not None) in ``target[key]``, and check it."""
        self.line(depth, f"{target}[{key!r}] = v")
        check = self.check_of(target, key, schema)
        if check is None:
            self.line(depth, "ok = False")
            return
        self.line(depth, f"if not {self.bind(check)}(v):")
        self.line(depth + 1, "ok = False")

    def node(self, node: Node, schema: dict[str, t.Any], target: str, key: str, depth: int) -> None:
        """The lines that put ``node``'s value, if any, in ``target[key]``."""
        if isinstance(node, Constant):
            if node.value is not None:
                check = self.check_of(target, key, schema)
                self.line(depth, f"{target}[{key!r}] = {self.bind(node.value)}")
                if check is None or not check(node.value):
                    self.line(depth, "ok = False")
        elif isinstance(node, ObjectNode):
            self.nested(node, schema, target, key, depth)
        elif isinstance(node, Leaf):
            self.leaf(node, schema, target, key, depth)
        elif isinstance(node, CustomFields):
            self.custom_fields(node, schema, target, key, depth)
        else:
            self.line(depth, f"v = {self.bind(node.build)}(record)")
            self.line(depth, "if v is not None:")
            self.checked(depth + 1, target, key, schema)

    def leaf(self, leaf: Leaf, schema: dict[str, t.Any], target: str, key: str, depth: int) -> None:
        """``Leaf.build``, inline: the value, its text kept as is, anything else ``Leaf.fit``."""
        self.value(leaf.value, leaf.path, depth)
        fit = self.bind(leaf.fit)
        if leaf.text_as_is:
            self.line(depth, "if type(v) is str:")
            self.line(depth + 1, "if v:")
            if schema in _PLAIN_TEXT:
                self.line(depth + 2, f"{target}[{key!r}] = v")
            else:
                self.checked(depth + 2, target, key, schema)
            self.line(depth, "else:")
            depth += 1
        self.line(depth, f"v = {fit}(v)")
        self.line(depth, "if v is not None:")
        self.checked(depth + 1, target, key, schema)

    def value(self, value: Value, path: tuple[str, ...], depth: int) -> None:
        """``v = `` ``value.evaluate(record, path)``, inline where it is a property or a closure."""
        if isinstance(value, PropertyRead) and value.name not in RECORD_NAMES:
            self.line(depth, f"v = record.get({value.name!r}, {self.bind(value.default)})")
        elif isinstance(value, Evaluated) and value.reader is not None:
            failure = f"{self.bind(value.failure)}(record, error, {self.bind(path)})"
            self.line(depth, "try:")
            self.line(depth + 1, f"v = {self.bind(value.reader)}(record)")
            self.line(depth, "except Exception as error:")
            self.line(depth + 1, f"raise {failure} from None")
        else:
            self.line(depth, f"v = {self.bind(value.evaluate)}(record, {self.bind(path)})")

    def custom_fields(
        self, node: CustomFields, schema: dict[str, t.Any], target: str, key: str, depth: int
    ) -> None:
        """``CustomFields.build``, inline: an entry for each field with a value."""
        entries = self.object_name()
        self.line(depth, f"{entries} = []")
        for name, value, declared in node.fields:
            path = (*node.path, name)
            self.value(value, path, depth)
            self.line(depth, 'if v is not None and v != "":')
            data_type = repr(declared) if declared else f"{self.bind(data_type_of_value)}(v)"
            self.line(depth + 1, "try:")
            self.line(depth + 2, f"text = {self.bind(custom_field_text)}(v)")
            self.line(depth + 1, f"except {self.bind(TimestampError)} as error:")
            unreadable = f"{self.bind(unreadable_time)}({self.bind(path)}, error)"
            self.line(depth + 2, f"raise {unreadable} from None")
            entry = f"{{'name': {self.bind(name)}, 'value': text, 'dataType': {data_type}}}"
            self.line(depth + 1, f"{entries}.append({entry})")
        self.line(depth, f"if {entries}:")
        self.line(depth + 1, f"{target}[{key!r}] = {entries}")
        if schema != CUSTOM_FIELDS:
            self.line(depth + 1, f"if not {self.bind(field_check(schema))}({entries}):")
            self.line(depth + 2, "ok = False")

    def nested(
        self, node: ObjectNode, schema: dict[str, t.Any], target: str, key: str, depth: int
    ) -> None:
        """An object field: its children into a new dict, kept when not empty."""
        name = self.object_name()
        self.line(depth, f"{name} = {{}}")
        for child_key, child in node.children.items():
            self.node(child, schema["properties"][child_key], name, child_key, depth)
        self.line(depth, f"if {name}:")
        self.line(depth + 1, f"{target}[{key!r}] = {name}")
        if field_check(schema) is None:
            self.line(depth + 1, "ok = False")
        elif required := schema.get("required"):
            self.line(depth + 1, f"if not {self.bind(frozenset(required))}.issubset({name}):")
            self.line(depth + 2, "ok = False")


def generate_build(template: ObjectNode, stream_name: str) -> BodyBuild:
    """``template`` as one function; the body's own required keys are the caller's to check.

    (eventId and sourceSystemName are added after the template's fields.)
    """
    writer = _Writer()
    writer.line(1, "ok = True")
    writer.line(1, "body = {}")
    for key, child in template.children.items():
        writer.node(child, BODY_SCHEMA["properties"][key], "body", key, 1)
    writer.line(1, "return body, ok")
    source = "\n".join(["def build(record):", *writer.lines])
    namespace = dict(writer.bound)
    exec(compile(source, f"<body of stream {stream_name!r}>", "exec"), namespace)  # noqa: S102
    build = t.cast("BodyBuild", namespace["build"])
    build.source = source  # type: ignore[attr-defined]
    return build

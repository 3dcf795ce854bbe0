"""Which of a record's top-level properties a stream's mapping reads.

Only what a mapping reads reaches Gong, so only that is worth checking against the stream's
SCHEMA and parsing as a date (``validation.RecordCheck``): a bad value in a column no
expression names must not cost the event. Worked out once per SCHEMA from the mapping's
expressions, erring towards reading more: a name that is a property counts as read
wherever it appears, and ``record``/``_`` used other than with a constant key
(``record['x']``, ``_.get('x')``) reads everything, as ``passthrough`` does.
"""

from __future__ import annotations

import ast
import typing as t

from target_gong_di.mapping.expressions import Expression, MappingConfigError

WHOLE_RECORD_NAMES = frozenset({"record", "_"})
"""Names that hold the whole record in expressions."""


def _sources(spec: t.Any) -> t.Iterator[str]:
    """Every expression in a mapping object: its string leaves (other leaves are constants)."""
    if isinstance(spec, str):
        yield spec
    elif isinstance(spec, dict):
        for value in spec.values():
            yield from _sources(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _sources(item)


def _constant_key(name: ast.Name, parents: dict[ast.AST, ast.AST]) -> str | None:
    """``'x'`` when ``name`` is read as ``name['x']`` or ``name.get('x', ...)``, else None."""
    parent = parents.get(name)
    if isinstance(parent, ast.Subscript) and parent.value is name:
        key = parent.slice
    elif isinstance(parent, ast.Attribute) and parent.attr == "get":
        call = parents.get(parent)
        if not (isinstance(call, ast.Call) and call.func is parent and call.args):
            return None
        key = call.args[0]
    else:
        return None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _expression_reads(tree: ast.AST, properties: t.Container[str]) -> set[str] | None:
    """The properties one expression reads; None when it may read any of them."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    reads = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        if node.id in WHOLE_RECORD_NAMES:
            key = _constant_key(node, parents)
            if key is None:
                return None
            reads.add(key)
        elif node.id in properties:
            reads.add(node.id)
    return reads


def properties_read(
    spec: dict[str, t.Any], properties: t.Container[str], key_properties: t.Iterable[str]
) -> frozenset[str] | None:
    """The top-level properties a mapping object reads, key properties included.

    Key properties are always among them: an eventId is derived from them whenever the body
    has none. None means the mapping may read any property (check them all).
    """
    reads = set(key_properties)
    for source in _sources(spec):
        try:
            expression = Expression.compile(source, "")
        except MappingConfigError:
            return None  # (the compiler has refused such a mapping already)
        found = _expression_reads(expression.tree, properties)
        if found is None:
            return None
        reads |= found
    return frozenset(reads)

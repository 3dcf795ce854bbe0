"""Compiled expressions mean exactly what simpleeval means: same values, same errors.

A differential test: every string in the README, ``meltano.yml`` and the tests that parses
as a mapping expression is evaluated both ways, by its closure (``mapping.closures``) and by
simpleeval on the same tree (the reference, with the error text the target has always
written), over a corpus of records generated for its names: nulls, missing properties, empty
text, wrong types, nested objects, dates, text too long for simpleeval.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import random
import re
import typing as t
import zlib
from decimal import Decimal

import pytest
from repo_paths import ROOT

from target_gong_di.exceptions import MappingConfigError, RecordMappingError
from target_gong_di.mapping import StreamSchema, compile_stream_mapping
from target_gong_di.mapping.closures import compile_reader
from target_gong_di.mapping.expressions import (
    CONTEXT_NAMES,
    FUNCTIONS,
    Evaluated,
    Evaluator,
    Expression,
    Scope,
    field_label,
)


def _candidates() -> set[str]:
    """Every code span and quoted text of the README and meltano.yml, every test's string."""
    found: set[str] = set()
    for document in (ROOT / "README.md", ROOT / "meltano.yml"):
        text = document.read_text()
        found |= set(re.findall(r"`([^`\n]+)`", text))
        found |= set(re.findall(r'"((?:[^"\\\n]|\\.)*)"', text))
        found |= {value.strip() for value in re.findall(r":\s+(.+)$", text, re.M)}
    for module in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


EDGES = [
    "f'{a:>10}|{b!r}|{a}'",
    "a[1:3]",
    "a[::-1]",
    "a[b]",
    "a < b < c",
    "a == b != c",
    "a and b or c",
    "not a",
    "-a",
    "~a",
    "a if b else c",
    "a is None",
    "a is not None",
    "a in b",
    "a not in b",
    "a @ b",
    "a ** b",
    "2 ** 4000001",
    "'ab' * 100000",
    "a * b",
    "a + b",
    "a - b",
    "a / b",
    "a // b",
    "a % b",
    "a << b",
    "a >> b",
    "a | b",
    "a & b",
    "a ^ b",
    "{'k': a, **b}",
    "[*a, b]",
    "(a, b)",
    "{a, b}",
    "a.get('email')",
    "a.email",
    "a.nope",
    "a.__class__",
    "a.format",
    "a.split('@', 1)",
    "a.split(sep='@')",
    "a.upper",
    "json.dumps(a, sort_keys=True)",
    "json.dumps(a)",
    "json.loads(a)",
    "datetime.datetime.fromisoformat(a)",
    "datetime.os",
    "md5(str(a))",
    "sha256(str(a))",
    "str(a)[:3]",
    "int(a)",
    "float(a)",
    "bool(a)",
    "list(a)",
    "dict(x=a)",
    "len(a)",
    "str",
    "nope(a)",
    "(lambda: 1)()",
    "a[0]()",
    "record['a']",
    "_['a']",
    "record",
    "config['plan']",
    "config.get('nested')['level']",
    "config.nested.level",
    "__stream_name__ + '-' + str(a)",
    "[x for x in a]",
    "{x: 1 for x in a}",
    "(y := a)",
    "'%s' % a",
    "a.count('a')",
    "self",
]
"""Every kind of node the closures compile, and a few they leave to simpleeval."""

UNREPEATABLE = re.compile(r"\brand(int)?\b|\bnow\b|\btoday\b|\butcnow\b")
"""Expressions whose value differs from one evaluation to the next."""


def _expressions() -> list[Expression]:
    expressions = []
    for source in [*EDGES, *sorted(_candidates() - set(EDGES))]:
        if len(source) > 500 or UNREPEATABLE.search(source):
            continue
        try:
            expressions.append(Expression.compile(source, "corpus"))
        except (MappingConfigError, ValueError, RecursionError):
            continue  # not an expression: prose, paths, JSON
    return expressions


EXPRESSIONS = _expressions()

MISSING = object()
VALUES: list[t.Any] = [
    MISSING,
    None,
    "",
    "ana@acme.example",
    "plain text",
    "2026-11-20T09:15:02+01:00",
    "42",
    "x" * 100_001,  # longer than simpleeval evaluates a method of
    0,
    7,
    -3,
    2.5,
    float("nan"),
    Decimal("12.30"),
    True,
    False,
    [],
    ["a", "b"],
    [{"email": "li@umbrella.example"}],
    {},
    {"email": "x@y.example", "domain": "acme.example", "id": 3},
    {"nested": {"deep": None}},
    dt.datetime(2026, 11, 20, 9, 15, 2, tzinfo=dt.timezone.utc),
    dt.date(2026, 11, 20),
]


def _names(expression: Expression) -> list[str]:
    """The properties a stream would need for the expression to pass the names check."""
    return sorted((expression.free_names() - CONTEXT_NAMES) | expression.record_keys())


def _records(expression: Expression, count: int = 24) -> list[dict[str, t.Any]]:
    """All missing, all null, then ``count`` records of values drawn for its names."""
    names = _names(expression)
    draw = random.Random(zlib.crc32(expression.source.encode()))
    records: list[dict[str, t.Any]] = [{}, dict.fromkeys(names)]
    for _ in range(count):
        record = {}
        for name in names:
            value = draw.choice(VALUES)
            if value is not MISSING:
                record[name] = value
        records.append(record)
    return records


def _outcome(
    evaluate: t.Callable[[dict[str, t.Any]], t.Any], record: dict[str, t.Any]
) -> tuple[str, ...]:
    """A value for a copy of ``record`` as its type and text (addresses aside), or the error.

    A copy each: an expression may change what it reads (``tags.append(1)``).
    """
    try:
        value = evaluate(copy.deepcopy(record))
    except RecordMappingError as error:
        return ("error", re.sub(r" at 0x[0-9a-f]+", "", str(error)))
    return ("value", type(value).__name__, re.sub(r" at 0x[0-9a-f]+", "", repr(value)))


def _reference(
    expression: Expression, record: dict[str, t.Any], base: dict[str, t.Any], path: tuple[str, ...]
) -> t.Any:
    """simpleeval, and the error the target wrote before expressions were compiled."""
    evaluator = Evaluator(functions=FUNCTIONS)
    evaluator.names = {**base, **record, "record": record, "_": record}
    try:
        return evaluator.eval(expression.source, previously_parsed=expression.tree)
    except Exception as error:
        names = evaluator.names
        null = sorted(n for n in expression.free_names() if n in names and names[n] is None)
        suffix = f" ({', '.join(null)} {'was' if len(null) == 1 else 'were'} null)" if null else ""
        raise RecordMappingError(
            f"{field_label(path)}: {expression.source!r} failed: "
            f"{type(error).__name__}: {error}{suffix}"
        ) from None


@pytest.mark.parametrize("expression", EXPRESSIONS, ids=lambda e: e.source[:60])
def test_a_compiled_expression_gives_simpleevals_value_or_error_for_every_record(
    expression: Expression,
) -> None:
    scope = Scope("corpus", _names(expression), {"plan": "pro", "nested": {"level": 2}})
    scope.open()
    compiled = Evaluated.compile(expression, scope)
    path = ("person", "email")
    for record in _records(expression):
        expected = _outcome(lambda r: _reference(expression, r, scope.base, path), record)
        got = _outcome(lambda r: compiled.evaluate(r, path), record)
        assert got == expected, record


def test_the_corpus_holds_the_readme_expressions_compiled_to_closures() -> None:
    readme = {
        "visitor_email.split('@')[-1]",
        "'MOBILE' if is_mobile else 'PC'",
        "visitor_email + '!'",
        "config['api_token']",
    }
    corpus = {expression.source: expression for expression in EXPRESSIONS}
    assert readme <= corpus.keys()
    assert all(
        compile_reader(source, corpus[source].tree, {}, FUNCTIONS) is not None for source in readme
    )


def test_an_expression_with_a_comprehension_is_left_to_simpleeval() -> None:
    expression = Expression.compile("[t.upper() for t in tags]", "corpus")
    assert compile_reader(expression.source, expression.tree, {"tags": None}, FUNCTIONS) is None
    stream = StreamSchema({"id": {"type": "integer"}, "tags": {"type": "array"}}, ("id",))
    spec = {
        "eventType": "'x'",
        "timestamp": "'2026-01-01T00:00:00Z'",
        "content": {"contentTitle": "'t'", "contentLabel": "[t.upper() for t in tags]"},
        "trackingId": "'t1'",
    }
    body = compile_stream_mapping("web", spec, stream).build({"id": 1, "tags": ["a", "b"]})
    assert body["content"]["contentLabel"] == ["A", "B"]


def test_a_failing_compiled_expression_names_the_field_and_the_null_property() -> None:
    stream = StreamSchema({"id": {"type": "integer"}, "visitor_email": {}}, ("id",))
    spec = {
        "eventType": "'x'",
        "timestamp": "'2026-01-01T00:00:00Z'",
        "content": {"contentTitle": "'t'"},
        "person": {"email": "visitor_email + '!'"},
    }
    with pytest.raises(RecordMappingError) as raised:
        compile_stream_mapping("web", spec, stream).build({"id": 1, "visitor_email": None})
    assert str(raised.value) == (
        "person.email: \"visitor_email + '!'\" failed: TypeError: unsupported operand "
        "type(s) for +: 'NoneType' and 'str' (visitor_email was null)"
    )

"""The mapping expression language: Meltano SDK stream-map syntax (simpleeval), parsed once.

A mapping's string leaves are expressions over a record's properties. This module parses
them, checks which names they read, and evaluates them per record, picking the cheapest way
to compute each (a literal, one property read, or simpleeval on a pre-parsed tree).
"""

from __future__ import annotations

import ast
import datetime as dt
import typing as t
from dataclasses import dataclass

import simpleeval
from singer_sdk.mapper import md5, sha256

from target_gong_di.encoding import JsonFunctions
from target_gong_di.exceptions import MappingConfigError, RecordMappingError
from target_gong_di.mapping.closures import RECORD_NAMES, Reader, compile_reader, resolve_name

FUNCTIONS: dict[str, t.Any] = {
    **simpleeval.DEFAULT_FUNCTIONS,
    "md5": md5,
    "sha256": sha256,
    "datetime": simpleeval.ModuleWrapper(dt),
    "bool": bool,
    "json": JsonFunctions,
}
"""The functions the SDK's stream maps offer, so expressions mean the same in both."""

CONTEXT_NAMES = frozenset(
    {"record", "_", "config", "__stream_name__", "__event_id_namespace__", "self"}
)
"""Names every expression may use besides the stream's properties and ``FUNCTIONS``."""


SECRET_WORDS = ("secret", "token", "password")
"""What in a key's name makes it look like a secret; such keys never reach expressions."""


def looks_secret(name: str) -> bool:
    """True for a key named like a secret (``acces_key_secret``, ``API_Token``).

    By name, not by the list of secret settings: a misspelled or unknown secret is not a
    setting the target knows, and must not become readable as ``config[...]`` either.
    """
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def without_secrets(value: t.Any) -> t.Any:
    """``value`` with every key that ``looks_secret``, at any depth, left out."""
    if isinstance(value, dict):
        return {
            key: without_secrets(item)
            for key, item in value.items()
            if not (isinstance(key, str) and looks_secret(key))
        }
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


def field_label(path: tuple[str, ...]) -> str:
    """A body field's dotted name for messages (``content.contentTitle``)."""
    return ".".join(path) or "(body)"


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

    def config_keys(self) -> set[str]:
        """Constant keys read from ``config``, at any depth: ``config['a']['b']``, ``.get('a')``."""
        keys = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Subscript):
                container, key = node.value, node.slice
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
            ):
                container, key = node.func.value, node.args[0]
            else:
                continue
            if (
                _root_name(container) == "config"
                and isinstance(key, ast.Constant)
                and isinstance(key.value, str)
            ):
                keys.add(key.value)
        return keys

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


def _root_name(node: ast.AST) -> str | None:
    """The name a chain of reads starts from: ``config`` for ``config['a'].get('b')``."""
    while True:
        if isinstance(node, (ast.Subscript, ast.Attribute)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return node.id if isinstance(node, ast.Name) else None


class Evaluator(simpleeval.EvalWithCompoundTypes):
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

    def _eval_attribute(self, node: ast.Attribute) -> t.Any:
        """``visitor_email.split`` is None when ``visitor_email`` is null.

        Null propagates through methods and attributes as through subscripts, so
        ``visitor_email.split('@')[-1]`` omits its leaf for a record with no email instead
        of failing it. The receiver is evaluated once and handed on as a constant.
        """
        receiver = self._eval(node.value)
        if receiver is None:
            return None
        return super()._eval_attribute(ast.Attribute(ast.Constant(receiver), node.attr))

    def _eval_call(self, node: ast.Call) -> t.Any:
        """A method of a null value (``None.split``, see above) returns null when called."""
        if isinstance(node.func, ast.Attribute):
            method = self._eval(node.func)
            if method is None:
                return None
            return method(
                *(self._eval(arg) for arg in node.args),
                **dict(self._eval(keyword) for keyword in node.keywords),
            )
        return super()._eval_call(node)


# Values: how a leaf expression is computed, from cheapest to most general. Most leaves in
# real mappings are quoted constants or bare property names; the rest are closures
# (``closures``) where they can be, simpleeval on the pre-parsed tree where not.


class Value(t.Protocol):
    """How one leaf is computed for a record; ``path`` names the field in errors."""

    def evaluate(self, record: dict[str, t.Any], path: tuple[str, ...]) -> t.Any:
        """The leaf's value for ``record`` (its dates parsed)."""
        ...


@dataclass(frozen=True)
class Literal:
    """An expression that is a Python literal (``'page viewed'``, ``['a', 'b']``, ``10``)."""

    value: t.Any

    def evaluate(self, record: dict[str, t.Any], path: tuple[str, ...]) -> t.Any:
        """See ``Value.evaluate``."""
        return self.value


@dataclass(frozen=True)
class PropertyRead:
    """An expression that is one property's name: read it, ``default`` when the record lacks it.

    ``default`` is what the name means without the record: null for a property, the
    ``config`` of expressions for a property named ``config``.
    """

    name: str
    default: t.Any = None

    def evaluate(self, record: dict[str, t.Any], path: tuple[str, ...]) -> t.Any:
        """See ``Value.evaluate``."""
        if self.name in RECORD_NAMES:
            return record
        return record.get(self.name, self.default)


class Scope:
    """What names mean in one stream's expressions, besides the record's own properties."""

    def __init__(
        self,
        stream_name: str,
        properties: t.Iterable[str],
        expression_config: dict[str, t.Any],
        event_id_namespace: str | None = None,
    ) -> None:
        self.base: dict[str, t.Any] = {
            **dict.fromkeys(properties),
            "config": expression_config,
            "__stream_name__": stream_name,
            "__event_id_namespace__": event_id_namespace or stream_name,
        }
        """Each property null, ``config``, ``__stream_name__`` and ``__event_id_namespace__``:
        the names a record may lack."""
        self._evaluator: Evaluator | None = None

    def open(self) -> None:
        """Make the simpleeval evaluator, once the stream's mapping is compiled.

        Not before: simpleeval adds ``list``, ``tuple``, ``dict`` and ``set`` to the
        ``FUNCTIONS`` it is given, which the names check of later mappings sees.
        """
        self._evaluator = Evaluator(functions=FUNCTIONS)

    def evaluate(self, expression: Expression, record: dict[str, t.Any]) -> t.Any:
        """``expression`` for ``record``, by simpleeval."""
        evaluator = t.cast("Evaluator", self._evaluator)
        evaluator.names = {**self.base, **record, "record": record, "_": record}
        return evaluator.eval(expression.source, previously_parsed=expression.tree)


@dataclass(frozen=True)
class Evaluated:
    """Any other expression: its closure (``closures``), else simpleeval on the parsed tree."""

    expression: Expression
    scope: Scope | None = None
    """None when the mapping is only checked, never built (no stream SCHEMA yet)."""
    reader: Reader | None = None

    @classmethod
    def compile(cls, expression: Expression, scope: Scope | None) -> Evaluated:
        """The closure of ``expression`` where it has one."""
        if scope is None:
            return cls(expression)
        reader = compile_reader(expression.source, expression.tree, scope.base, FUNCTIONS)
        return cls(expression, scope, reader)

    def evaluate(self, record: dict[str, t.Any], path: tuple[str, ...]) -> t.Any:
        """See ``Value.evaluate``; an exception fails the record, naming the field."""
        scope = t.cast("Scope", self.scope)
        try:
            if self.reader is not None:
                return self.reader(record)
            return scope.evaluate(self.expression, record)
        except Exception as error:
            raise self.failure(record, error, path) from None

    def failure(
        self, record: dict[str, t.Any], error: Exception, path: tuple[str, ...]
    ) -> RecordMappingError:
        """How ``record`` fails the expression: the field, the expression, the null names."""
        scope = t.cast("Scope", self.scope)
        return RecordMappingError(
            f"{field_label(path)}: {self.expression.source!r} failed: "
            f"{type(error).__name__}: {error}{self._null_names(record, scope)}"
        )

    def _null_names(self, record: dict[str, t.Any], scope: Scope) -> str:
        """Which names the expression read were null: the usual cause of a failure."""
        null = []
        for name in sorted(self.expression.free_names()):
            try:
                value = resolve_name(name, record, scope.base)
            except KeyError:
                continue
            if value is None:
                null.append(name)
        return f" ({', '.join(null)} {'was' if len(null) == 1 else 'were'} null)" if null else ""

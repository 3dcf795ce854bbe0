"""Expressions compiled into closures over simpleeval's parsed tree: one Python call per node.

simpleeval walks the tree of an expression for every record: a dictionary dispatch, a
method call and a safety hook per node, and a names dictionary built per record. Here each
node becomes a closure once per stream, with whatever can be known then (the operator, the
function, which names are properties, the refusals simpleeval raises) looked up then, so a
record only pays for the work its expression does. The semantics are the ``Evaluator``'s
(``expressions``), step for step and with the same exceptions and texts;
``tests/unit/test_compiled_expressions.py`` runs both on every expression of the README and
the tests. A tree with a node not compiled here (comprehensions, lambdas, ``*`` outside a
list) is left to simpleeval whole (``compile_reader`` returns None).
"""

from __future__ import annotations

import ast
import contextlib
import types
import typing as t

import simpleeval

Reader = t.Callable[[dict[str, t.Any]], t.Any]
"""An expression's value for one record (the record as the sink got it, dates parsed)."""

RECORD_NAMES = ("record", "_")
"""Names that always mean the whole record, whatever its properties are called."""


class Unsupported(Exception):
    """A node this module does not compile: simpleeval evaluates the whole expression."""


def resolve_name(name: str, record: dict[str, t.Any], base: dict[str, t.Any]) -> t.Any:
    """What ``name`` means for ``record``: the ``Evaluator``'s names, without building them.

    Its names are ``{**base, **record, "record": record, "_": record}``; ``KeyError`` when
    the name is none of them.
    """
    if name in RECORD_NAMES:
        return record
    if name in record:
        return record[name]
    return base[name]


def _too_long(value: t.Any) -> bool:
    """True for a literal (or a receiver) longer than simpleeval evaluates."""
    return hasattr(value, "__len__") and len(value) > simpleeval.MAX_STRING_LENGTH


def _raising(error: Exception) -> Reader:
    """A reader that raises ``error`` where simpleeval raises it: when the node is reached."""

    def read(record: dict[str, t.Any]) -> t.Any:
        raise error

    return read


def _constant(value: t.Any) -> Reader:
    return lambda record: value


class _Compiler:
    """Turns one expression's tree into nested closures."""

    def __init__(self, source: str, base: dict[str, t.Any], functions: dict[str, t.Any]) -> None:
        self.source = source
        self.base = base
        self.functions = functions
        self.operators = simpleeval.DEFAULT_OPERATORS  # what the Evaluator copies
        self.index_fallback = simpleeval.ATTR_INDEX_FALLBACK

    def compile(self, node: ast.AST) -> Reader:
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is None:
            raise Unsupported(type(node).__name__)
        return t.cast("Reader", method(node))

    def _expr(self, node: ast.Expr) -> Reader:
        return self.compile(node.value)

    def _constant(self, node: ast.Constant) -> Reader:
        value: t.Any = node.value
        if _too_long(value):
            return _raising(
                simpleeval.IterableTooLong(
                    f"Literal in statement is too long! ({len(value)}, when "
                    f"{simpleeval.MAX_STRING_LENGTH} is max)"
                )
            )
        return _constant(value)

    def _name(self, node: ast.Name) -> Reader:
        name = node.id
        if name in RECORD_NAMES:
            return lambda record: record
        if name in self.base or name in self.functions:
            default = self.base[name] if name in self.base else self.functions[name]
            return lambda record: record.get(name, default)
        source = self.source

        def read(record: dict[str, t.Any]) -> t.Any:
            if name in record:
                return record[name]
            raise simpleeval.NameNotDefined(name, source)

        return read

    def _subscript(self, node: ast.Subscript) -> Reader:
        """Null-safe, as ``Evaluator._eval_subscript``: a null container reads as null."""
        container_of = self.compile(node.value)
        key_of = self.compile(node.slice)
        if isinstance(node.slice, ast.Constant):
            key = node.slice.value  # no per-record work to find it
            if not _too_long(key):

                def read_constant_key(record: dict[str, t.Any]) -> t.Any:
                    container = container_of(record)
                    if container is None:
                        return None
                    if isinstance(container, dict):
                        return container.get(key)
                    return container[key]

                return read_constant_key

        def read(record: dict[str, t.Any]) -> t.Any:
            container = container_of(record)
            if container is None:
                return None
            key = key_of(record)
            if isinstance(container, dict):
                return container.get(key)
            return container[key]

        return read

    def _slice(self, node: ast.Slice) -> Reader:
        lower = self.compile(node.lower) if node.lower is not None else _constant(None)
        upper = self.compile(node.upper) if node.upper is not None else _constant(None)
        step = self.compile(node.step) if node.step is not None else _constant(None)
        return lambda record: slice(lower(record), upper(record), step(record))

    def _attribute(self, node: ast.Attribute) -> Reader:
        """Null-safe, as ``Evaluator._eval_attribute``, then simpleeval's own checks in order."""
        receiver_of = self.compile(node.value)
        attr = node.attr
        refusal: Exception | None = None
        for prefix in simpleeval.DISALLOW_PREFIXES:
            if attr.startswith(prefix):
                refusal = simpleeval.FeatureNotAvailable(
                    f"Sorry, access to __attributes  or func_ attributes is not available. ({attr})"
                )
                break
        if refusal is None and attr in simpleeval.DISALLOW_METHODS:
            refusal = simpleeval.FeatureNotAvailable(
                f"Sorry, this method is not available. ({attr})"
            )
        index_fallback = self.index_fallback
        source = self.source
        max_length = simpleeval.MAX_STRING_LENGTH

        def read(record: dict[str, t.Any]) -> t.Any:
            receiver = receiver_of(record)
            if receiver is None:
                return None
            if refusal is not None:
                raise refusal
            if _too_long(receiver):
                raise simpleeval.IterableTooLong(
                    f"Literal in statement is too long! ({len(receiver)}, when {max_length} is max)"
                )
            item = _NOT_FOUND
            try:
                item = getattr(receiver, attr)
            except (AttributeError, TypeError):
                if index_fallback:
                    with contextlib.suppress(KeyError, TypeError):
                        item = receiver[attr]
            if item is not _NOT_FOUND:
                if isinstance(item, types.ModuleType):
                    raise simpleeval.FeatureNotAvailable(
                        "Sorry, modules are not allowed in attribute access"
                    )
                if callable(item) and item in simpleeval.DISALLOW_FUNCTIONS:
                    raise simpleeval.FeatureNotAvailable("This function is forbidden")
                return item
            raise simpleeval.AttributeDoesNotExist(attr, source)

        return read

    def _call(self, node: ast.Call) -> Reader:
        args = [self.compile(arg) for arg in node.args]
        keywords = [self.compile(keyword) for keyword in node.keywords]
        if isinstance(node.func, ast.Attribute):
            return self._method_call(self.compile(node.func), args, keywords)
        if not isinstance(node.func, ast.Name):
            return _raising(simpleeval.FeatureNotAvailable("Lambda Functions not implemented"))
        try:
            function = self.functions[node.func.id]
        except KeyError:
            return _raising(simpleeval.FunctionNotDefined(node.func.id, self.source))
        if function in simpleeval.DISALLOW_FUNCTIONS:
            return _raising(simpleeval.FeatureNotAvailable("This function is forbidden"))
        if keywords:
            return lambda record: function(
                *(arg(record) for arg in args), **dict(keyword(record) for keyword in keywords)
            )
        if len(args) == 1:
            (only,) = args
            return lambda record: function(only(record))
        return lambda record: function(*(arg(record) for arg in args))

    @staticmethod
    def _method_call(method_of: Reader, args: list[Reader], keywords: list[Reader]) -> Reader:
        """A method of a null value returns null when called (``Evaluator._eval_call``)."""
        if keywords:

            def call_with_keywords(record: dict[str, t.Any]) -> t.Any:
                method = method_of(record)
                if method is None:
                    return None
                return method(
                    *(arg(record) for arg in args),
                    **dict(keyword(record) for keyword in keywords),
                )

            return call_with_keywords
        if len(args) == 1:
            (only,) = args

            def call_with_one(record: dict[str, t.Any]) -> t.Any:
                method = method_of(record)
                if method is None:
                    return None
                return method(only(record))

            return call_with_one

        def call(record: dict[str, t.Any]) -> t.Any:
            method = method_of(record)
            if method is None:
                return None
            return method(*(arg(record) for arg in args))

        return call

    def _keyword(self, node: ast.keyword) -> Reader:
        value_of = self.compile(node.value)
        name = node.arg
        return lambda record: (name, value_of(record))

    def _operator(self, node_op: ast.AST) -> t.Callable[..., t.Any] | None:
        return self.operators.get(type(node_op))

    def _unaryop(self, node: ast.UnaryOp) -> Reader:
        operator = self._operator(node.op)
        if operator is None:
            return _raising(simpleeval.OperatorNotDefined(node.op, self.source))
        operand = self.compile(node.operand)
        return lambda record: operator(operand(record))

    def _binop(self, node: ast.BinOp) -> Reader:
        operator = self._operator(node.op)
        if operator is None:
            return _raising(simpleeval.OperatorNotDefined(node.op, self.source))
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda record: operator(left(record), right(record))

    def _boolop(self, node: ast.BoolOp) -> Reader:
        values = [self.compile(value) for value in node.values]
        if isinstance(node.op, ast.And):

            def all_of(record: dict[str, t.Any]) -> t.Any:
                result: t.Any = False
                for value in values:
                    result = value(record)
                    if not result:
                        break
                return result

            return all_of

        def any_of(record: dict[str, t.Any]) -> t.Any:
            result: t.Any = False
            for value in values:
                result = value(record)
                if result:
                    break
            return result

        return any_of

    def _compare(self, node: ast.Compare) -> Reader:
        first = self.compile(node.left)
        steps = []
        for operation, comparator in zip(node.ops, node.comparators, strict=True):
            operator = self._operator(operation)
            if operator is None:
                raise Unsupported(type(operation).__name__)
            steps.append((operator, self.compile(comparator)))
        if len(steps) == 1:
            ((operator, second),) = steps
            return lambda record: operator(first(record), second(record))

        def chain(record: dict[str, t.Any]) -> t.Any:
            right = first(record)
            result: t.Any = True
            for operator, comparator in steps:
                if not result:
                    break
                left, right = right, comparator(record)
                result = operator(left, right)
            return result

        return chain

    def _ifexp(self, node: ast.IfExp) -> Reader:
        test, body = self.compile(node.test), self.compile(node.body)
        orelse = self.compile(node.orelse)
        return lambda record: body(record) if test(record) else orelse(record)

    def _dict(self, node: ast.Dict) -> Reader:
        pairs = [
            (None if key is None else self.compile(key), self.compile(value))
            for key, value in zip(node.keys, node.values, strict=True)
        ]

        def build(record: dict[str, t.Any]) -> dict[t.Any, t.Any]:
            result: dict[t.Any, t.Any] = {}
            for key, value in pairs:
                if key is None:
                    result.update(value(record))
                else:
                    result[key(record)] = value(record)
            return result

        return build

    def _list(self, node: ast.List) -> Reader:
        items = [
            (True, self.compile(item.value))
            if isinstance(item, ast.Starred)
            else (False, self.compile(item))
            for item in node.elts
        ]

        def build(record: dict[str, t.Any]) -> list[t.Any]:
            result: list[t.Any] = []
            for starred, item in items:
                if starred:
                    result.extend(item(record))
                else:
                    result.append(item(record))
            return result

        return build

    def _tuple(self, node: ast.Tuple) -> Reader:
        items = [self.compile(item) for item in node.elts]
        return lambda record: tuple(item(record) for item in items)

    def _set(self, node: ast.Set) -> Reader:
        items = [self.compile(item) for item in node.elts]
        return lambda record: {item(record) for item in items}

    def _joinedstr(self, node: ast.JoinedStr) -> Reader:
        parts = [self.compile(part) for part in node.values]
        max_length = simpleeval.MAX_STRING_LENGTH

        def join(record: dict[str, t.Any]) -> str:
            texts = []
            for part in parts:
                text = str(part(record))
                if len(text) > max_length:  # simpleeval checks each part alone
                    raise simpleeval.IterableTooLong(
                        "Sorry, I will not evaluate something this long."
                    )
                texts.append(text)
            return "".join(texts)

        return join

    def _formattedvalue(self, node: ast.FormattedValue) -> Reader:
        """As simpleeval: the format spec applies, a conversion (``!r``) does not."""
        value_of = self.compile(node.value)
        if not node.format_spec:
            return value_of
        spec_of = self.compile(node.format_spec)
        return lambda record: ("{:" + spec_of(record) + "}").format(value_of(record))


_NOT_FOUND = object()


def compile_reader(
    source: str, tree: ast.AST, base: dict[str, t.Any], functions: dict[str, t.Any]
) -> Reader | None:
    """``tree`` (of ``source``) as one closure; None when simpleeval must evaluate it.

    ``base`` is what names mean when the record lacks them (each property null, ``config``,
    ``__stream_name__``); ``functions`` are the ``Evaluator``'s, its operators simpleeval's
    defaults, as an ``Evaluator`` made with no operators has.
    """
    try:
        return _Compiler(source, base, functions).compile(tree)
    except Unsupported:
        return None

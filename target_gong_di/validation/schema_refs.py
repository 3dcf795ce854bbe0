"""Which ``$ref`` a tap's SCHEMA may use: only references inside the SCHEMA itself.

jsonschema and fastjsonschema both resolve any other ``$ref`` themselves, over HTTP or from
``file://``, while the target reads; a host that never answers hangs the run, and a tap's
output could make the target reach any address or file it can. ``check_references`` runs
before either sees a SCHEMA: a ``$ref`` that is not a fragment of the SCHEMA (``#/...``,
into ``definitions`` or ``$defs``, or a ``#name`` anchor), one that points at nothing in it,
or a chain of them that leads back to itself without descending into the record (which
would recurse for ever) refuses the stream, naming it and the ``$ref``.
"""

from __future__ import annotations

import typing as t

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema

from target_gong_di.exceptions import StreamSchemaError

if t.TYPE_CHECKING:
    from referencing._core import Resolver  # (only referencing.Registry's type exports it)

REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
"""Keywords whose value is a reference to be resolved (drafts 4 to 2020-12)."""

IN_PLACE_KEYWORDS = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
"""Keywords that apply their subschemas to the same value, not to a part of it: a loop
through them and ``$ref`` never reaches the end of the record."""

VALUE_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
"""Keywords whose value is data, not a schema: a ``$ref`` key in there refers to nothing."""

Path = tuple[str | int, ...]


def _nodes(node: object, path: Path = ()) -> t.Iterator[tuple[Path, dict[str, t.Any]]]:
    """Every object in the SCHEMA with its path from the root, except data in it."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key not in VALUE_KEYWORDS:
                yield from _nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, (*path, index))


def _where(path: Path) -> str:
    return "/".join(map(str, path)) or "(root)"


def strings_under(node: object, keys: frozenset[str]) -> t.Iterator[str]:
    """Every string value of a key in ``keys``, anywhere, data included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys and isinstance(value, str):
                yield value
            yield from strings_under(value, keys)
    elif isinstance(node, list):
        for value in node:
            yield from strings_under(value, keys)


def compiles_without_fetching(schema: dict[str, t.Any]) -> bool:
    """True when fastjsonschema can compile the SCHEMA without reaching out of it.

    fastjsonschema resolves every ``$ref`` key it finds, even in a ``default``, and looks
    references up by URL under an ``$id``/``id``; it may compile a SCHEMA only when every
    such key is a fragment of the SCHEMA and none sets a base URI. Others are checked by
    jsonschema alone, which is given no way to fetch anything.
    """
    if any(strings_under(schema, frozenset({"$id", "id"}))):
        return False
    references = strings_under(schema, frozenset(REFERENCE_KEYWORDS))
    return all(reference.startswith("#") for reference in references)


def _target(stream_name: str, resolver: Resolver[t.Any], at: Path, reference: object) -> object:
    """What ``reference`` (found at ``at``) points at inside the SCHEMA, or refuse the stream.

    ``resolver`` holds the SCHEMA alone and cannot retrieve anything else.
    """
    if not isinstance(reference, str) or not reference.startswith("#"):
        raise StreamSchemaError(
            f"its SCHEMA has $ref {reference!r} at {_where(at)}, "
            "which is not inside the SCHEMA; only references inside it (#/..., definitions, "
            "$defs) are resolved: the target never fetches a URL or reads a file a SCHEMA "
            "names. Fix the tap's schema (inline what it refers to)",
            stream=stream_name,
        )
    try:
        return resolver.lookup(reference).contents
    except referencing.exceptions.Unresolvable:
        raise StreamSchemaError(
            f"its SCHEMA has $ref {reference!r} at {_where(at)}, "
            "which points at nothing in the SCHEMA; fix the tap's schema",
            stream=stream_name,
        ) from None


def _in_place_children(path: Path, node: dict[str, t.Any]) -> t.Iterator[Path]:
    for keyword in IN_PLACE_KEYWORDS:
        value = node.get(keyword)
        if isinstance(value, dict):
            yield (*path, keyword)
        elif isinstance(value, list):
            yield from ((*path, keyword, index) for index in range(len(value)))


def check_references(
    stream_name: str, schema: dict[str, t.Any], draft: type[jsonschema.protocols.Validator]
) -> None:
    """Refuse a stream whose SCHEMA refers outside itself, to nothing, or round in a loop.

    Every reference must stay in the SCHEMA, and none may lead back to itself without
    descending into the record (``StreamSchemaError`` otherwise). References are looked
    up as ``draft`` reads them (``#name`` anchors differ by draft).
    """
    nodes = dict(_nodes(schema))
    path_of = {id(node): path for path, node in nodes.items()}
    specification = referencing.jsonschema.specification_with(
        draft.META_SCHEMA["$schema"], default=referencing.jsonschema.DRAFT202012
    )
    resolver = referencing.Registry().resolver_with_root(specification.create_resource(schema))
    references: dict[Path, list[tuple[str, Path]]] = {}
    has_references = any(
        keyword in node and not isinstance(node[keyword], dict)
        for node in nodes.values()
        for keyword in REFERENCE_KEYWORDS
    )
    for path, node in nodes.items():
        if has_references and path and isinstance(node.get("$id"), str):
            # A nested $id is a new base for the references under it: they would resolve
            # against a URL, not against this SCHEMA.
            raise StreamSchemaError(
                f"its SCHEMA sets $id {node['$id']!r} at {_where(path)}, a new base for its "
                "$refs; only references inside the SCHEMA are resolved: remove the nested $id",
                stream=stream_name,
            )
        for keyword in REFERENCE_KEYWORDS:
            # An object there is a subschema named "$ref" (a property, a definition).
            if keyword in node and not isinstance(node[keyword], dict):
                reference = node[keyword]
                target = _target(stream_name, resolver, path, reference)
                if id(target) in path_of:  # (a boolean schema leads nowhere further)
                    references.setdefault(path, []).append((reference, path_of[id(target)]))

    def steps(path: Path) -> t.Iterator[Path]:
        """Where validating the value at ``path`` goes next without descending into it."""
        yield from (target for _, target in references.get(path, ()))
        if path in nodes:
            yield from _in_place_children(path, nodes[path])

    finished: set[Path] = set()
    for start in nodes:
        _refuse_loop_from(stream_name, start, steps, references, finished)


def _refuse_loop_from(
    stream_name: str,
    start: Path,
    steps: t.Callable[[Path], t.Iterator[Path]],
    references: dict[Path, list[tuple[str, Path]]],
    finished: set[Path],
) -> None:
    """Depth-first from ``start``, iteratively: a deep SCHEMA must not recurse here either."""
    if start in finished:
        return
    chain: list[Path] = [start]
    on_chain = {start}
    pending: list[t.Iterator[Path]] = [steps(start)]
    while pending:
        following = next(pending[-1], None)
        if following is None:
            pending.pop()
            done = chain.pop()
            on_chain.discard(done)
            finished.add(done)
            continue
        if following in on_chain:
            loop = [*chain[chain.index(following) :], following]
            reference = next(ref for path in loop for ref, _ in references.get(path, ()))
            raise StreamSchemaError(
                f"its SCHEMA's $ref {reference!r} leads back to "
                f"itself ({' -> '.join(map(_where, loop))}) without descending into the "
                "record, so checking a record would never end; fix the tap's schema",
                stream=stream_name,
            )
        if following not in finished:
            chain.append(following)
            on_chain.add(following)
            pending.append(steps(following))

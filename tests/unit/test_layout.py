"""The package's plan, kept: stages in layers, each importing only the ones below it.

A newcomer reads the flow from the layout (``validation`` → ``mapping`` → ``ledger`` →
``settings`` → ``delivery`` → ``run`` → ``commands`` → ``target``), so an import that goes
up a layer is a defect even when it happens to work.
"""

from __future__ import annotations

import ast
import typing as t
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "target_gong_di"
LAYERS = [
    "base",
    "validation",
    "mapping",
    "ledger",
    "settings",
    "delivery",
    "run",
    "commands",
    "top",
]
"""Lowest first: a module may import its own layer and any below it."""
BASE = {"exceptions", "encoding", "redaction", "sdk_hooks", "stop"}
TOP = {"target", "sinks", "__main__"}
SETTINGS = {"setting_schema", "settings", "setting_checks", "setting_auth"}
"""The settings layer's top-level modules: their declarations, the typed settings, the rules
they are checked by, and the auth kinds with the credential each builds."""
SANDBOX_MAY_IMPORT = {"base", "validation", "sandbox"}
MAX_LINES = 450


def layer(module: str) -> str:
    """The layer of ``target_gong_di.<first>...``: a subpackage, or a top-level module's."""
    first = module.split(".")[1] if "." in module else "__init__"
    if first in BASE or first == "__init__":
        return "base"
    if first in TOP:
        return "top"
    if first in SETTINGS:
        return "settings"
    return first


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def imported(path: Path) -> list[str]:
    """Every ``target_gong_di`` module ``path`` imports, type-checking imports included."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("target_gong_di"):
            if node.module == "target_gong_di":
                names += [f"target_gong_di.{alias.name}" for alias in node.names]
            else:
                names.append(t.cast("str", node.module))
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names if a.name.startswith("target_gong_di")]
    return names


@pytest.mark.parametrize(("module", "path"), modules(), ids=[name for name, _ in modules()])
def test_a_module_imports_only_its_layer_and_those_below(module: str, path: Path) -> None:
    mine = layer(module)
    for other in imported(path):
        theirs = layer(other)
        if mine == "sandbox":
            assert theirs in SANDBOX_MAY_IMPORT, f"{module} imports {other}"
        else:
            assert theirs != "sandbox", f"{module} imports the sandbox ({other})"
            assert LAYERS.index(theirs) <= LAYERS.index(mine), f"{module} imports up: {other}"


@pytest.mark.parametrize(("module", "path"), modules(), ids=[name for name, _ in modules()])
def test_no_module_is_longer_than_a_newcomer_reads_at_once(module: str, path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES, module


def test_every_subpackage_says_what_it_owns_and_what_it_may_import() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "Owns" in docstring, init.parent.name
        assert "mport" in docstring, init.parent.name


def test_every_subpackage_is_a_layer() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        assert init.parent.name in {*LAYERS, "sandbox"}, init.parent.name


def subpackage(module: str) -> str | None:
    """The subpackage ``target_gong_di.<sub>.<module>`` belongs to; None for a top module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


@pytest.mark.parametrize(("module", "path"), modules(), ids=[name for name, _ in modules()])
def test_another_stage_is_reached_only_through_its_public_surface(module: str, path: Path) -> None:
    """``from target_gong_di.ledger import open_ledger``, never ``ledger.store``, from outside."""
    mine = subpackage(module) or (module.split(".")[1] if "." in module else None)
    for other in imported(path):
        theirs = subpackage(other)
        if theirs is not None and theirs != mine:
            assert other == f"target_gong_di.{theirs}", f"{module} reaches into {other}"

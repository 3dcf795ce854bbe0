"""The test suite keeps its own layout: helpers in tests/support, unit tests start nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
PROCESS_MODULES = {"subprocess", "psycopg", "postgres_server", "processes", "meltano_project"}
"""What a unit test may not import: each starts a process or needs a PostgreSQL server."""
PROCESS_FIXTURES = {"run_target", "postgres_url", "ledger_url", "shared_ledger_url"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def fixtures_asked_for(path: Path) -> set[str]:
    return {
        argument.arg
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        for argument in node.args.args
    }


@pytest.mark.parametrize(
    "path", sorted(TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS))
)
def test_no_module_imports_a_test_module_or_conftest(path):
    wrong = {name for name in imported(path) if name.startswith("test_") or name == "conftest"}
    assert wrong == set()


@pytest.mark.parametrize("path", sorted((TESTS / "unit").glob("test_*.py")), ids=lambda p: p.name)
def test_a_unit_test_module_starts_no_process_and_needs_no_postgresql(path):
    assert imported(path) & PROCESS_MODULES == set()
    assert fixtures_asked_for(path) & PROCESS_FIXTURES == set()


def test_every_test_module_is_a_unit_or_a_process_test():
    assert sorted(path.name for path in TESTS.glob("test_*.py")) == []

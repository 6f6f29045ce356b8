"""The sandbox keeps to the adapter boundaries: what it reuses of another adapter comes through
that adapter's package (its public names), and its migration imports no application code."""

from __future__ import annotations

import ast
from pathlib import Path

import billing.adapters.sandbox as sandbox
import billing.adapters.sql as sql
from billing.adapters.sql.migrations import versions

SANDBOX = Path(sandbox.__file__).parent
MIGRATION = Path(versions.__file__).parent / "0002_sandbox_provider.py"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_sandbox_imports_other_adapters_only_by_their_package() -> None:
    reached_in: set[tuple[str, str]] = set()
    for path in sorted(SANDBOX.glob("*.py")):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[:2] == ["billing", "adapters"] and len(parts) > 3 and parts[2] != "sandbox":
                reached_in.add((path.name, module))

    assert not reached_in


def test_the_sandbox_migration_imports_no_application_code() -> None:
    modules = imported_modules(MIGRATION)

    assert modules, "the migration was not parsed"
    assert not {m for m in modules if m == "billing" or m.startswith("billing.")}


def test_the_sandbox_tables_are_on_the_metadata_the_migrations_are_compared_with() -> None:
    assert {table.name for table in sandbox.TABLES} <= set(sql.metadata.tables)
    assert all(table.metadata is sql.metadata for table in sandbox.TABLES)

"""Throw-away SQL databases for the storage tests: SQLite files and private PostgreSQL schemas.

PostgreSQL tests share the server's ``test`` database with other suites, so each test session
works in its own schema (``billing_test_<random>``, reached through ``search_path``) and drops
it at the end; parallel runs never see each other's rows.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from billing.adapters.sql import make_engine, metadata, upgrade


@contextmanager
def postgres_schema(url: str, *, migrate: bool = True) -> Iterator[Engine]:
    """An engine whose connections work in a fresh schema, migrated unless told otherwise."""
    schema = f"billing_test_{secrets.token_hex(6)}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        if migrate:
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row (children first), keeping the schema."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names}"))
        else:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())


def migrated_sqlite_template(directory: Path) -> Path:
    """A SQLite file migrated to head, to copy for each test (migrating is the slow part)."""
    path = directory / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # closing the last connection folds the WAL back into the file
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    """The URL of a fresh copy of ``template`` in ``directory``."""
    target = directory / "billing.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"

"""Alembic environment: runs the migrations on the connection ``billing.adapters.sql.migrate``
hands over (or on an engine made from the configured URL, for the ``alembic`` command)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import billing.adapters.sandbox
from billing.adapters.sql.engine import make_engine
from billing.adapters.sql.tables import metadata

config = context.config

# What autogenerate compares the database with: every table the package declares. The sandbox
# provider declares its own (migration 0002) on the same ``MetaData``; importing its package, by
# its public name, registers them, so a new revision never proposes to drop them.
assert billing.adapters.sandbox.TABLES[0].metadata is metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("billing migrations run online only: use `billing db upgrade`")
run_migrations_online()

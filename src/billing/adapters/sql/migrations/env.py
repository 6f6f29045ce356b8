"""Alembic environment: runs the migrations on the connection ``billing.adapters.sql.migrate``
hands over (or on an engine made from the configured URL, for the ``alembic`` command)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from billing.adapters.sql.engine import make_engine
from billing.adapters.sql_common import registered_tables

config = context.config

# What autogenerate compares the database with: every table the package declares. Each adapter
# with tables (this one, the sandbox: migration 0002) registers its module under the
# ``billing.tables`` entry points, so a new revision never proposes to drop them and this
# adapter imports no other.
metadata = registered_tables()


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

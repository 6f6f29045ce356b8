"""Schema migrations: Alembic scripts shipped inside the package, applied by ``upgrade``."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from .engine import make_engine
from .errors import translated

SCRIPT_LOCATION = "billing.adapters.sql:migrations"


def alembic_config(database_url: str = "") -> Config:
    """The Alembic configuration of the packaged migrations (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database: str | Engine, revision: str = "head") -> None:
    """Bring the database at ``database`` (a URL or an engine) up to ``revision``, in one
    transaction; StorageUnavailable when it cannot be reached."""
    engine = make_engine(database) if isinstance(database, str) else database
    try:
        with translated(connecting=True):
            connection = engine.connect()
        with connection, connection.begin():
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if isinstance(database, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()

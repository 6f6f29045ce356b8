"""The one ``MetaData`` of every adapter that keeps tables in the billing database.

The SQL adapter's tables and the sandbox's are declared on it, so that Alembic's autogenerate
compares the database with all of them (``registered_tables``).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: Entry points naming the modules that declare tables on ``metadata``: each adapter with
#: tables registers its own (pyproject.toml), so none has to import another to be migrated.
TABLES_GROUP = "billing.tables"


def registered_tables() -> MetaData:
    """``metadata`` with the tables of every registered module declared on it."""
    for entry in entry_points(group=TABLES_GROUP):
        import_module(entry.value)
    return metadata

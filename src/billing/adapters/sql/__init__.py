"""SQL storage: the unit of work and repositories on SQLAlchemy 2, for SQLite and PostgreSQL.

Public API:

- ``make_engine(url)``, ``SqlUnitOfWorkFactory(engine)`` (or ``.from_url(url)``)
- ``upgrade(url_or_engine)``: apply the packaged Alembic migrations
- ``diagnose(url)``: why a database cannot be used (``DatabaseProblem``), or None
- ``load_catalog(uow_factory, path)``, ``demo_catalog_path()``
- ``metadata`` and ``UtcDateTime`` (from ``billing.adapters.sql_common``, where an adapter
  that keeps its own tables in the same database finds them)
"""

from billing.adapters.sql_common import UtcDateTime, metadata

from .catalog_file import InvalidCatalog, demo_catalog_path, load_catalog, read_catalog
from .engine import DEFAULT_DATABASE_URL, make_engine
from .errors import DuplicateRecord, IntegrityViolation, TransientConflict, is_transient
from .migrate import upgrade
from .probe import DatabaseProblem, diagnose
from .unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DatabaseProblem",
    "DuplicateRecord",
    "IntegrityViolation",
    "InvalidCatalog",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "TransientConflict",
    "UtcDateTime",
    "demo_catalog_path",
    "diagnose",
    "is_transient",
    "load_catalog",
    "make_engine",
    "metadata",
    "read_catalog",
    "upgrade",
]

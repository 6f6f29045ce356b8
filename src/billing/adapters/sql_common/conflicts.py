"""Which database errors are transient conflicts: running the transaction again may succeed.

PostgreSQL's serialization failure (40001) and deadlock (40P01), SQLite's "database is locked".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc

TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
SQLITE_BUSY_MESSAGES = ("database is locked", "database is busy", "database table is locked")


def sqlstate(error: exc.DBAPIError) -> str | None:
    state: Any = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return state if isinstance(state, str) else None


def is_transient_conflict(error: BaseException) -> bool:
    """Whether the driver's ``error`` is a conflict that running the transaction again may
    resolve."""
    if not isinstance(error, exc.DBAPIError):
        return False
    if sqlstate(error) in TRANSIENT_SQLSTATES:
        return True
    text = str(error.orig).lower()
    return isinstance(error, exc.OperationalError) and any(m in text for m in SQLITE_BUSY_MESSAGES)

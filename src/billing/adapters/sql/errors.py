"""Database errors translated into the domain's terms, so none escapes the adapter raw.

- a unique or foreign-key violation → ``DuplicateRecord`` / ``IntegrityViolation``, both
  ``InvalidInput``
- a transient conflict — PostgreSQL serialization failure (40001) or deadlock (40P01), SQLite
  "database is locked" — → ``TransientConflict``: running the whole use case again may succeed
  (``billing.retry.retry_on_conflict`` does that)
- a database that cannot be reached, or that did not answer within its time budget (a
  statement or lock timeout, a connection given up by ``budgets.py``) → ``StorageUnavailable``
  (HTTP answers 503)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from billing.adapters.sql_common import is_transient_conflict
from billing.adapters.sql_common import sqlstate as _sqlstate
from billing.domain.errors import DuplicateRecord as DomainDuplicateRecord
from billing.domain.errors import InvalidInput, StorageConflict, StorageUnavailable

UNIQUE_VIOLATION = "23505"
# 08xxx: connection exceptions; 57P01-57P03: server shutting down or starting up.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
# 57014: statement_timeout (or a cancel); 55P03: lock_timeout. Retrying at once would only
# wait as long again, past the request's budget: the caller asks again later (503).
TIMEOUT_SQLSTATES = frozenset({"57014", "55P03"})


class TransientConflict(StorageConflict):
    """A concurrent transaction got in the way; the whole use case may be run again."""


class IntegrityViolation(InvalidInput):
    code = "integrity_violation"


class DuplicateRecord(IntegrityViolation, DomainDuplicateRecord):
    """A unique constraint refused a row: the record already exists."""

    code = "duplicate_record"


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` is a conflict that running the transaction again may resolve."""
    return isinstance(error, TransientConflict) or is_transient_conflict(error)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached (or the connection was lost)."""
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = _sqlstate(error)
    if state is not None:
        return state.startswith("08") or state in UNAVAILABLE_SQLSTATES
    if isinstance(error, exc.InterfaceError):
        return True
    # psycopg reports a failed connection attempt as an OperationalError without SQLSTATE;
    # SQLite reports files it cannot open the same way.
    text = str(error.orig).lower()
    return isinstance(error, exc.OperationalError) and (
        "connection" in text or "unable to open database" in text
    )


def translate(error: exc.SQLAlchemyError, *, connecting: bool = False) -> Exception | None:
    """The domain error for a database error, or None when it should surface unchanged."""
    if is_transient(error):
        return TransientConflict("the database was busy with a concurrent change; try again")
    if isinstance(error, exc.IntegrityError):
        if _sqlstate(error) == UNIQUE_VIOLATION or "unique constraint" in str(error.orig).lower():
            return DuplicateRecord("a record with the same unique key already exists")
        return IntegrityViolation(f"the database refused the change: {error.orig}")
    if connecting and isinstance(error, exc.DBAPIError | exc.TimeoutError):
        return StorageUnavailable("the database cannot be reached")
    if isinstance(error, exc.DBAPIError) and _sqlstate(error) in TIMEOUT_SQLSTATES:
        return StorageUnavailable("the database did not answer in time")
    if is_unavailable(error):
        return StorageUnavailable("the database connection was lost")
    return None


@contextmanager
def translated(*, connecting: bool = False) -> Iterator[None]:
    """Run a block of database calls, raising domain errors for the database's own."""
    try:
        yield
    except exc.SQLAlchemyError as error:
        domain = translate(error, connecting=connecting)
        if domain is None:
            raise
        raise domain from error

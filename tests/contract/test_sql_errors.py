"""Which database errors are transient conflicts (a serialization failure, a deadlock, a
locked SQLite database): those become ``TransientConflict``, which the services'
``retry_on_conflict`` runs again; any other error surfaces at once."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from billing.adapters.sql import TransientConflict
from billing.adapters.sql.errors import is_transient
from billing.domain.errors import StorageConflict, StorageUnavailable


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _operational(orig: Exception) -> OperationalError:
    return OperationalError("UPDATE …", {}, orig)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_operational(_PgError("40001")), True),
        (_operational(_PgError("40P01")), True),
        (_operational(Exception("database is locked")), True),
        (_operational(_PgError("23505")), False),
        (_operational(Exception("no such table: x")), False),
        (TransientConflict("busy"), True),
        (StorageUnavailable("down"), False),
        (ValueError("database is locked"), False),
    ],
)
def test_transient_errors_are_told_apart(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_a_transient_conflict_is_the_conflict_the_services_retry() -> None:
    assert issubclass(TransientConflict, StorageConflict)

"""run_in_transaction / retry_transient: a use case runs again on transient conflicts only,
from a fresh unit of work each time, a bounded number of times, with growing waits."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from billing.adapters.memory import MemoryUnitOfWorkFactory
from billing.adapters.sql import Backoff, TransientConflict, retry_transient, run_in_transaction
from billing.adapters.sql.errors import is_transient
from billing.domain.errors import InvalidInput, StorageUnavailable
from billing.ports.unit_of_work import UnitOfWork


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _operational(orig: Exception) -> OperationalError:
    return OperationalError("UPDATE …", {}, orig)


def _backoff(waits: list[float], attempts: int = 4) -> Backoff:
    return Backoff(attempts=attempts, base=0.01, cap=0.04, sleep=waits.append)


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


def test_a_conflict_runs_the_whole_use_case_again_in_a_fresh_unit_of_work() -> None:
    factory = MemoryUnitOfWorkFactory()
    seen: list[UnitOfWork] = []
    waits: list[float] = []

    def use_case(uow: UnitOfWork) -> str:
        seen.append(uow)
        if len(seen) < 3:
            raise _operational(_PgError("40P01"))
        uow.commit()
        return "done"

    assert run_in_transaction(factory, use_case, _backoff(waits)) == "done"
    assert len(seen) == 3
    assert len({id(uow) for uow in seen}) == 3
    assert len(waits) == 2
    assert all(0 <= w <= 0.04 for w in waits)


def test_after_the_last_attempt_the_conflict_surfaces_as_retryable() -> None:
    waits: list[float] = []
    calls: list[int] = []

    @retry_transient(_backoff(waits, attempts=3))
    def always_busy() -> None:
        calls.append(1)
        raise _operational(Exception("database is locked"))

    with pytest.raises(TransientConflict) as gave_up:
        always_busy()

    assert len(calls) == 3
    assert len(waits) == 2
    assert gave_up.value.retryable is True
    assert gave_up.value.code == "storage_conflict"


def test_other_errors_are_not_retried() -> None:
    waits: list[float] = []
    calls: list[int] = []

    @retry_transient(_backoff(waits))
    def refused() -> None:
        calls.append(1)
        raise InvalidInput("no")

    with pytest.raises(InvalidInput):
        refused()
    assert (len(calls), waits) == (1, [])


def test_waits_grow_and_stay_bounded() -> None:
    backoff = Backoff(attempts=10, base=0.01, cap=0.05)
    ceilings = [min(backoff.cap, backoff.base * 2 ** (n - 1)) for n in range(1, 10)]

    assert ceilings[:3] == [0.01, 0.02, 0.04]
    assert max(ceilings) == 0.05
    assert all(0 <= backoff.delay(n) <= c for n, c in enumerate(ceilings, 1))

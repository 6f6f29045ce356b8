"""A transaction that meets a concurrent one runs again; other errors surface at once."""

from __future__ import annotations

import pytest

from billing.domain.errors import InvalidInput, StorageConflict
from billing.services import transactions
from billing.services.transactions import ATTEMPTS, pause_before, retry_on_conflict


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr(transactions.time, "sleep", pauses.append)
    return pauses


def test_a_conflict_runs_the_transaction_again(no_sleep: list[float]) -> None:
    calls: list[int] = []

    @retry_on_conflict
    def transaction() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise StorageConflict("deadlock detected")
        return "committed"

    assert transaction() == "committed"
    assert len(calls) == 3
    assert no_sleep == [pause_before(2), pause_before(3)]


def test_the_last_conflict_reaches_the_caller(no_sleep: list[float]) -> None:
    calls: list[int] = []

    @retry_on_conflict
    def transaction() -> None:
        calls.append(1)
        raise StorageConflict("could not serialize access")

    with pytest.raises(StorageConflict):
        transaction()
    assert len(calls) == ATTEMPTS
    assert len(no_sleep) == ATTEMPTS - 1


def test_other_errors_are_not_retried(no_sleep: list[float]) -> None:
    calls: list[int] = []

    @retry_on_conflict
    def transaction() -> None:
        calls.append(1)
        raise InvalidInput("bad")

    with pytest.raises(InvalidInput):
        transaction()
    assert calls == [1]
    assert no_sleep == []


def test_pauses_double_and_are_bounded() -> None:
    assert [pause_before(n) for n in range(2, 8)] == [0.02, 0.04, 0.08, 0.16, 0.32, 0.5]

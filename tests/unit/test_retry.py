"""A transaction that meets a concurrent one runs again; other errors surface at once."""

from __future__ import annotations

import time

import pytest

from billing.domain.errors import InvalidInput, StorageConflict
from billing.retry import (
    ATTEMPTS,
    FIRST_PAUSE,
    LONGEST_PAUSE,
    retry_on_conflict,
    retrying_conflicts,
)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)
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
    assert len(no_sleep) == 2


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


def test_pauses_grow_with_jitter_and_stay_bounded(no_sleep: list[float]) -> None:
    attempts = 12

    @retrying_conflicts(attempts=attempts)
    def transaction() -> None:
        raise StorageConflict("busy")

    for _ in range(20):
        with pytest.raises(StorageConflict):
            transaction()
    runs = [no_sleep[i : i + attempts - 1] for i in range(0, len(no_sleep), attempts - 1)]
    ceilings = [min(LONGEST_PAUSE, FIRST_PAUSE * 2**n) for n in range(attempts - 1)]

    assert all(
        0 <= pause <= ceiling for run in runs for pause, ceiling in zip(run, ceilings, strict=True)
    )
    assert len({run[-1] for run in runs}) > 1  # jittered: racing retries do not meet in step
    assert max(pause for run in runs for pause in run) > LONGEST_PAUSE / 2  # and they grow

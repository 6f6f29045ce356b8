"""Run a whole use case again when the database reports a transient conflict.

A serialization failure or deadlock (PostgreSQL 40001/40P01) or a locked SQLite database means
another transaction got in the way; everything the use case read may be stale, so the retry
starts from a fresh unit of work, not from the failed statement. Other errors surface at once.
After the last attempt the ``TransientConflict`` (a ``StorageUnavailable``: HTTP 503,
retryable) is raised.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import attrs

from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

from .errors import TransientConflict, is_transient, translate

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


@attrs.frozen
class Backoff:
    """Bounded exponential backoff with full jitter: attempt n waits up to base·2ⁿ⁻¹, ≤ cap."""

    attempts: int = 5
    base: float = 0.02
    cap: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def delay(self, failed_attempt: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** (failed_attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not a secret


DEFAULT_BACKOFF = Backoff()


def _as_conflict(error: Exception) -> TransientConflict | None:
    if isinstance(error, TransientConflict):
        return error
    if is_transient(error):
        translated = translate(error)  # type: ignore[arg-type]
        assert isinstance(translated, TransientConflict)
        return translated
    return None


def retry_transient(
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate a use case so that it runs again on a transient conflict.

    The decorated function must open its own unit(s) of work: each attempt starts afresh.
    """

    def decorate(use_case: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(use_case)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            for attempt in range(1, backoff.attempts + 1):
                try:
                    return use_case(*args, **kwargs)
                except Exception as error:
                    conflict = _as_conflict(error)
                    if conflict is None:
                        raise
                    if attempt == backoff.attempts:
                        if conflict is error:
                            raise
                        raise conflict from error
                    wait = backoff.delay(attempt)
                    log.info(
                        "transient database conflict, running %s again",
                        use_case.__qualname__,
                        extra={"attempt": attempt, "wait": wait},
                    )
                    backoff.sleep(wait)
            raise AssertionError("unreachable")  # pragma: no cover

        return run

    return decorate


def run_in_transaction(
    uow_factory: UnitOfWorkFactory,
    use_case: Callable[[UnitOfWork], T],
    backoff: Backoff = DEFAULT_BACKOFF,
) -> T:
    """``use_case(uow)`` inside a fresh unit of work, again on each transient conflict.

    ``use_case`` calls ``uow.commit()`` itself, like any service; its return value is returned.
    """

    @retry_transient(backoff)
    def attempt() -> T:
        with uow_factory() as uow:
            return use_case(uow)

    return attempt()

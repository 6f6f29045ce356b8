"""Running a transaction again when a concurrent one got in the way.

A serialization failure, a deadlock or a busy database (``StorageConflict``) means everything
the transaction read may be stale, so the whole transaction runs again from a fresh unit of
work, after a short, growing pause. Only methods whose body is one transaction, safe to run
twice because nothing of it was committed, are decorated.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from billing.domain.errors import StorageConflict

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPTS = 5
FIRST_PAUSE = 0.02
LONGEST_PAUSE = 0.5


def pause_before(attempt: int) -> float:
    """Seconds to wait before ``attempt`` (2, 3, …): doubling from 20 ms, at most 0.5 s."""
    return min(LONGEST_PAUSE, FIRST_PAUSE * 2.0 ** (attempt - 2))


def retry_on_conflict(transaction: Callable[P, T]) -> Callable[P, T]:
    """Run ``transaction`` up to ``ATTEMPTS`` times while it raises ``StorageConflict``."""

    @functools.wraps(transaction)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS):
            try:
                return transaction(*args, **kwargs)
            except StorageConflict:
                pause = pause_before(attempt + 1)
                log.info(
                    "storage conflict in %s, running it again in %.3f s",
                    transaction.__qualname__,
                    pause,
                )
                time.sleep(pause)
        return transaction(*args, **kwargs)  # the last attempt's conflict reaches the caller

    return run

"""Running a transaction again when a concurrent one got in the way: the one retry of the code.

A serialization failure, a deadlock or a busy database (``StorageConflict``, which the SQL
adapter raises for them) means everything the transaction read may be stale, so the whole
transaction runs again from a fresh unit of work, after a short, growing, jittered pause
(tenacity's exponential backoff with full jitter, so racing retries do not meet again in
step). Only methods whose body is one transaction, safe to run twice because nothing of it was
committed, are decorated. After the last attempt the conflict reaches the caller (HTTP 503,
retryable).

It sits outside the layers so that services and adapters (the outbox ``TaskQueue``, which
writes a job in a transaction of its own) share this one mechanism; it imports only the domain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import tenacity

from billing.domain.errors import StorageConflict

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPTS = 5
FIRST_PAUSE = 0.02
LONGEST_PAUSE = 0.5


def _log_conflict(state: tenacity.RetryCallState) -> None:
    pause = state.next_action.sleep if state.next_action is not None else 0.0
    name = getattr(state.fn, "__qualname__", "a transaction")
    log.info("storage conflict in %s, running it again in %.3f s", name, pause)


def retrying_conflicts(
    *,
    attempts: int = ATTEMPTS,
    first_pause: float = FIRST_PAUSE,
    longest_pause: float = LONGEST_PAUSE,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """A decorator running a transaction up to ``attempts`` times while it raises
    ``StorageConflict``; the pause before attempt n is random in [0, first·2ⁿ⁻², longest]."""
    return tenacity.retry(
        retry=tenacity.retry_if_exception_type(StorageConflict),
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_random_exponential(multiplier=first_pause, max=longest_pause),
        before_sleep=_log_conflict,
        reraise=True,
    )


#: Every transaction of services and adapters: five attempts, pauses from 20 ms up to 0.5 s.
retry_on_conflict = retrying_conflicts()

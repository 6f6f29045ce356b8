"""The transactional outbox: a deferred job, stored with the change that caused it.

A job row is written in the same transaction as the state change (an order paid, an event
accepted), so a crash between commit and hand-off loses nothing. After commit the job is handed
to whatever runs jobs (the fast path); a relay hands over again any job still waiting once it
is due (the slow path). Running a job is at least once: handlers are idempotent, and a job
already done is skipped.

Statuses: ``pending`` (waiting to be handed over, from ``available_at`` on), ``published``
(handed to a runner at ``published_at``; handed over again when not done after a while),
``done`` and ``dead`` (it failed ``max_attempts`` times: only a person re-queues it).

The timings of delivery (how long the fast path has before the relay takes over, when a
runner is presumed dead) are not rules of the domain: they are settings
(``BILLING_TASK_STALE_SECONDS``), passed in by whoever hands jobs over.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import attrs

from .errors import NotFound

#: ``last_error`` is cut to this many characters.
ERROR_LENGTH: Final = 500


class OutboxStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    DONE = "done"
    DEAD = "dead"


#: Statuses in which a job still waits to run.
WAITING: Final = frozenset({OutboxStatus.PENDING, OutboxStatus.PUBLISHED})


@attrs.frozen
class Job:
    """Work to do later: a task name and its string parameters (one outbox row when written)."""

    task: str
    params: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, task: str, **params: str) -> Job:
        return cls(task, tuple(sorted(params.items())))


class OutboxJobNotFound(NotFound):
    code = "job_not_found"


@attrs.frozen
class RetryPolicy:
    """How often and how far apart a failing job is tried again: ``first_delay`` doubling up
    to ``longest_delay``; after ``max_attempts`` failures the job is dead."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=5)
    longest_delay: timedelta = timedelta(hours=1)

    def delay_after(self, attempts: int) -> timedelta:
        """The pause before the next attempt, after ``attempts`` (1, 2, …) have failed."""
        doubled: timedelta = self.first_delay * (2 ** max(0, attempts - 1))
        return min(doubled, self.longest_delay)


DEFAULT_POLICY: Final = RetryPolicy()


@attrs.define
class OutboxJob:
    id: str
    task: str
    params: dict[str, str]
    created_at: datetime
    available_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    published_at: datetime | None = None
    finished_at: datetime | None = None
    last_error: str | None = None

    @classmethod
    def new(
        cls,
        job_id: str,
        task: str,
        params: dict[str, str],
        at: datetime,
        grace: timedelta,
    ) -> OutboxJob:
        """A pending job the relay takes over only after ``grace``: the fast path right after
        commit is expected to hand it over first."""
        return cls(job_id, task, dict(params), created_at=at, available_at=at + grace)

    @property
    def waiting(self) -> bool:
        return self.status in WAITING

    def is_due(self, now: datetime, stale_after: timedelta) -> bool:
        """Whether the relay should hand it over now: pending and available, or published so
        long ago that its runner has probably died."""
        if self.status is OutboxStatus.PENDING:
            return self.available_at <= now
        if self.status is OutboxStatus.PUBLISHED:
            return self.published_at is None or self.published_at <= now - stale_after
        return False

    def publish(self, at: datetime) -> None:
        """Handed to a runner at ``at`` (by the relay or a worker starting it)."""
        if self.waiting:
            self.status = OutboxStatus.PUBLISHED
            self.published_at = at

    def start(self, at: datetime, policy: RetryPolicy = DEFAULT_POLICY) -> bool:
        """Count one more attempt, and say whether it may run: not when done or dead, nor when
        its attempts are used up (a runner that died mid-job used one): then it is dead."""
        if not self.waiting:
            return False
        if self.attempts >= policy.max_attempts:
            self._die(at, self.last_error or "attempts exhausted")
            return False
        self.attempts += 1
        self.publish(at)
        return True

    def succeed(self, at: datetime) -> None:
        if self.waiting:
            self.status = OutboxStatus.DONE
            self.finished_at = at
            self.last_error = None

    def fail(self, error: str, at: datetime, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        """Record a failed attempt: pending again after the policy's delay, or dead when it
        has had all its attempts. A job already done stays done (another run succeeded)."""
        if not self.waiting:
            return
        if self.attempts >= policy.max_attempts:
            self._die(at, error)
            return
        self.status = OutboxStatus.PENDING
        self.available_at = at + policy.delay_after(self.attempts)
        self.last_error = error[:ERROR_LENGTH]

    def retry(self, at: datetime) -> None:
        """Give a dead (or waiting) job a fresh set of attempts, available at once."""
        if self.status is OutboxStatus.DONE:
            return
        self.status = OutboxStatus.PENDING
        self.attempts = 0
        self.available_at = at
        self.finished_at = None

    def _die(self, at: datetime, error: str) -> None:
        self.status = OutboxStatus.DEAD
        self.finished_at = at
        self.last_error = error[:ERROR_LENGTH]

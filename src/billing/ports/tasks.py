"""Deferred work: the outbox rows a transaction writes, and whatever hands them to a runner.

A job that must not be lost (rendering an invoice, processing an accepted webhook event) is
written to the outbox (``uow.outbox``) in the transaction that causes it; after commit it is
handed to a ``JobPublisher`` (the fast path). Losing that hand-off loses nothing: the relay
hands over again every job still waiting once it is due (see ``domain/outbox.py``).

``JobOutbox`` is how a use case does both: ``write`` in its transaction, ``publish`` after
commit (``adapters.tasks.outbox.TransactionalOutbox``).

``TaskQueue`` is the simpler port, for work whose own store already keeps it (the sandbox's
deliveries): a thread of the serving process (``adapters.tasks.thread_queue``), or outbox
jobs of their own transaction (``adapters.tasks.outbox.OutboxTaskQueue``) when a broker runs
them.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from billing.domain.outbox import Job, OutboxJob, OutboxStatus

if TYPE_CHECKING:  # the unit of work holds the outbox repository below: no import cycle
    from .unit_of_work import UnitOfWork


@runtime_checkable
class TaskQueue(Protocol):
    def defer(self, task: str, params: Mapping[str, str]) -> None:
        """Run ``task`` with ``params`` later, best effort. Called after commit."""
        ...


@runtime_checkable
class JobPublisher(Protocol):
    def publish(self, jobs: Sequence[OutboxJob]) -> None:
        """Hand committed outbox jobs to whatever runs them (inline: run them now). Never
        raises for a broker that is down: the relay hands the jobs over later."""
        ...

    def close(self) -> None:
        """Stop handing jobs over: background threads end, connections close."""
        ...


@runtime_checkable
class JobOutbox(Protocol):
    def write(self, uow: UnitOfWork, jobs: Iterable[Job], at: datetime) -> builtins.list[OutboxJob]:
        """Add one outbox row per distinct job in ``uow``'s transaction (before commit)."""
        ...

    def publish(self, written: Sequence[OutboxJob]) -> None:
        """After commit, hand the written rows over. Never raises: the relay hands over
        whatever this could not."""
        ...


@runtime_checkable
class OutboxRepository(Protocol):
    def add(self, job: OutboxJob) -> None: ...
    def save(self, job: OutboxJob) -> None: ...
    def get(self, job_id: str) -> OutboxJob:
        """The job, or OutboxJobNotFound."""
        ...

    def find(self, job_id: str) -> OutboxJob | None: ...
    def replace(self, expected: OutboxJob, job: OutboxJob) -> bool:
        """Store ``job``, the new state of ``expected``, only if the stored row still has
        ``expected``'s status and attempts (every step of a job but a relay's re-publishing
        moves one of them): one compare-and-set statement. False, and nothing written, when
        another runner or a person moved the job meanwhile."""
        ...

    def claim_due(
        self, now: datetime, stale_before: datetime, limit: int = 100
    ) -> builtins.list[OutboxJob]:
        """Mark published (at ``now``) and return, oldest first, up to ``limit`` jobs that are
        pending with ``available_at <= now`` or published at or before ``stale_before``. Rows
        another transaction holds are skipped (``FOR UPDATE SKIP LOCKED``), so concurrent
        relays never claim the same job."""
        ...

    def list(self, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxJob]:
        """Jobs of one status (or all), newest first."""
        ...

    def count(self, status: OutboxStatus) -> int: ...

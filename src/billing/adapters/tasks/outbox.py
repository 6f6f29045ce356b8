"""The outbox behind the ``JobOutbox`` and ``TaskQueue`` ports, built on the other ports only.

``TransactionalOutbox`` writes a use case's jobs into its unit of work and hands them to the
``JobPublisher`` after commit; a hand-off that fails loses nothing, since the relay
(``services.jobs.JobRelay``) hands over again every job still waiting once ``grace`` is over.
``OutboxTaskQueue`` gives a ``TaskQueue`` user (the sandbox's deliveries) the same path: each
``defer`` is a job of its own transaction, so workers run it with the outbox's retries,
backoff and dead letters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from billing.domain.outbox import Job, OutboxJob
from billing.ports.clock import Clock, IdGenerator
from billing.ports.tasks import JobOutbox, JobPublisher
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.retry import retry_on_conflict

log = logging.getLogger(__name__)


@attrs.frozen
class TransactionalOutbox:
    """``grace``: how long the fast path has before the relay may hand a new job over."""

    _publisher: JobPublisher
    _ids: IdGenerator
    _grace: timedelta

    def write(self, uow: UnitOfWork, jobs: Iterable[Job], at: datetime) -> list[OutboxJob]:
        written = []
        for job in dict.fromkeys(jobs):  # the same job twice is one job
            row = OutboxJob.new(
                self._ids.new_id("job"), job.task, dict(job.params), at, self._grace
            )
            uow.outbox.add(row)
            written.append(row)
        return written

    def publish(self, written: Sequence[OutboxJob]) -> None:
        if not written:
            return
        try:
            self._publisher.publish(written)
        except Exception:
            ids = [job.id for job in written]
            log.warning("could not hand over jobs %s; the relay will", ids, exc_info=True)


@attrs.frozen
class OutboxTaskQueue:
    _uow_factory: UnitOfWorkFactory
    _outbox: JobOutbox
    _clock: Clock

    def defer(self, task: str, params: Mapping[str, str]) -> None:
        written = self._write(Job.of(task, **params))
        self._outbox.publish(written)

    @retry_on_conflict
    def _write(self, job: Job) -> list[OutboxJob]:
        with self._uow_factory() as uow:
            written = self._outbox.write(uow, [job], self._clock.now())
            uow.commit()
        return written

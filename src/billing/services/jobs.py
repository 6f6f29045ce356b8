"""Deferred jobs through the transactional outbox: written with the change, run after commit.

A use case writes its jobs with ``JobOutbox.write`` (a port, ``ports/tasks.py``) inside its
transaction, commits, then calls ``JobOutbox.publish`` (the fast path). ``JobRelay`` hands over
again every job still waiting once it is due (the slow path: a crash between commit and
hand-off, a dead worker, a retry after a failure). ``JobService.run`` is what a worker does
with one job: skip it when done, run its handler, record done or failed (retried with backoff,
dead after the policy's attempts).

Counting the attempt and recording the outcome are a compare-and-set each, outside any
transaction (``UnitOfWorkFactory.autocommit``): the job's row is written only if its status
and attempts are still what this run saw, so two runs of one job (handed over twice) never
lose each other's attempt or outcome; a run that finds the job moved reads it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta

import attrs

from billing.domain.errors import BillingError
from billing.domain.outbox import (
    DEFAULT_POLICY,
    OutboxJob,
    OutboxJobNotFound,
    OutboxStatus,
    RetryPolicy,
)
from billing.ports.clock import Clock
from billing.ports.tasks import JobPublisher
from billing.ports.unit_of_work import UnitOfWorkFactory
from billing.retry import retry_on_conflict

log = logging.getLogger(__name__)

RENDER_DOCUMENT = "render_document"
PROCESS_WEBHOOK_EVENT = "process_webhook_event"
#: Call the provider for a pending refund (a duplicate capture's), with its own key.
SEND_REFUND = "send_refund"
SEND_RECEIPT = "send_receipt"  # e-mail a rendered document to its buyer (services/receipts.py)

Handler = Callable[[Mapping[str, str]], object]


class RetryLater(BillingError):
    """A handler's way to say: not done, try again after the backoff (not a bug)."""

    code = "retry_later"
    retryable = True


class JobKeptMoving(BillingError):
    """A job's row changed between every read and write of ``_REPLACE_TRIES`` tries: only
    many runners of one job at once do that (the relay hands it over again later)."""

    code = "job_kept_moving"
    retryable = True


#: Compare-and-set tries before giving up on a job that keeps changing (each failed try means
#: another runner, or a person, moved it: two are rare, more do not happen).
_REPLACE_TRIES = 5


@attrs.define
class JobService:
    """Runs outbox jobs (``run``) and lets people look at and re-queue them."""

    _uow_factory: UnitOfWorkFactory
    _clock: Clock
    _handlers: dict[str, Handler] = attrs.field(factory=dict, converter=dict)
    _policy: RetryPolicy = DEFAULT_POLICY

    def run(self, job_id: str) -> OutboxStatus | None:
        """Run one job at least once; the job's status afterwards (None: no such job).

        Idempotent: a done or dead job is skipped. Handlers are idempotent too, since a job
        handed over twice (the relay re-publishing a slow one) may run twice."""
        job = self._start(job_id)
        if job is None or job.status is not OutboxStatus.PUBLISHED:
            return job.status if job is not None else None
        handler = self._handlers.get(job.task)
        try:
            if handler is None:
                raise LookupError(f"no handler for task {job.task!r}")
            handler(job.params)
        except Exception as error:
            expected = isinstance(error, BillingError)
            log.log(
                logging.WARNING if expected else logging.ERROR,
                "job %s (%s) failed, attempt %d",
                job.id,
                job.task,
                job.attempts,
                exc_info=not expected,
                extra={"job_id": job.id, "task": job.task},
            )
            return self._finish(job, f"{type(error).__name__}: {error}")
        return self._finish(job, None)

    def list(self, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxJob]:
        with self._uow_factory() as uow:
            return uow.outbox.list(status, limit)

    def dead_count(self) -> int:
        with self._uow_factory() as uow:
            return uow.outbox.count(OutboxStatus.DEAD)

    @retry_on_conflict
    def retry(self, job_id: str) -> OutboxJob:
        """Give a dead job a fresh set of attempts; the relay hands it over at once."""
        with self._uow_factory() as uow:
            job = uow.outbox.get(job_id)
            job.retry(self._clock.now())
            uow.outbox.save(job)
            uow.commit()
        return job

    @retry_on_conflict
    def _start(self, job_id: str) -> OutboxJob | None:
        """Count the attempt, durably before the handler runs (a runner that dies mid-job
        used one): the job as it is now, started if it could be (None: no such job)."""
        job = self._step(job_id, lambda job: job.start(self._clock.now(), self._policy))
        if job is None:
            log.warning("job %s not found", job_id)
        return job

    @retry_on_conflict
    def _finish(self, started: OutboxJob, error: str | None) -> OutboxStatus:
        """Record the outcome of the run that ``started`` the job: tried first on the job as
        this run left it (the usual case: no read), else on the job as it is then (another
        run may have finished it)."""

        def record(job: OutboxJob) -> None:
            if error is None:
                job.succeed(self._clock.now())
            else:
                job.fail(error, self._clock.now(), self._policy)

        job = self._step(started.id, record, seen=started)
        if job is None:
            raise OutboxJobNotFound(f"no job {started.id}", job_id=started.id)
        return job.status

    def _step(
        self, job_id: str, step: Callable[[OutboxJob], object], seen: OutboxJob | None = None
    ) -> OutboxJob | None:
        """Apply ``step`` to the job and store the result with a compare-and-set outside any
        transaction, starting from ``seen`` (else from a read); a job another run moved
        meanwhile is read again and stepped again. The job after the step (None: no such
        job); nothing is written when the step changes nothing (a job done or dead)."""
        with self._uow_factory.autocommit() as uow:
            stored = seen
            for _ in range(_REPLACE_TRIES):
                if stored is None and (stored := uow.outbox.find(job_id)) is None:
                    return None
                stepped = attrs.evolve(stored)
                step(stepped)
                if stepped == stored or uow.outbox.replace(stored, stepped):
                    return stepped
                stored = None
        raise JobKeptMoving(f"job {job_id} changed under {_REPLACE_TRIES} tries", job_id=job_id)


@attrs.define
class JobRelay:
    """Hands over every waiting job that is due: pending ones once available, published ones
    gone stale (``stale_after``). Any number of relays may run at once (claims skip locked
    rows)."""

    _uow_factory: UnitOfWorkFactory
    _publisher: JobPublisher
    _clock: Clock
    _stale_after: timedelta
    batch: int = 100

    def relay_once(self) -> int:
        """Claim and hand over one batch; how many jobs were handed over."""
        claimed = self._claim()
        if claimed:
            log.info("relaying %d job(s)", len(claimed))
            self._publisher.publish(claimed)
        return len(claimed)

    def relay_all(self) -> int:
        """Relay batches until none is due (tests, ``billing tasks relay``)."""
        total = 0
        while (count := self.relay_once()) > 0:
            total += count
        return total

    def run_forever(self, stop: threading.Event, every: float = 1.0) -> None:
        """Relay until ``stop`` is set, pausing ``every`` seconds when nothing was due."""
        while not stop.is_set():
            try:
                count = self.relay_once()
            except Exception:  # the database may be down for a while: keep trying
                log.warning("relay failed", exc_info=True)
                count = 0
            if count < self.batch:
                stop.wait(every)

    @retry_on_conflict
    def _claim(self) -> list[OutboxJob]:
        now = self._clock.now()
        with self._uow_factory() as uow:
            claimed = uow.outbox.claim_due(now, now - self._stale_after, self.batch)
            uow.commit()
        return claimed

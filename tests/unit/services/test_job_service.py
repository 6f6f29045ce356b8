"""``JobService.run``: one attempt counted before the handler, the outcome recorded after it,
and a run never undoing what another run of the same job (handed over twice) recorded."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from billing.adapters.memory import FixedClock, MemoryUnitOfWorkFactory
from billing.domain.outbox import OutboxJob, OutboxStatus, RetryPolicy
from billing.services.jobs import JobService

TASK = "render_document"
POLICY = RetryPolicy(max_attempts=3, first_delay=timedelta(seconds=5))


def jobs(
    handler: Callable[[Mapping[str, str]], object],
) -> tuple[JobService, MemoryUnitOfWorkFactory]:
    uow_factory, clock = MemoryUnitOfWorkFactory(), FixedClock()
    with uow_factory() as uow:
        uow.outbox.add(OutboxJob.new("job_1", TASK, {"n": "1"}, clock.now(), timedelta(0)))
        uow.commit()
    return JobService(uow_factory, clock, {TASK: handler}, POLICY), uow_factory


def stored(uow_factory: MemoryUnitOfWorkFactory) -> OutboxJob:
    with uow_factory() as uow:
        return uow.outbox.get("job_1")


def test_a_job_that_succeeds_is_done_after_one_attempt() -> None:
    ran: list[Mapping[str, str]] = []
    service, uow_factory = jobs(ran.append)

    assert service.run("job_1") is OutboxStatus.DONE
    assert service.run("job_1") is OutboxStatus.DONE  # done: skipped

    assert ran == [{"n": "1"}]
    job = stored(uow_factory)
    assert (job.status, job.attempts, job.last_error) == (OutboxStatus.DONE, 1, None)


def test_a_failing_job_waits_out_its_backoff_then_dies_after_its_attempts() -> None:
    def fails(params: Mapping[str, str]) -> object:
        raise ValueError("no disk")

    service, uow_factory = jobs(fails)

    assert service.run("job_1") is OutboxStatus.PENDING
    job = stored(uow_factory)
    assert (job.attempts, job.last_error) == (1, "ValueError: no disk")
    assert job.available_at == job.created_at + timedelta(seconds=5)
    assert [service.run("job_1") for _ in range(3)] == [
        OutboxStatus.PENDING,
        OutboxStatus.DEAD,
        OutboxStatus.DEAD,
    ]
    assert stored(uow_factory).attempts == 3


def test_a_run_outlived_by_a_second_run_of_its_job_keeps_the_second_ones_outcome() -> None:
    """The relay handed the job over again while its first run was slow: the second run
    starts it (attempt 2) and succeeds; the first run then fails, and must not make the job
    pending again, nor lose the second run's attempt."""
    service: JobService

    def slow_then_fails(params: Mapping[str, str]) -> object:
        if stored(uow_factory).attempts == 1:  # the first run: the second one gets in
            assert service.run("job_1") is OutboxStatus.DONE
            raise TimeoutError("the first run gave up")
        return None

    service, uow_factory = jobs(slow_then_fails)

    assert service.run("job_1") is OutboxStatus.DONE
    job = stored(uow_factory)
    assert (job.status, job.attempts, job.last_error) == (OutboxStatus.DONE, 2, None)


def test_a_run_outlived_by_a_failed_second_run_records_its_success() -> None:
    service: JobService

    def second_run_fails(params: Mapping[str, str]) -> object:
        if stored(uow_factory).attempts == 1:
            assert service.run("job_1") is OutboxStatus.PENDING
            return None  # the first run succeeds after all
        raise ValueError("the second run failed")

    service, uow_factory = jobs(second_run_fails)

    assert service.run("job_1") is OutboxStatus.DONE
    job = stored(uow_factory)
    assert (job.status, job.attempts, job.last_error) == (OutboxStatus.DONE, 2, None)

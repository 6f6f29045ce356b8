"""``OutboxTaskQueue``: a deferred task is an outbox job of its own transaction, handed over after
commit, and run by ``JobService`` like any other job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from dependency_injector import providers

from billing.adapters.memory import FixedClock, MemoryUnitOfWorkFactory, SequentialIds
from billing.adapters.tasks.outbox import OutboxTaskQueue, TransactionalOutbox
from billing.domain.outbox import OutboxJob, OutboxStatus
from billing.entrypoints.container import build_container
from billing.entrypoints.settings import Settings
from billing.services.jobs import JobService


class Publisher:
    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.sent: list[str] = []

    def publish(self, jobs: Sequence[OutboxJob]) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        self.sent += [job.id for job in jobs]

    def close(self) -> None:
        pass


def queue(publisher: Publisher) -> tuple[OutboxTaskQueue, MemoryUnitOfWorkFactory, FixedClock]:
    uow_factory, clock = MemoryUnitOfWorkFactory(), FixedClock()
    outbox = TransactionalOutbox(publisher, SequentialIds(), timedelta(seconds=10))
    return OutboxTaskQueue(uow_factory, outbox, clock), uow_factory, clock


def stored(uow_factory: MemoryUnitOfWorkFactory) -> list[OutboxJob]:
    with uow_factory() as uow:
        return uow.outbox.list()


def test_a_deferred_task_is_committed_to_the_outbox_then_handed_over() -> None:
    publisher = Publisher()
    tasks, uow_factory, _ = queue(publisher)

    tasks.defer("sandbox_deliver_event", {"event_id": "evt_1"})

    [job] = stored(uow_factory)
    assert (job.task, job.params, job.status) == (
        "sandbox_deliver_event",
        {"event_id": "evt_1"},
        OutboxStatus.PENDING,
    )
    assert publisher.sent == [job.id]


def test_a_broker_that_is_down_leaves_the_job_for_the_relay() -> None:
    tasks, uow_factory, _ = queue(Publisher(down=True))

    tasks.defer("sandbox_deliver_event", {"event_id": "evt_1"})

    [job] = stored(uow_factory)
    assert job.status is OutboxStatus.PENDING


def test_the_job_runs_its_handler_once_and_is_done() -> None:
    publisher = Publisher()
    tasks, uow_factory, clock = queue(publisher)
    ran: list[Mapping[str, str]] = []
    jobs = JobService(uow_factory, clock, {"sandbox_deliver_event": ran.append})
    tasks.defer("sandbox_deliver_event", {"event_id": "evt_1"})
    [job_id] = publisher.sent

    first, again = jobs.run(job_id), jobs.run(job_id)

    assert (first, again) == (OutboxStatus.DONE, OutboxStatus.DONE)
    assert ran == [{"event_id": "evt_1"}]


def test_a_job_handed_over_after_commit_is_relayed_again_only_once_stale() -> None:
    container = build_container(
        Settings.in_memory(task_broker="redis://127.0.0.1:9/0", task_stale_seconds=60)
    )
    clock, publisher = FixedClock(), Publisher()
    container.clock.override(providers.Object(clock))
    container.job_publisher.override(providers.Object(publisher))
    OutboxTaskQueue(container.uow_factory(), container.job_outbox(), clock).defer("t", {})
    relay = container.job_relay()

    clock.advance(seconds=59)  # a long queue: the worker has not taken it yet
    early = relay.relay_once()
    clock.advance(seconds=2)
    stale = relay.relay_once()

    assert (early, stale) == (0, 1)
    assert len(publisher.sent) == 2
    container.unwire()

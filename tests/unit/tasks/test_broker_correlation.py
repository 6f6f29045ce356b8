"""A job queued during a request runs in the worker under that request's correlation id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker

from billing.adapters.tasks.broker import DramatiqJobPublisher
from billing.correlation import correlation_id
from billing.domain.outbox import OutboxJob

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_the_worker_runs_each_job_under_the_id_of_the_request_that_queued_it() -> None:
    broker = StubBroker()
    seen: list[tuple[str, str | None]] = []
    publisher = DramatiqJobPublisher(
        broker, lambda job_id: seen.append((job_id, correlation_id.get())), namespace="test"
    )
    for job_id, current in (("job_1", "req-7"), ("job_2", None)):
        token = correlation_id.set(current)
        try:
            publisher.publish([OutboxJob.new(job_id, "render_document", {}, AT, timedelta(0))])
        finally:
            correlation_id.reset(token)

    worker = Worker(broker, worker_threads=1)
    worker.start()
    try:
        broker.join(publisher.queue_name)
        worker.join()
    finally:
        worker.stop()

    assert sorted(seen) == [("job_1", "req-7"), ("job_2", None)]

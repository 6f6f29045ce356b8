"""Dramatiq on Redis or RabbitMQ: a publisher that sends one message per outbox job, and the
actor a ``billing worker`` runs for it.

The message carries the job id only; the worker loads the row, runs its handler and records
the outcome (``JobService.run``), so retries, backoff and dead-lettering live in the outbox,
not in the broker (the actor has ``max_retries=0``). The broker is chosen by URL: ``redis://``,
``rediss://`` or ``unix://`` select Redis, ``amqp://`` or ``amqps://`` RabbitMQ. Keys and
queues are prefixed by ``namespace`` so that several deployments (or test runs) share a server.

A worker killed mid-job leaves its fetched messages unacknowledged. RabbitMQ hands them to
another consumer as soon as the dead one's connection closes. Redis has no connections to
watch: each worker heart-beats with every broker command, and a share of the commands
(``maintenance_chance`` per million) also moves the messages of workers silent for
``heartbeat_timeout_ms`` back to the queue (``RedisTimeouts``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import attrs
import dramatiq
from dramatiq.brokers.redis import RedisBroker

from billing.correlation import correlation_id
from billing.domain.errors import InvalidInput
from billing.domain.outbox import OutboxJob

log = logging.getLogger(__name__)

ACTOR_NAME = "billing_run_job"
QUEUE_NAME = "billing_jobs"
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
AMQP_SCHEMES = frozenset({"amqp", "amqps"})
Run = Callable[[str], object]


def broker_kind(url: str) -> str:
    """``redis`` or ``rabbitmq``, from the URL's scheme (InvalidInput otherwise)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in REDIS_SCHEMES:
        return "redis"
    if scheme in AMQP_SCHEMES:
        return "rabbitmq"
    raise InvalidInput(
        f"BILLING_TASK_BROKER must be inline, redis://… or amqp://…, not {scheme or url!r}",
        setting="BILLING_TASK_BROKER",
    )


@attrs.frozen
class RedisTimeouts:
    """How soon Redis gives a dead worker's unacknowledged messages to another worker.

    A worker is dead once silent for ``heartbeat_timeout_ms`` (live ones heart-beat at least
    twice a second); ``maintenance_chance`` broker commands out of a million look for dead
    workers (Dramatiq's default, 1000, finds them within minutes on a quiet queue; the outbox
    relay re-publishes a stale job sooner anyway). Tests set both short to re-deliver in seconds.
    """

    heartbeat_timeout_ms: int = 15_000
    maintenance_chance: int = 1_000


def make_broker(
    url: str, namespace: str = "billing", redis: RedisTimeouts = RedisTimeouts()
) -> dramatiq.Broker:
    """A broker for ``url``; nothing connects until the first message or worker."""
    if broker_kind(url) == "redis":
        return RedisBroker(  # type: ignore[no-untyped-call]  # dramatiq leaves it unannotated
            url=url,
            namespace=namespace,
            heartbeat_timeout=redis.heartbeat_timeout_ms,
            maintenance_chance=redis.maintenance_chance,
        )
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    # Confirmed publishing: a message RabbitMQ did not take raises, so its row stays pending.
    return RabbitmqBroker(url=url, confirm_delivery=True)


class DramatiqJobPublisher:
    """Sends ``billing_run_job(job_id)`` messages; in a worker, runs them with ``run``."""

    def __init__(self, broker: dramatiq.Broker, run: Run, namespace: str = "billing") -> None:
        self.broker = broker
        self.queue_name = f"{namespace}_{QUEUE_NAME}" if broker_is_amqp(broker) else QUEUE_NAME
        self._run = run
        self._actor = dramatiq.actor(
            broker=broker,
            actor_name=ACTOR_NAME,
            queue_name=self.queue_name,
            max_retries=0,
        )(self._perform)

    def close(self) -> None:
        """Close the broker's connections (shutdown, tests)."""
        self.broker.close()

    def publish(self, jobs: Sequence[OutboxJob]) -> None:
        for job in jobs:
            try:
                self._actor.send(job.id, correlation_id.get())
            except Exception:  # broker down: the row stays waiting and the relay sends it later
                log.warning("could not send job %s to the broker", job.id, exc_info=True)

    def _perform(self, job_id: str, correlation: str | None = None) -> None:
        """Run one job under the correlation id of the request that queued it."""
        token = correlation_id.set(correlation)
        try:
            status = self._run(job_id)
            log.info("job %s: %s", job_id, status, extra={"job_id": job_id})
        finally:
            correlation_id.reset(token)


def broker_is_amqp(broker: dramatiq.Broker) -> bool:
    """RabbitMQ has no key namespace: its queue name carries the prefix instead."""
    return not isinstance(broker, RedisBroker)

"""The task broker is chosen by ``BILLING_TASK_BROKER``'s scheme, and the settings that decide
how soon a dead worker's jobs run again reach the broker and the relay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dependency_injector import providers
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from billing.adapters.memory.clock import FixedClock
from billing.adapters.tasks import InlineJobPublisher
from billing.adapters.tasks.broker import DramatiqJobPublisher
from billing.domain.outbox import OutboxJob
from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.container import build_container
from billing.entrypoints.settings import Settings


def _publisher(**env: str) -> object:
    container = build_container(Settings.from_env({"BILLING_STORAGE": "memory", **env}))
    return container.job_publisher()


def test_inline_is_the_default() -> None:
    assert isinstance(_publisher(), InlineJobPublisher)


def test_a_redis_url_selects_redis_with_the_production_timeouts() -> None:
    publisher = _publisher(BILLING_TASK_BROKER="redis://127.0.0.1:6379/0")

    assert isinstance(publisher, DramatiqJobPublisher)
    assert isinstance(publisher.broker, RedisBroker)
    assert publisher.broker.heartbeat_timeout == 15_000
    assert publisher.broker.maintenance_chance == 1_000
    assert publisher.broker.namespace == "billing"
    assert publisher.queue_name == "billing_jobs"


def test_the_redis_timeouts_are_settings() -> None:
    publisher = _publisher(
        BILLING_TASK_BROKER="redis://127.0.0.1:6379/0",
        BILLING_TASK_HEARTBEAT_SECONDS="2",
        BILLING_TASK_MAINTENANCE_PER_MILLION="1000000",
    )

    assert isinstance(publisher, DramatiqJobPublisher)
    assert isinstance(publisher.broker, RedisBroker)
    assert publisher.broker.heartbeat_timeout == 2_000
    assert publisher.broker.maintenance_chance == 1_000_000


def test_an_amqp_url_selects_rabbitmq_with_the_namespace_in_the_queue_name() -> None:
    publisher = _publisher(
        BILLING_TASK_BROKER="amqp://guest:guest@127.0.0.1:5672/", BILLING_TASK_NAMESPACE="shop"
    )

    assert isinstance(publisher, DramatiqJobPublisher)
    assert isinstance(publisher.broker, RabbitmqBroker)
    assert publisher.broker.confirm_delivery is True
    assert publisher.queue_name == "shop_billing_jobs"


def test_the_relay_hands_over_again_after_the_stale_setting() -> None:
    settings = {"BILLING_STORAGE": "memory", "BILLING_TASK_STALE_SECONDS": "5"}
    container = build_container(Settings.from_env(settings))
    clock = FixedClock()
    container.clock.override(providers.Object(clock))
    published = OutboxJob.new("job_1", "render_document", {}, clock.now(), timedelta(0))
    published.start(clock.now())
    with container.uow_factory()() as uow:
        uow.outbox.add(published)
        uow.commit()
    relay = container.job_relay()

    clock.advance(seconds=4.9)
    assert relay.relay_once() == 0
    clock.advance(seconds=0.1)
    assert relay.relay_once() == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BILLING_TASK_BROKER", "kafka://127.0.0.1:9092"),
        ("BILLING_TASK_STALE_SECONDS", "0"),
        ("BILLING_TASK_HEARTBEAT_SECONDS", "0"),
        ("BILLING_TASK_MAINTENANCE_PER_MILLION", "1000001"),
    ],
)
def test_a_malformed_task_setting_is_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        _publisher(**{name: value})

    assert refused.value.variable == name

"""Deferred jobs on a real RabbitMQ broker (``BILLING_TASK_BROKER=amqp://…``), run by
``billing worker`` subprocesses on PostgreSQL.

Half the orders are paid while the broker cannot be reached: their jobs stay in the outbox
and a worker's relay publishes them once due. The others reach RabbitMQ right after commit.
A worker is killed with SIGKILL mid-batch (RabbitMQ re-delivers what it had fetched as soon
as its connection drops) and another started: one invoice per order, numbers without gaps.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest
from dramatiq.common import dq_name, xq_name
from tests.integration.worker_harness import (
    Shop,
    assert_each_invoiced_once,
    kill_midway_and_finish,
    pay_orders,
    shop_on_broker,
)

from billing.adapters.tasks.broker import QUEUE_NAME
from billing.domain.outbox import OutboxStatus

ORDERS = 30
#: Nothing listens on the discard port: publishing fails and the job waits for the relay.
UNREACHABLE = "amqp://guest:guest@127.0.0.1:9/"


@pytest.fixture
def queue(amqp_url: str) -> Iterator[str]:
    """This test's own queue name (namespace ``test_…``); its queues are deleted afterwards."""
    namespace = f"test_{uuid.uuid4().hex[:8]}"
    name = f"{namespace}_{QUEUE_NAME}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        for queue_name in (name, dq_name(name), xq_name(name)):
            channel.queue_delete(queue_name)
    finally:
        connection.close()


@pytest.fixture
def shop(tmp_path: Path, postgres_url: str, amqp_url: str, queue: str) -> Iterator[Shop]:
    namespace = queue.removesuffix(f"_{QUEUE_NAME}")
    media = tmp_path / "media"
    # The jobs never handed over are relayed once stale: soon, for the test.
    with shop_on_broker(
        postgres_url, media, amqp_url, namespace, BILLING_TASK_STALE_SECONDS="5"
    ) as made:
        yield made


def _waiting_messages(amqp_url: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        declared = connection.channel().queue_declare(queue, passive=True)
        return int(declared.method.message_count)
    finally:
        connection.close()


def test_jobs_reach_rabbitmq_by_commit_or_relay_and_survive_a_killed_worker(
    shop: Shop, amqp_url: str, queue: str
) -> None:
    with shop.elsewhere(BILLING_TASK_BROKER=UNREACHABLE) as broker_down:
        order_ids = pay_orders(broker_down, ORDERS // 2)  # hand-over failed: outbox only
    order_ids += shop.pay_orders(ORDERS - ORDERS // 2)  # handed to RabbitMQ after commit
    assert shop.rendered() == 0
    assert shop.jobs() == {str(OutboxStatus.PENDING): ORDERS}
    assert _waiting_messages(amqp_url, queue) == ORDERS - ORDERS // 2

    rendered_at_kill = kill_midway_and_finish(shop, ORDERS)

    assert 0 < rendered_at_kill < ORDERS  # killed mid-batch
    assert_each_invoiced_once(shop, order_ids)

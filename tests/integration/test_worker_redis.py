"""Deferred jobs on a real Redis broker, run by ``billing worker`` subprocesses, on PostgreSQL.

200 orders are paid with ``BILLING_TASK_BROKER`` on Redis, so each payment numbers its invoice
and only queues the rendering job. ``billing worker --processes 2`` renders the real PDFs; it
and its processes are killed with SIGKILL half-way (as when its host dies) and another is
started: every order ends with exactly one invoice, its files written and recorded once,
numbered 1..200 without gaps. The timeouts that decide how soon a dead worker's jobs run again
(``BILLING_TASK_HEARTBEAT_SECONDS``, ``…_MAINTENANCE_PER_MILLION``, ``…_STALE_SECONDS``) are
set short here, so re-delivery takes seconds rather than the production minute.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from tests.integration.worker_harness import (
    Shop,
    assert_each_invoiced_once,
    kill_midway_and_finish,
    shop_on_broker,
)

from billing.domain.outbox import OutboxStatus

ORDERS = 200
QUICK_REDELIVERY = {
    "BILLING_TASK_HEARTBEAT_SECONDS": "2",
    "BILLING_TASK_MAINTENANCE_PER_MILLION": "1000000",
    "BILLING_TASK_STALE_SECONDS": "5",
}


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{name}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def shop(tmp_path: Path, postgres_url: str, redis_url: str, namespace: str) -> Iterator[Shop]:
    media = tmp_path / "media"
    with shop_on_broker(postgres_url, media, redis_url, namespace, **QUICK_REDELIVERY) as made:
        yield made


def test_killed_worker_loses_no_invoice_job(shop: Shop) -> None:
    order_ids = shop.pay_orders(ORDERS)
    assert shop.rendered() == 0  # queued on Redis, not run here
    assert shop.jobs() == {str(OutboxStatus.PENDING): ORDERS}

    rendered_at_kill = kill_midway_and_finish(shop, ORDERS, processes=2)

    assert 0 < rendered_at_kill < ORDERS  # killed mid-batch
    assert_each_invoiced_once(shop, order_ids)

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
    expected_numbers,
    kill,
    running,
    shop_on_broker,
    wait_until,
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

    with running(shop.worker(processes=2)) as first:
        wait_until("half the invoices", lambda: shop.rendered() >= ORDERS // 2, timeout=90)
        kill(first)
    rendered_at_kill = shop.rendered()
    assert 0 < rendered_at_kill < ORDERS  # killed mid-batch

    with running(shop.worker(processes=2)):
        wait_until("every invoice", lambda: shop.rendered() == ORDERS, timeout=90)
        all_done = {str(OutboxStatus.DONE): ORDERS}
        wait_until("every job done", lambda: shop.jobs() == all_done, timeout=30)

    documents = shop.documents_by_order(order_ids)
    assert all(len(numbers) == 1 for numbers in documents.values())  # one invoice per order
    numbers = sorted(n for numbers in documents.values() for n in numbers)
    assert numbers == expected_numbers(shop.container, ORDERS)  # 1..200, no gaps
    assert shop.pdf_files() == numbers  # one file each: nothing rendered under another number
    assert shop.container.invoices().verify() == []  # every file matches its recorded checksum

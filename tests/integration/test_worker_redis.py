"""Deferred jobs on a real Redis broker, run by ``billing worker`` subprocesses.

Orders are paid here with ``BILLING_TASK_BROKER`` on Redis, so each payment only queues its
invoice job; a worker is killed with SIGKILL half-way and another started: every invoice is
rendered once, under the number allocated with its payment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from billing.adapters.memory import FakeEvents, FakePaymentProvider
from billing.adapters.sql import upgrade
from billing.domain.order import Customer
from billing.domain.payment import PaymentMode
from billing.entrypoints.container import build_container
from billing.entrypoints.demo import load_demo_catalog
from billing.entrypoints.settings import Settings
from billing.services.orders import CartLine

ORDERS = 30


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = "from billing.entrypoints.cli import main; main()"
    argv = [sys.executable, "-c", code, "worker", "--processes", "1", "--threads", "2"]
    return subprocess.Popen(argv, env={**os.environ, **env})  # noqa: S603 - our interpreter


def _rendered(container: object, order_ids: list[str]) -> int:
    invoices = container.invoices()  # type: ignore[attr-defined]
    return sum(all(d.rendered for d in invoices.documents(o)) for o in order_ids)


def test_killed_worker_loses_no_invoice_job(tmp_path: Path, redis_url: str) -> None:
    database_url = f"sqlite:///{tmp_path / 'billing.db'}"
    env = {
        "BILLING_DATABASE_URL": database_url,
        "BILLING_TASK_BROKER": redis_url,
        "BILLING_TASK_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}",
        "BILLING_MEDIA_ROOT": str(tmp_path / "media"),
        "BILLING_PAYMENT_PROVIDER": "fake",
        "BILLING_INVOICE_RENDERER": "text",
    }
    upgrade(database_url)
    container = build_container(Settings.from_env(env))
    load_demo_catalog(container)
    provider = container.payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    events = FakeEvents(provider)
    order_ids = []
    for n in range(ORDERS):
        customer = Customer(email=f"buyer{n}@example.com")
        order = container.orders().create_order(customer, [CartLine("ebook-python")]).order
        payment = container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT).payment
        delivery = events.payment_succeeded(payment.id)
        container.webhooks().receive(delivery.payload, delivery.signature)
        order_ids.append(order.id)
    assert _rendered(container, order_ids) == 0  # queued on Redis, not run here

    first = _worker(env)
    deadline = time.monotonic() + 60
    while _rendered(container, order_ids) < ORDERS // 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    second = _worker(env)
    try:
        deadline = time.monotonic() + 90
        while _rendered(container, order_ids) < ORDERS and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)

    numbers = sorted(d.number for o in order_ids for d in container.invoices().documents(o))
    year = container.clock().now().year
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, ORDERS + 1)]
    assert _rendered(container, order_ids) == ORDERS
    container.unwire()

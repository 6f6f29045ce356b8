"""Receipts sent by a real ``billing worker`` (Redis broker, PostgreSQL) to a real SMTP server.

Payments are delivered three times each; the worker renders the invoices and sends their
e-mails while the SMTP server is down (the jobs fail and back off), then the server comes up:
each buyer gets exactly one message, its PDF the stored one. A worker SIGKILLed while the
server holds its ``DATA`` (before the 250) leaves a claim that the next worker takes over once
stale: the message arrives once.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.contract.smtp_server import Inbox, free_port, smtp_server
from tests.integration.test_worker_redis import namespace  # a Redis key prefix of its own
from tests.integration.worker_harness import Shop, kill, running, shop_on_broker, wait_until

from billing.adapters.memory import FakeEvents, FakePaymentProvider
from billing.domain.mail import SentStatus
from billing.domain.order import Customer
from billing.domain.outbox import OutboxStatus
from billing.domain.payment import PaymentMode
from billing.services.jobs import SEND_RECEIPT, RetryLater
from billing.services.orders import CartLine

__all__ = ["namespace"]

QUICK = {
    "BILLING_TASK_HEARTBEAT_SECONDS": "1",
    "BILLING_TASK_MAINTENANCE_PER_MILLION": "1000000",
    "BILLING_TASK_STALE_SECONDS": "3",  # also the lease of a dead worker's claim
    "BILLING_INVOICE_RENDERER": "text",
    "BILLING_MAIL_FROM": "Shop <receipts@shop.example>",
    "BILLING_SMTP_TIMEOUT_SECONDS": "5",
}


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def shop(
    tmp_path: Path, postgres_url: str, redis_url: str, namespace: str, smtp_port: int
) -> Iterator[Shop]:
    settings = {**QUICK, "BILLING_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
    with shop_on_broker(postgres_url, tmp_path / "media", redis_url, namespace, **settings) as made:
        yield made


def pay_each_three_times(shop: Shop, count: int) -> list[str]:
    provider = shop.container.payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    events = FakeEvents(provider)
    order_ids = []
    for n in range(count):
        customer = Customer(email=f"buyer{n}@example.com")
        order = shop.container.orders().create_order(customer, [CartLine("ebook-python")]).order
        payment = shop.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
        delivery = events.payment_succeeded(payment.payment.id)
        for _ in range(3):
            shop.container.webhooks().receive(delivery.payload, delivery.signature)
        order_ids.append(order.id)
    return order_ids


def receipt_jobs(shop: Shop) -> list[tuple[OutboxStatus, int, str | None]]:
    jobs = [job for job in shop.container.job_service().list() if job.task == SEND_RECEIPT]
    return [(job.status, job.attempts, job.last_error) for job in jobs]


def test_duplicates_and_a_server_down_for_a_while_make_one_email_each(
    shop: Shop, tmp_path: Path, smtp_port: int
) -> None:
    order_ids = pay_each_three_times(shop, 3)
    inbox = Inbox()
    with running(shop.worker()):
        wait_until(
            "three receipts failed once with the server down",
            lambda: len([j for j in receipt_jobs(shop) if j[1] >= 1 and j[2]]) == 3,
            timeout=90,
        )
        assert all("MailUnavailable" in (error or "") for _, _, error in receipt_jobs(shop))
        with smtp_server(tmp_path, port=smtp_port, inbox=inbox):
            wait_until("three receipts", lambda: len(inbox.messages) >= 3, timeout=60)
            wait_until(
                "every receipt job done",
                lambda: {j[0] for j in receipt_jobs(shop)} == {OutboxStatus.DONE},
                timeout=30,
            )

    received = [message.parsed() for message in inbox.messages]
    assert sorted(m.recipient for m in received) == [f"buyer{n}@example.com" for n in range(3)]
    invoices = shop.container.invoices()
    for order_id in order_ids:
        [invoice] = invoices.documents(order_id)
        [message] = [m for m in received if m.message_id == f"<receipt.{invoice.id}@shop.example>"]
        [attachment] = message.attachments
        assert attachment.sha256 == invoice.pdf_sha256
        assert invoice.pdf_key is not None
        on_disk = (shop.media / "billing" / "invoices" / invoice.pdf_key).read_bytes()
        assert hashlib.sha256(on_disk).hexdigest() == invoice.pdf_sha256
    records = shop.container.receipts().messages()
    assert [r.status for r in records] == [SentStatus.SENT] * 3
    assert all(r.attempts >= 2 for r in records)


def test_a_worker_killed_before_the_server_answered_leaves_one_email(
    shop: Shop, tmp_path: Path, smtp_port: int
) -> None:
    [order_id] = pay_each_three_times(shop, 1)
    inbox = Inbox()
    inbox.faults.append("hold")
    with smtp_server(tmp_path, port=smtp_port, inbox=inbox):
        with running(shop.worker()) as first:
            wait_until("the server holding the DATA", inbox.held.is_set, timeout=90)
            kill(first)
        inbox.release.set()  # the server answers a client that is gone: nothing accepted
        [held] = shop.container.receipts().messages()
        assert held.status is SentStatus.SENDING

        with running(shop.worker()):
            wait_until("the receipt", lambda: len(inbox.messages) >= 1, timeout=60)
            wait_until(
                "the receipt job done",
                lambda: {j[0] for j in receipt_jobs(shop)} == {OutboxStatus.DONE},
                timeout=30,
            )

    [message] = [m.parsed() for m in inbox.messages]
    [invoice] = shop.container.invoices().documents(order_id)
    assert message.message_id == f"<receipt.{invoice.id}@shop.example>"
    [record] = shop.container.receipts().messages()
    assert (record.status, record.attempts) == (SentStatus.SENT, 2)


def test_concurrent_sends_of_one_document_on_postgresql_make_one_email(
    shop: Shop, tmp_path: Path, smtp_port: int
) -> None:
    [order_id] = pay_each_three_times(shop, 1)
    [invoice] = shop.container.invoices().documents(order_id)
    shop.container.invoices().render(invoice.id)  # here, not by a worker (none runs)
    barrier = threading.Barrier(8, timeout=30)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(str(shop.container.receipts().send(invoice.id).status))
        except RetryLater as error:
            outcomes.append(error.code)

    with smtp_server(tmp_path, port=smtp_port) as server:
        threads = [threading.Thread(target=attempt) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert len(outcomes) == 8
    assert set(outcomes) <= {"sent", "retry_later"}
    assert len(server.inbox.messages) == 1
    [record] = shop.container.receipts().messages()
    assert (record.status, record.attempts) == (SentStatus.SENT, 1)

"""Receipts by e-mail, on the memory mailer: one message per document, whatever happens.

A paid order's invoice and each refund's credit note reach the buyer once, with the stored PDF
attached; a redelivered event, a re-render, a job run twice, a mail server down for a while or a
worker killed mid-send never make a second message (but for the one window the README names:
killed after the server took it, the message goes again with the same Message-ID).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator

import attrs
import pytest
from dependency_injector import providers

from billing.adapters.memory import MemoryMailer, WorkerKilled
from billing.domain.invoice import DocumentKind, InvoiceArtifact
from billing.domain.mail import SentStatus
from billing.domain.order import Customer
from billing.domain.outbox import Job, OutboxJob, OutboxStatus
from billing.entrypoints.settings import Settings
from billing.services.jobs import RENDER_DOCUMENT, SEND_RECEIPT, RetryLater
from billing.services.orders import CartLine

from .conftest import World, make_world

MAIL_SETTINGS = Settings.in_memory(
    enabled=True,
    smtp_url="smtp://mail.shop.example",
    mail_from="Librairie Dupont <receipts@shop.example>",
    seller_name="Librairie Dupont SAS",
)


@attrs.define
class Shop:
    world: World
    mailer: MemoryMailer

    def documents(self, order_id: str) -> list[InvoiceArtifact]:
        return self.world.container.invoices().documents(order_id)

    def invoice(self, order_id: str) -> InvoiceArtifact:
        [invoice] = [d for d in self.documents(order_id) if d.kind is DocumentKind.INVOICE]
        return invoice

    def jobs(self, task: str = SEND_RECEIPT) -> list[OutboxJob]:
        return [job for job in self.world.jobs.list() if job.task == task]

    def sent_count(self, outcome: str) -> int:
        return self.world.metrics.count("billing_receipt_emails_total", outcome=outcome)


def make_shop(settings: Settings = MAIL_SETTINGS) -> Shop:
    world = make_world(settings)
    mailer = MemoryMailer()
    world.container.mailer.override(providers.Object(mailer))
    return Shop(world, mailer)


@pytest.fixture
def shop() -> Iterator[Shop]:
    made = make_shop()
    yield made
    made.world.container.unwire()


def test_a_paid_order_sends_its_buyer_one_email_with_the_stored_invoice_pdf(shop: Shop) -> None:
    order, _ = shop.world.paid_order()

    invoice = shop.invoice(order.id)
    [message] = shop.mailer.sent
    assert message.recipient == "guest@example.com"
    assert message.sender.address == "receipts@shop.example"
    assert message.sender.name == "Librairie Dupont"
    assert message.message_id == f"<receipt.{invoice.id}@shop.example>"
    assert message.body.subject == f"Votre facture {invoice.number} \u2013 Librairie Dupont SAS"
    assert f"commande {order.id}" in message.body.text
    [attachment] = message.attachments
    assert (attachment.filename, attachment.content_type) == (
        f"{invoice.number}.pdf",
        "application/pdf",
    )
    assert invoice.pdf_key is not None
    stored = shop.world.store.files[invoice.pdf_key]
    assert attachment.sha256 == invoice.pdf_sha256 == hashlib.sha256(stored).hexdigest()
    [job] = shop.jobs()
    assert (job.status, job.params) == (OutboxStatus.DONE, {"document_id": invoice.id})
    [record] = shop.world.container.receipts().messages()
    assert (record.document_id, record.status, record.attempts) == (invoice.id, SentStatus.SENT, 1)
    assert shop.sent_count("sent") == 1


def test_each_refund_sends_its_credit_note_once(shop: Shop) -> None:
    order, _ = shop.world.paid_order()
    shop.world.container.refunds().refund(order.id, 1000)
    shop.world.container.refunds().refund(order.id)

    numbers = [m.attachments[0].filename for m in shop.mailer.sent]
    assert numbers == ["INV-2026-000001.pdf", "CN-2026-000001.pdf", "CN-2026-000002.pdf"]
    note = shop.mailer.sent[1]
    assert note.body.subject.startswith("Votre avoir CN-2026-000001")
    assert "qui corrige la facture INV-2026-000001" in note.body.text
    assert len({m.message_id for m in shop.mailer.sent}) == 3


def test_redelivered_payment_events_send_no_second_email(shop: Shop) -> None:
    order, payment_id = shop.world.pending_order()
    delivery = shop.world.events.payment_succeeded(payment_id)
    webhooks = shop.world.container.webhooks()
    for _ in range(3):
        webhooks.receive(delivery.payload, delivery.signature)
    again = shop.world.events.payment_succeeded(payment_id)  # the same payment, a new event id
    webhooks.receive(again.payload, again.signature)

    assert len(shop.documents(order.id)) == 1
    assert len(shop.mailer.sent) == 1
    assert len(shop.jobs()) == 1
    assert shop.mailer.attempts == 1


def test_rendering_again_or_running_the_job_again_sends_nothing(shop: Shop) -> None:
    order, _ = shop.world.paid_order()
    invoice = shop.invoice(order.id)
    [job] = shop.jobs()

    shop.world.container.invoices().render_order(order.id)  # `billing invoices render`
    shop.world.container.invoices().render(invoice.id)
    assert shop.world.jobs.run(job.id) is OutboxStatus.DONE
    record = shop.world.container.receipts().send(invoice.id)  # the handler, straight
    with shop.world.uow_factory() as uow:  # even a second job for the same document
        [extra] = shop.world.container.job_outbox().write(
            uow, [Job.of(SEND_RECEIPT, document_id=invoice.id)], shop.world.clock.now()
        )
        uow.commit()
    assert shop.world.jobs.run(extra.id) is OutboxStatus.DONE

    assert record.status is SentStatus.SENT
    assert len(shop.mailer.sent) == 1
    assert shop.mailer.attempts == 1


def test_the_mail_server_down_retries_with_backoff_then_sends_once(shop: Shop) -> None:
    shop.mailer.down = True
    order, _ = shop.world.paid_order()

    [job] = shop.jobs()
    assert (job.status, job.attempts) == (OutboxStatus.PENDING, 1)
    assert job.last_error is not None
    assert "MailUnavailable" in job.last_error
    [record] = shop.world.container.receipts().messages()
    assert record.status is SentStatus.FAILED
    assert shop.world.relay.relay_all() == 0  # not before its backoff
    shop.world.clock.advance(seconds=5)
    assert shop.world.relay.relay_all() == 1  # the second attempt, still down
    [job] = shop.jobs()
    assert (job.status, job.attempts) == (OutboxStatus.PENDING, 2)

    shop.mailer.down = False
    shop.world.clock.advance(seconds=9)
    assert shop.world.relay.relay_all() == 0  # the backoff doubled: 10 s
    shop.world.clock.advance(seconds=1)
    assert shop.world.relay.relay_all() == 1

    [job] = shop.jobs()
    assert (job.status, job.attempts) == (OutboxStatus.DONE, 3)
    assert [m.attachments[0].filename for m in shop.mailer.sent] == ["INV-2026-000001.pdf"]
    [record] = shop.world.container.receipts().messages()
    assert (record.status, record.attempts, record.last_error) == (SentStatus.SENT, 3, None)
    assert (shop.sent_count("failed"), shop.sent_count("sent")) == (2, 1)
    assert shop.world.order(order.id).status.value == "paid"


def test_a_receipt_that_keeps_failing_dies_visibly_and_can_be_retried(shop: Shop) -> None:
    shop.mailer.down = True
    shop.world.paid_order()
    for _ in range(12):  # far past the policy's eight attempts
        shop.world.clock.advance(seconds=3600)
        shop.world.relay.relay_all()

    [dead] = shop.world.jobs.list(OutboxStatus.DEAD)
    assert (dead.task, dead.attempts) == (SEND_RECEIPT, 8)
    assert shop.mailer.sent == []
    assert shop.world.jobs.dead_count() == 1

    shop.mailer.down = False
    shop.world.jobs.retry(dead.id)  # `billing tasks retry ID`
    shop.world.relay.relay_all()

    assert len(shop.mailer.sent) == 1
    assert shop.world.jobs.dead_count() == 0


def test_a_worker_killed_before_the_server_took_the_message_sends_it_once(shop: Shop) -> None:
    shop.mailer.crash_next(after_accepting=False)
    with pytest.raises(WorkerKilled):
        shop.world.paid_order()
    [job] = shop.jobs()
    assert job.status is OutboxStatus.PUBLISHED  # the dead worker's job, not done
    [held] = shop.world.container.receipts().messages()
    assert held.status is SentStatus.SENDING

    shop.world.clock.advance(seconds=30)  # the claim is not stale yet: nobody takes it
    with pytest.raises(RetryLater):
        shop.world.container.receipts().send(held.document_id)
    assert shop.world.relay.relay_all() == 0
    shop.world.clock.advance(seconds=31)  # the job and the claim are both stale now
    assert shop.world.relay.relay_all() >= 1

    [message] = shop.mailer.sent
    [record] = shop.world.container.receipts().messages()
    assert (record.status, record.attempts) == (SentStatus.SENT, 2)
    assert message.message_id == record.message_id
    assert [j.status for j in shop.jobs()] == [OutboxStatus.DONE]


def test_a_worker_killed_after_the_server_took_it_resends_the_same_message_id(
    shop: Shop,
) -> None:
    """The residual window of the README: accepted by the server, then killed before "sent"
    was committed. The retry cannot know; it sends again, recognisably the same message."""
    shop.mailer.crash_next(after_accepting=True)
    with pytest.raises(WorkerKilled):
        shop.world.paid_order()
    shop.world.clock.advance(seconds=61)
    shop.world.relay.relay_all()

    first, second = shop.mailer.sent
    assert first.message_id == second.message_id
    assert first.attachments == second.attachments
    assert first.body == second.body
    [record] = shop.world.container.receipts().messages()
    assert record.status is SentStatus.SENT


def test_concurrent_attempts_on_one_document_send_one_email(shop: Shop) -> None:
    shop.mailer.down = True
    order, _ = shop.world.paid_order()  # rendered, its receipt failed once
    shop.mailer.down = False
    document_id = shop.invoice(order.id).id
    barrier = threading.Barrier(8, timeout=30)
    outcomes: list[object] = []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(shop.world.container.receipts().send(document_id).status)
        except RetryLater as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 8
    assert len(shop.mailer.sent) == 1
    assert set(outcomes) <= {SentStatus.SENT, "retry_later"}


def test_without_an_smtp_url_no_job_is_written_and_nothing_is_sent(world: World) -> None:
    order, _ = world.paid_order()
    world.container.refunds().refund(order.id)

    assert {job.task for job in world.jobs.list()} == {RENDER_DOCUMENT}
    with world.uow_factory() as uow:
        assert uow.sent_messages.list() == []


def test_a_buyer_without_an_address_gets_no_job(shop: Shop) -> None:
    shop.world.paid_order(Customer(user_id="user-without-email"), CartLine("book"))

    assert shop.jobs() == []
    assert shop.mailer.sent == []


def test_receipts_are_written_in_the_configured_locale(shop: Shop) -> None:
    english = make_shop(attrs.evolve(MAIL_SETTINGS, invoice_locale="en"))
    try:
        english.world.paid_order()
    finally:
        english.world.container.unwire()

    [message] = english.mailer.sent
    assert message.body.subject == "Your invoice INV-2026-000001 \u2013 Librairie Dupont SAS"
    assert "Thank you for your order" in message.body.text


def test_each_send_logs_one_line_with_the_document_number(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="billing.services.receipts"):
        shop.world.paid_order()

    lines = [r for r in caplog.records if r.name == "billing.services.receipts"]
    [line] = lines
    assert "INV-2026-000001" in line.getMessage()
    assert getattr(line, "document", None) == "INV-2026-000001"
    assert "guest@example.com" not in line.getMessage()  # the address stays out of the logs

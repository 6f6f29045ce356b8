"""Invoices and credit notes: numbered without gaps, rendered once, verifiable."""

from __future__ import annotations

import hashlib

import pytest

from billing.domain.dispute_status import DisputeStatus
from billing.domain.errors import DocumentNotRendered, StorageUnavailable
from billing.domain.invoice import DocumentKind
from billing.domain.money import Money
from billing.domain.outbox import OutboxStatus
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.services.orders import CartLine

from .conftest import USER, World


def test_paid_orders_get_consecutive_invoice_numbers_and_rendered_files(world: World) -> None:
    first, _ = world.paid_order()
    second, _ = world.paid_order(USER, CartLine("manga", 3))

    documents = world.container.invoices()
    [a] = documents.documents(first.id)
    [b] = documents.documents(second.id)
    assert (a.number, b.number) == ("INV-2026-000001", "INV-2026-000002")
    assert a.rendered
    assert a.template_version == "text-1"
    pdf = documents.file(b.id, "pdf")
    assert hashlib.sha256(pdf).hexdigest() == b.pdf_sha256
    assert b"2700 JPY" in pdf
    assert [job.status for job in world.jobs.list()] == [OutboxStatus.DONE] * 2


def test_a_rejected_payment_event_consumes_no_number(world: World) -> None:
    order, payment_id = world.pending_order()
    wrong = world.events.payment_succeeded(payment_id, amount=Money(5, "EUR"))
    world.container.webhooks().receive(wrong.payload, wrong.signature)
    paid, _ = world.paid_order()

    [invoice] = world.container.invoices().documents(paid.id)
    assert invoice.number == "INV-2026-000001"
    assert world.container.invoices().documents(order.id) == []


def test_rendering_again_keeps_the_same_record_and_files(world: World) -> None:
    order, _ = world.paid_order()
    service = world.container.invoices()
    [before] = service.documents(order.id)
    files = dict(world.store.files)

    again = service.render(before.id)

    assert again == before
    assert world.store.files == files


def test_each_succeeded_refund_gets_a_credit_note_referring_to_the_invoice(world: World) -> None:
    order, _ = world.paid_order()
    world.container.refunds().refund(order.id, 1000)
    world.container.refunds().refund(order.id)

    documents = world.container.invoices().documents(order.id)
    kinds = [(d.kind, d.number) for d in documents]
    assert kinds == [
        (DocumentKind.CREDIT_NOTE, "CN-2026-000001"),
        (DocumentKind.CREDIT_NOTE, "CN-2026-000002"),
        (DocumentKind.INVOICE, "INV-2026-000001"),
    ]
    note = world.container.invoices().file(documents[0].id, "html")
    assert b"Corrects invoice INV-2026-000001" in note
    assert b"10.00 EUR" in note


def test_verify_reports_altered_and_missing_files(world: World) -> None:
    first, _ = world.paid_order()
    second, _ = world.paid_order()
    service = world.container.invoices()
    assert service.verify() == []
    [a] = service.documents(first.id)
    [b] = service.documents(second.id)
    assert a.pdf_key is not None
    assert b.html_key is not None

    altered = bytearray(world.store.files[a.pdf_key])
    altered[0] ^= 0xFF
    world.store.files[a.pdf_key] = bytes(altered)
    del world.store.files[b.html_key]

    assert sorted((p.code, p.number, p.key) for p in service.verify()) == [
        ("artifact_corrupted", a.number, a.pdf_key),
        ("artifact_missing", b.number, b.html_key),
    ]


def test_a_failed_rendering_keeps_the_order_paid_and_heals_on_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unwritable(key: str, data: bytes) -> str:
        raise StorageUnavailable("media root not writable")

    monkeypatch.setattr(world.store, "put", unwritable)
    order, _ = world.paid_order()

    assert world.order(order.id).status is OrderStatus.PAID
    [job] = world.jobs.list()
    assert (job.status, job.attempts) == (OutboxStatus.PENDING, 1)
    assert job.last_error is not None
    assert "StorageUnavailable" in job.last_error
    [pending] = world.container.invoices().documents(order.id)
    assert not pending.rendered

    monkeypatch.undo()
    assert world.relay.relay_all() == 0  # not before its backoff
    world.clock.advance(seconds=5)
    assert world.relay.relay_all() == 1

    [done] = world.container.invoices().documents(order.id)
    assert (done.number, done.rendered) == (pending.number, True)
    [job] = world.jobs.list()
    assert (job.status, job.attempts) == (OutboxStatus.DONE, 2)


def test_a_crash_between_commit_and_publish_loses_no_job(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = world.container.job_publisher()

    def crash(jobs: object) -> None:
        raise SystemExit("the process died right after its commit")

    monkeypatch.setattr(publisher, "publish", crash)
    with pytest.raises(SystemExit):
        world.paid_order()
    monkeypatch.undo()
    [job] = world.jobs.list()
    assert (job.task, job.status, job.attempts) == ("render_document", OutboxStatus.PENDING, 0)

    world.clock.advance(minutes=5)  # the relay picks up what nobody handed over
    assert world.relay.relay_all() == 1

    [done] = world.jobs.list()
    assert done.status is OutboxStatus.DONE
    with world.uow_factory() as uow:
        [invoice] = uow.invoices.list_all()
    assert invoice.rendered


def _books(world: World, order_id: str) -> int:
    """The money the documents say is held: invoices and cancellations less credit notes."""
    service = world.container.invoices()
    return sum(service.document(d.id).booked for d in service.documents(order_id))


def test_a_refund_failing_after_it_succeeded_is_canceled_by_an_invoice_series_document(
    world: World,
) -> None:
    order, _payment_id = world.paid_order()
    refund = world.container.refunds().refund(order.id, 2900)
    assert _books(world, order.id) == 10000 - 2900
    [provider_refund] = world.provider.refunds
    world.provider.report_refund(provider_refund, RefundStatus.FAILED)
    failed = world.events.refund_updated(provider_refund)

    world.container.webhooks().receive(failed.payload, failed.signature)

    stored = world.order(order.id)
    assert (stored.status, stored.amount_refunded) == (OrderStatus.PAID, 0)
    documents = world.container.invoices().documents(order.id)
    assert [(d.kind, d.number) for d in documents] == [
        (DocumentKind.CREDIT_NOTE, "CN-2026-000001"),  # kept: numbers are never deleted
        (DocumentKind.INVOICE, "INV-2026-000001"),
        (DocumentKind.CREDIT_NOTE_CANCELLATION, "INV-2026-000002"),
    ]
    cancellation = documents[2]
    assert (cancellation.refund_id, cancellation.rendered) == (refund.id, True)
    content = world.container.invoices().document(cancellation.id)
    assert (content.refers_to, content.total) == ("CN-2026-000001", 2900)
    assert (
        content.reason == f"Annule l'avoir CN-2026-000001 : le remboursement {refund.id} a échoué"
    )
    assert content.refers_to_issued_at == documents[0].created_at
    assert b"CN-2026-000001" in world.container.invoices().file(cancellation.id, "html")
    assert _books(world, order.id) == stored.amount_paid - stored.amount_refunded == 10000


def test_the_books_balance_through_refunds_a_reversal_and_a_lost_dispute(world: World) -> None:
    order, payment_id = world.paid_order()
    world.container.refunds().refund(order.id, 1000)
    world.container.refunds().refund(order.id, 2000)
    first = sorted(world.provider.refunds)[0]
    world.provider.report_refund(first, RefundStatus.FAILED)
    failed = world.events.refund_updated(first)
    lost = world.events.dispute(payment_id, DisputeStatus.LOST, amount=Money(5000, "EUR"))
    for delivery in (failed, failed, lost):
        world.container.webhooks().receive(delivery.payload, delivery.signature)

    stored = world.order(order.id)
    held = stored.amount_paid - stored.amount_refunded - stored.amount_disputed_lost
    assert (stored.amount_refunded, stored.amount_disputed_lost, held) == (2000, 5000, 3000)
    assert _books(world, order.id) == held
    kinds = [d.kind for d in world.container.invoices().documents(order.id)]
    assert kinds.count(DocumentKind.CREDIT_NOTE_CANCELLATION) == 1


def test_a_refund_failing_before_it_ever_succeeded_cancels_nothing(world: World) -> None:
    order, _payment_id = world.paid_order()
    world.provider._refund_status = RefundStatus.PENDING
    world.container.refunds().refund(order.id, 2900)
    [provider_refund] = world.provider.refunds
    world.provider.report_refund(provider_refund, RefundStatus.FAILED)
    failed = world.events.refund_updated(provider_refund)

    world.container.webhooks().receive(failed.payload, failed.signature)

    kinds = [d.kind for d in world.container.invoices().documents(order.id)]
    assert kinds == [DocumentKind.INVOICE]
    assert _books(world, order.id) == 10000


def test_a_file_asked_for_before_it_is_rendered_is_retryable(world: World) -> None:
    order, _ = world.pending_order()
    with world.uow_factory() as uow:  # numbered, its render job not run yet
        locked = uow.lock_order(order.id)
        artifact = world.container.invoices().allocate(
            uow, locked, DocumentKind.INVOICE, world.clock.now()
        )
        uow.commit()

    with pytest.raises(DocumentNotRendered) as raised:
        world.container.invoices().file(artifact.id, "pdf")

    assert (raised.value.retryable, raised.value.retry_after) == (True, 2)

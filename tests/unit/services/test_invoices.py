"""Invoices and credit notes: numbered without gaps, rendered once, verifiable."""

from __future__ import annotations

import hashlib

from billing.domain.invoice import DocumentKind
from billing.domain.money import Money
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
    assert world.tasks.failed == []


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

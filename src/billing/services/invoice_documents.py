"""The content of an invoice or a credit note, built from the order (and refund) it records."""

from __future__ import annotations

from billing.domain.invoice import (
    DocumentKind,
    DocumentLine,
    InvoiceArtifact,
    InvoiceDocument,
    Party,
)
from billing.domain.order import Order
from billing.domain.refund import Refund


def buyer_of(order: Order) -> Party:
    customer = order.customer
    return Party(name=customer.email or customer.user_id or "", email=customer.email or "")


def invoice_document(artifact: InvoiceArtifact, order: Order, seller: Party) -> InvoiceDocument:
    lines = tuple(
        DocumentLine(item.name, item.quantity, item.unit_amount, item.line_amount)
        for item in order.items
    )
    return InvoiceDocument(
        number=artifact.number,
        kind=DocumentKind.INVOICE,
        issued_at=artifact.created_at,
        seller=seller,
        buyer=buyer_of(order),
        currency=order.currency,
        lines=lines,
        total=order.total.amount,
        order_id=order.id,
    )


def credit_note_document(
    artifact: InvoiceArtifact,
    order: Order,
    refund: Refund,
    invoice_number: str | None,
    seller: Party,
) -> InvoiceDocument:
    line = DocumentLine(f"Refund for order {order.id}", 1, refund.amount, refund.amount)
    return InvoiceDocument(
        number=artifact.number,
        kind=DocumentKind.CREDIT_NOTE,
        issued_at=artifact.created_at,
        seller=seller,
        buyer=buyer_of(order),
        currency=order.currency,
        lines=(line,),
        total=refund.amount,
        order_id=order.id,
        refers_to=invoice_number,
    )

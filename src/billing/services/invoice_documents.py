"""The content of each document, built from what it records: an invoice from its order, a
credit note from its refund or its lost dispute, a cancellation from the credit note it cancels.
"""

from __future__ import annotations

from billing.domain.dispute import Dispute
from billing.domain.invoice import (
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


def _document(
    artifact: InvoiceArtifact,
    order: Order,
    seller: Party,
    lines: tuple[DocumentLine, ...],
    refers_to: str | None = None,
) -> InvoiceDocument:
    return InvoiceDocument(
        number=artifact.number,
        kind=artifact.kind,
        issued_at=artifact.created_at,
        seller=seller,
        buyer=buyer_of(order),
        currency=order.currency,
        lines=lines,
        total=sum(line.amount for line in lines),
        order_id=order.id,
        refers_to=refers_to,
    )


def invoice_document(artifact: InvoiceArtifact, order: Order, seller: Party) -> InvoiceDocument:
    lines = tuple(
        DocumentLine(item.name, item.quantity, item.unit_amount, item.line_amount)
        for item in order.items
    )
    return _document(artifact, order, seller, lines)


def credit_note_document(
    artifact: InvoiceArtifact,
    order: Order,
    refund: Refund,
    invoice_number: str | None,
    seller: Party,
) -> InvoiceDocument:
    line = DocumentLine(f"Refund for order {order.id}", 1, refund.amount, refund.amount)
    return _document(artifact, order, seller, (line,), refers_to=invoice_number)


def dispute_credit_note_document(
    artifact: InvoiceArtifact,
    order: Order,
    dispute: Dispute,
    invoice_number: str | None,
    seller: Party,
) -> InvoiceDocument:
    """The money a lost dispute took back: credited like a refund."""
    description = f"Chargeback lost for order {order.id} (dispute {dispute.id})"
    line = DocumentLine(description, 1, dispute.amount, dispute.amount)
    return _document(artifact, order, seller, (line,), refers_to=invoice_number)


def cancellation_document(
    artifact: InvoiceArtifact,
    order: Order,
    refund: Refund,
    credit_note_number: str,
    seller: Party,
) -> InvoiceDocument:
    """Cancels the credit note of a refund that failed after it succeeded: the amount is owed
    (and held) again. The credit note stays; this document undoes it."""
    description = f"Cancels credit note {credit_note_number}: refund {refund.id} failed"
    line = DocumentLine(description, 1, refund.amount, refund.amount)
    return _document(artifact, order, seller, (line,), refers_to=credit_note_number)

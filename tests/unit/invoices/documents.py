"""Sample invoice documents in EUR, JPY and KWD, and a credit note, shared by the renderer tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from billing.domain.invoice import DocumentKind, DocumentLine, InvoiceDocument, Party

SELLER = Party(
    name="Acme Learning SAS",
    address="1 rue de la Paix\n75002 Paris",
    tax_id="FR40123456789",
    email="billing@acme.example",
)
HOSTILE_NAME = '<script>alert("x")</script> & <img src=x onerror=alert(1)> Zoë'
ISSUED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def invoice(currency: str, lines: tuple[DocumentLine, ...], **changes: Any) -> InvoiceDocument:
    document = InvoiceDocument(
        number="INV-2026-000042",
        kind=DocumentKind.INVOICE,
        issued_at=ISSUED_AT,
        seller=SELLER,
        buyer=Party(name="Ada Lovelace", address="12 St James's Square\nLondon"),
        currency=currency,
        lines=lines,
        total=sum(line.amount for line in lines),
        order_id="ord_0001",
    )
    return attrs.evolve(document, **changes)


EUR_INVOICE = invoice(
    "EUR",
    (
        DocumentLine("A book", 2, 2500, 5000),
        DocumentLine("A course", 1, 123456, 123456),
    ),
)
JPY_INVOICE = invoice("JPY", (DocumentLine("A manga", 3, 900, 2700),))
KWD_INVOICE = invoice("KWD", (DocumentLine("A course", 2, 12345, 24690),))
CREDIT_NOTE = invoice(
    "EUR",
    (DocumentLine("Refund for order ord_0001", 1, 2500, 2500),),
    number="CN-2026-000007",
    kind=DocumentKind.CREDIT_NOTE,
    refers_to="INV-2026-000042",
)

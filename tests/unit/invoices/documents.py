"""Sample invoice documents in EUR, JPY and KWD, and a credit note, shared by the renderer tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from billing.domain.invoice import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    TaxCategory,
    TaxLine,
)

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

# A French seller with its full identity, a B2B buyer, two rates and an exempt line: what the
# tax helper fills (services/invoice_documents.py), written out by hand.
FULL_SELLER = Party(
    name="Acme Learning",
    legal_form="SAS au capital de 10 000 €",
    address="1 rue de la Paix\n75002 Paris",
    country="FR",
    registration="73282932000074",
    trade_register="RCS Paris 732 829 320",
    tax_id="FR44732829320",
    email="billing@acme.example",
)
B2B_BUYER = Party(
    name="Babbage & Co Ltd",
    address="12 St James's Square\nLondon SW1Y 4LB",
    country="GB",
    tax_id="GB980780684",
    email="accounts@babbage.example",
)
STANDARD = TaxCategory.STANDARD
TAXED_LINES = (
    # 2 x 120.00 gross at 20 %: net 200.00, VAT 40.00
    DocumentLine("Python course", 2, 12000, 24000, 2000, STANDARD, net=20000),
    # 1 x 29.00 gross at 5.5 %: net 27.49, VAT 1.51
    DocumentLine("E-book: Fluent Python", 1, 2900, 2900, 550, TaxCategory.REDUCED, net=2749),
    # exempt training voucher
    DocumentLine("Training voucher", 1, 5000, 5000, 0, TaxCategory.EXEMPT, net=5000),
)
TAXES = (
    TaxLine(2000, STANDARD, net=20000, tax=4000, gross=24000),
    TaxLine(550, TaxCategory.REDUCED, net=2749, tax=151, gross=2900),
    TaxLine(
        0, TaxCategory.EXEMPT, net=5000, tax=0, gross=5000, exemption_reason="Art. 261-4-4° du CGI"
    ),
)
PAID_AT = datetime(2026, 3, 1, 9, 31, tzinfo=UTC)
TAXED_INVOICE = InvoiceDocument(
    number="INV-2026-000043",
    kind=DocumentKind.INVOICE,
    issued_at=ISSUED_AT,
    seller=FULL_SELLER,
    buyer=B2B_BUYER,
    currency="EUR",
    lines=TAXED_LINES,
    total=31900,
    order_id="ord_0002",
    taxes=TAXES,
    paid_at=PAID_AT,
    payment_method="Visa •••• 4242",
    mentions=(
        "Pénalités de retard : trois fois le taux d'intérêt légal.",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €.",
    ),
    footer="Acme Learning — 1 rue de la Paix, 75002 Paris — billing@acme.example",
)
# A partial refund of the course line (one of two seats): 120.00 gross at 20 %.
TAXED_CREDIT_NOTE = attrs.evolve(
    TAXED_INVOICE,
    number="CN-2026-000008",
    kind=DocumentKind.CREDIT_NOTE,
    issued_at=datetime(2026, 3, 5, 14, 0, tzinfo=UTC),
    lines=(DocumentLine("Python course", 1, 12000, 12000, 2000, STANDARD, net=10000),),
    taxes=(TaxLine(2000, STANDARD, net=10000, tax=2000, gross=12000),),
    total=12000,
    refers_to="INV-2026-000043",
    refers_to_issued_at=ISSUED_AT,
    reason="One seat cancelled by the buyer",
    paid_at=None,
    payment_method="",
)
# A seller under the franchise: no VAT, and the mention that says why.
FRANCHISE_INVOICE = attrs.evolve(
    TAXED_INVOICE,
    number="INV-2026-000044",
    lines=(DocumentLine("Python course", 1, 12000, 12000, 0, TaxCategory.EXEMPT, net=12000),),
    taxes=(
        TaxLine(
            0,
            TaxCategory.EXEMPT,
            net=12000,
            tax=0,
            gross=12000,
            exemption_reason="TVA non applicable, art. 293 B du CGI",
        ),
    ),
    total=12000,
    mentions=("TVA non applicable, art. 293 B du CGI",),
)

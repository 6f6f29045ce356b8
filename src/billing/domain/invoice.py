"""Invoices and credit notes: gap-free numbering and the document a renderer turns into files."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

import attrs

from billing.domain.errors import InvalidInput


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    #: Money given back: a refund that succeeded, or a dispute lost.
    CREDIT_NOTE = "credit_note"
    #: Cancels a credit note whose refund failed after it had succeeded (the money came back):
    #: numbered in the invoice series, since numbered documents are never deleted.
    CREDIT_NOTE_CANCELLATION = "credit_note_cancellation"


SERIES_PREFIX = {
    DocumentKind.INVOICE: "INV",
    DocumentKind.CREDIT_NOTE: "CN",
    DocumentKind.CREDIT_NOTE_CANCELLATION: "INV",
}
#: What a document's total does to the money the books say is held.
BOOKED_SIGN = {
    DocumentKind.INVOICE: 1,
    DocumentKind.CREDIT_NOTE: -1,
    DocumentKind.CREDIT_NOTE_CANCELLATION: 1,
}
_NUMBER_TEXT = re.compile(r"(?P<series>[A-Z]+)-(?P<year>[0-9]{4})-(?P<sequence>[0-9]{6})")


@attrs.frozen
class DocumentNumber:
    """``INV-2026-000042``: series, year, and a sequence that starts at 1 and has no gaps."""

    series: str
    year: int
    sequence: int

    def __attrs_post_init__(self) -> None:
        if self.sequence < 1 or not 1 <= self.sequence <= 999_999:
            raise InvalidInput(f"sequence {self.sequence} out of range", series=self.series)

    def __str__(self) -> str:
        return f"{self.series}-{self.year:04d}-{self.sequence:06d}"

    @classmethod
    def parse(cls, text: str) -> DocumentNumber:
        """Read back exactly what ``str`` writes; anything else is InvalidInput."""
        match = _NUMBER_TEXT.fullmatch(text)
        if match is None:
            raise InvalidInput(f"not a document number: {text!r}", text=text)
        return cls(match["series"], int(match["year"]), int(match["sequence"]))


@attrs.define
class InvoiceArtifact:
    """The record of one numbered document; files are filled in once rendered."""

    id: str
    number: str
    kind: DocumentKind
    order_id: str
    created_at: datetime
    refund_id: str | None = None
    template_version: str | None = None
    html_key: str | None = None
    html_sha256: str | None = None
    pdf_key: str | None = None
    pdf_sha256: str | None = None
    rendered_at: datetime | None = None
    #: The lost dispute a credit note records (a refund's credit note has ``refund_id``).
    dispute_id: str | None = None

    @property
    def rendered(self) -> bool:
        return self.rendered_at is not None


class TaxCategory(StrEnum):
    """How a line is taxed; the values are EN 16931's VAT category codes (UNCL 5305), so a
    Factur-X renderer writes them as they are."""

    STANDARD = "S"
    REDUCED = "AA"
    ZERO = "Z"
    EXEMPT = "E"


@attrs.frozen
class Party:
    """The seller or the buyer as printed; empty strings are simply not printed."""

    name: str
    address: str = ""  # lines separated by "\n"
    tax_id: str = ""  # the VAT number (intra-community for the EU)
    email: str = ""
    legal_form: str = ""  # "SAS au capital de 10 000 €"
    registration: str = ""  # SIREN or SIRET
    trade_register: str = ""  # "RCS Paris 123 456 789"
    country: str = ""  # ISO 3166-1 alpha-2


@attrs.frozen
class DocumentLine:
    """One line; ``amount`` is what the line costs with its tax (gross), like the order's."""

    description: str
    quantity: int
    unit_amount: int
    amount: int
    tax_rate_bp: int = 0  # basis points: 2000 is 20 %
    tax_category: TaxCategory = TaxCategory.EXEMPT
    net: int | None = None  # None: no tax breakdown known (the whole amount is net)
    #: Whether ``unit_amount`` is the unit price with its tax (the catalog's are gross) or net.
    unit_includes_tax: bool = True

    @property
    def net_amount(self) -> int:
        return self.amount if self.net is None else self.net


@attrs.frozen
class TaxLine:
    """One rate's totals on a document: net + tax = gross, in minor units."""

    rate_bp: int
    category: TaxCategory
    net: int
    tax: int
    gross: int
    exemption_reason: str = ""


@attrs.frozen
class InvoiceDocument:
    """Everything printed on an invoice or a credit note; amounts in minor units, positive
    (a credit note's sign comes from its kind, see ``booked``)."""

    number: str
    kind: DocumentKind
    issued_at: datetime
    seller: Party
    buyer: Party
    currency: str
    lines: tuple[DocumentLine, ...]
    total: int
    order_id: str
    refers_to: str | None = None  # the invoice a credit note corrects, the note a cancellation
    refers_to_issued_at: datetime | None = None
    taxes: tuple[TaxLine, ...] = ()  # per rate; empty: no tax breakdown known
    paid_at: datetime | None = None
    payment_method: str = ""  # "Visa •••• 4242"
    reason: str = ""  # why a credit note was issued
    mentions: tuple[str, ...] = ()  # legal mentions (VAT exemption, late-payment penalties)
    footer: str = ""
    locale: str = "fr"

    @property
    def booked(self) -> int:
        """The total with the sign it has in the books (a credit note's is negative)."""
        return BOOKED_SIGN[self.kind] * self.total

    @property
    def net_total(self) -> int:
        return sum(t.net for t in self.taxes) if self.taxes else self.total

    @property
    def tax_total(self) -> int:
        return sum(t.tax for t in self.taxes)


@attrs.frozen
class RenderedDocument:
    html: bytes = attrs.field(repr=False)
    pdf: bytes = attrs.field(repr=False)
    template_version: str

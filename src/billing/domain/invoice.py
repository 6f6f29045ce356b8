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


def next_number(series: str, year: int, last_sequence: int) -> DocumentNumber:
    """The number following ``last_sequence`` in ``series`` for ``year`` (0 when none yet)."""
    return DocumentNumber(series, year, last_sequence + 1)


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


@attrs.frozen
class Party:
    name: str
    address: str = ""
    tax_id: str = ""
    email: str = ""


@attrs.frozen
class DocumentLine:
    description: str
    quantity: int
    unit_amount: int
    amount: int


@attrs.frozen
class InvoiceDocument:
    """Everything printed on an invoice or a credit note; amounts in minor units."""

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

    @property
    def booked(self) -> int:
        """The total with the sign it has in the books (a credit note's is negative)."""
        return BOOKED_SIGN[self.kind] * self.total


@attrs.frozen
class RenderedDocument:
    html: bytes = attrs.field(repr=False)
    pdf: bytes = attrs.field(repr=False)
    template_version: str

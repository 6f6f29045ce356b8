"""A plain-text renderer: the document as readable text, in both the HTML and PDF slots.

For tests and the demo; production uses the HTML/PDF renderer of this package.
"""

from __future__ import annotations

from billing.domain.invoice import InvoiceDocument, RenderedDocument
from billing.domain.money import Money


class TextRenderer:
    template_version = "text-1"

    def render(self, document: InvoiceDocument) -> RenderedDocument:
        def money(amount: int) -> str:
            return str(Money(amount, document.currency))

        lines = [
            f"{document.kind.value.replace('_', ' ').title()} {document.number}",
            f"Issued {document.issued_at.date().isoformat()} for order {document.order_id}",
            f"Seller: {document.seller.name}",
            f"Buyer: {document.buyer.name}",
        ]
        if document.refers_to:
            lines.append(f"Corrects invoice {document.refers_to}")
        lines += [
            f"{line.quantity} x {line.description} @ {money(line.unit_amount)} = "
            f"{money(line.amount)}"
            for line in document.lines
        ]
        lines.append(f"Total: {money(document.total)}")
        text = "\n".join(lines).encode()
        return RenderedDocument(html=text, pdf=text, template_version=self.template_version)

    def check(self, document: InvoiceDocument, pdf: bytes, template_version: str) -> list[str]:
        """A text file carries no machine-readable data to disagree with."""
        return []

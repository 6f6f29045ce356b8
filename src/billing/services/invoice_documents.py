"""The content of each document, built from what it records: an invoice from its order, a
credit note from its refund or its lost dispute, a cancellation from the credit note it cancels.

Amounts are positive; a credit note's sign comes from its kind. An invoice shows the order's
lines as sold (each with its rate, net and tax) and their totals per rate. A credit note for
the whole order repeats those lines; one for part of it (a partial refund, a lost dispute)
splits its amount over the order's lines in proportion to their gross amounts
(``domain.tax.split``: the parts add up to the amount exactly), each part then taken apart
into net and tax at its line's rate, the way gross prices are (``domain.tax.line_tax``). A
cancellation repeats the split of the credit note it cancels, so the two cancel line by line.
"""

from __future__ import annotations

import attrs

from billing.domain.dispute import Dispute
from billing.domain.invoice import (
    DocumentLine,
    InvoiceArtifact,
    InvoiceDocument,
    Party,
)
from billing.domain.order import Order, OrderItem
from billing.domain.refund import Refund
from billing.domain.tax import TaxedAmount, line_tax, split, totals

#: What the French Commercial Code asks of an invoice to a business (art. L441-9, D441-5).
B2B_MENTIONS = {
    "fr": (
        "En cas de retard de paiement : pénalités au taux de trois fois le taux d'intérêt "
        "légal et indemnité forfaitaire pour frais de recouvrement de 40 € "
        "(art. L441-10 et D441-5 du Code de commerce).",
        "Pas d'escompte pour paiement anticipé.",
    ),
    "en": (
        "Late payment: penalties at three times the French legal interest rate and a fixed "
        "recovery indemnity of €40 (art. L441-10 and D441-5 of the French Commercial Code).",
        "No discount for early payment.",
    ),
}
_REFUND = {"fr": "Remboursement de la commande {order}", "en": "Refund of order {order}"}
_CHARGEBACK = {
    "fr": "Litige perdu (contestation {dispute} : {reason})",
    "en": "Chargeback lost (dispute {dispute}: {reason})",
}
_CANCELLATION = {
    "fr": "Annule l'avoir {note} : le remboursement {refund} a échoué",
    "en": "Cancels credit note {note}: refund {refund} failed",
}


@attrs.frozen
class InvoiceTerms:
    """What the seller's settings add to every document beyond its identity."""

    #: ``BILLING_VAT_EXEMPTION_MENTION``: printed on every document, and the reason of exempt
    #: lines that have none of their own.
    vat_exemption_mention: str = ""
    #: ``auto`` (when the buyer gave a VAT number), ``always`` or ``never``.
    b2b_mentions: str = "auto"
    footer: str = ""
    locale: str = "fr"

    def mentions(self, buyer: Party) -> tuple[str, ...]:
        found = [self.vat_exemption_mention] if self.vat_exemption_mention else []
        b2b = self.b2b_mentions == "always" or (self.b2b_mentions == "auto" and buyer.tax_id)
        if b2b:
            found += B2B_MENTIONS.get(self.locale, B2B_MENTIONS["en"])
        return tuple(found)

    def words(self, table: dict[str, str], **values: str) -> str:
        return table.get(self.locale, table["en"]).format(**values)


def buyer_of(order: Order) -> Party:
    """The buyer as invoiced: the billing details when known; the email once (as the email,
    never again as the name)."""
    customer = order.customer
    billing = order.billing
    name = billing.name if billing is not None and billing.name else ""
    if not name and customer.email is None:
        name = customer.user_id or ""
    return Party(
        name=name,
        email=customer.email or "",
        address=billing.address if billing is not None else "",
        tax_id=billing.tax_id if billing is not None else "",
        country=billing.country if billing is not None else "",
    )


def _sold_line(item: OrderItem) -> tuple[DocumentLine, TaxedAmount]:
    line = DocumentLine(
        item.name,
        item.quantity,
        item.unit_amount,
        item.line_amount,
        tax_rate_bp=item.tax_rate.rate_bp,
        tax_category=item.tax_rate.kind,
        net=None if item.net is None else item.net_amount,
        unit_includes_tax=item.unit_includes_tax,
    )
    return line, item.taxed


def _part_of_line(item: OrderItem, share: int) -> tuple[DocumentLine, TaxedAmount]:
    """``share`` of an item's gross amount, taken apart into net and tax at its rate."""
    if share == item.line_amount:
        return _sold_line(item)
    if item.net is None:  # sold before rates existed: untaxed
        net, tax = share, 0
    else:
        taxed = line_tax(share, item.tax_rate.rate_bp, includes_tax=True)
        net, tax = taxed.net, taxed.tax
    line = DocumentLine(
        item.name,
        1,
        share,
        share,
        tax_rate_bp=item.tax_rate.rate_bp,
        tax_category=item.tax_rate.kind,
        net=None if item.net is None else net,
    )
    return line, TaxedAmount(item.tax_rate, net, tax)


def credited_lines(order: Order, amount: int) -> list[tuple[DocumentLine, TaxedAmount]]:
    """``amount`` of the order credited over its lines in proportion (see the module)."""
    shares = split(amount, [item.line_amount for item in order.items])
    return [
        _part_of_line(item, share)
        for item, share in zip(order.items, shares, strict=True)
        if share > 0
    ]


def _document(
    artifact: InvoiceArtifact,
    order: Order,
    seller: Party,
    terms: InvoiceTerms,
    lines: list[tuple[DocumentLine, TaxedAmount]],
    *,
    refers_to: InvoiceArtifact | None = None,
    reason: str = "",
) -> InvoiceDocument:
    buyer = buyer_of(order)
    known = all(item.net is not None for item in order.items)
    return InvoiceDocument(
        number=artifact.number,
        kind=artifact.kind,
        issued_at=artifact.created_at,
        seller=seller,
        buyer=buyer,
        currency=order.currency,
        lines=tuple(line for line, _ in lines),
        total=sum(line.amount for line, _ in lines),
        order_id=order.id,
        refers_to=refers_to.number if refers_to is not None else None,
        refers_to_issued_at=refers_to.created_at if refers_to is not None else None,
        taxes=totals((taxed for _, taxed in lines), terms.vat_exemption_mention) if known else (),
        paid_at=order.paid_at,
        payment_method=order.payment_method,
        reason=reason,
        mentions=terms.mentions(buyer),
        footer=terms.footer,
        locale=terms.locale,
    )


def invoice_document(
    artifact: InvoiceArtifact, order: Order, seller: Party, terms: InvoiceTerms | None = None
) -> InvoiceDocument:
    lines = [_sold_line(item) for item in order.items]
    return _document(artifact, order, seller, terms or InvoiceTerms(), lines)


def credit_note_document(
    artifact: InvoiceArtifact,
    order: Order,
    refund: Refund,
    invoice: InvoiceArtifact | None,
    seller: Party,
    terms: InvoiceTerms | None = None,
) -> InvoiceDocument:
    terms = terms or InvoiceTerms()
    reason = refund.reason or terms.words(_REFUND, order=order.id)
    lines = credited_lines(order, refund.amount)
    return _document(artifact, order, seller, terms, lines, refers_to=invoice, reason=reason)


def dispute_credit_note_document(
    artifact: InvoiceArtifact,
    order: Order,
    dispute: Dispute,
    invoice: InvoiceArtifact | None,
    seller: Party,
    terms: InvoiceTerms | None = None,
) -> InvoiceDocument:
    """The money a lost dispute took back: credited like a refund."""
    terms = terms or InvoiceTerms()
    reason = terms.words(_CHARGEBACK, dispute=dispute.id, reason=dispute.reason or "-")
    lines = credited_lines(order, dispute.amount)
    return _document(artifact, order, seller, terms, lines, refers_to=invoice, reason=reason)


def cancellation_document(
    artifact: InvoiceArtifact,
    order: Order,
    refund: Refund,
    credit_note: InvoiceArtifact,
    seller: Party,
    terms: InvoiceTerms | None = None,
) -> InvoiceDocument:
    """Cancels the credit note of a refund that failed after it succeeded: the amount is owed
    (and held) again. The credit note stays; this document undoes it, line by line."""
    terms = terms or InvoiceTerms()
    reason = terms.words(_CANCELLATION, note=credit_note.number, refund=refund.id)
    lines = credited_lines(order, refund.amount)
    return _document(artifact, order, seller, terms, lines, refers_to=credit_note, reason=reason)

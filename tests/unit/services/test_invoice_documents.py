"""What each document says: lines and VAT per rate as sold, credit notes split over the rates
in proportion (their sum is the refund exactly), the buyer, the paid date, the mentions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from billing.domain.buyer import BillingDetails, PayerDetails
from billing.domain.invoice import DocumentKind, InvoiceArtifact, Party, TaxCategory
from billing.domain.money import Money
from billing.domain.order import Customer, Order, OrderItem
from billing.domain.refund import Refund, RefundOrigin
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.domain.tax import TaxRate, line_tax
from billing.services.invoice_documents import (
    InvoiceTerms,
    buyer_of,
    cancellation_document,
    credit_note_document,
    invoice_document,
)

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SELLER = Party("Librairie Dupont SAS", "12 rue de la Paix\n75002 Paris", "FR40303265045")
RATES = {
    "ebook": TaxRate(550, TaxCategory.REDUCED),
    "course": TaxRate(2000),
    "training": TaxRate(0, TaxCategory.EXEMPT),
}


def _item(sku: str, unit: int, quantity: int = 1) -> OrderItem:
    taxed = line_tax(unit * quantity, RATES[sku].rate_bp, includes_tax=True)
    return OrderItem(
        sku, sku.title(), quantity, unit, tax_rate=RATES[sku], net=taxed.net, tax=taxed.tax
    )


def _paid_order(*items: OrderItem, billing: BillingDetails | None = None) -> Order:
    order = Order.create(
        id="ord_1",
        customer=Customer(email="guest@example.com"),
        items=items,
        currency="EUR",
        idempotency_key="k",
        at=AT,
        billing=billing,
    )
    order.mark_paid(order.total, "pi_1", "event:evt_1", AT + timedelta(minutes=1))
    return order


def _artifact(kind: DocumentKind, number: str, at: datetime = AT) -> InvoiceArtifact:
    return InvoiceArtifact(f"doc_{number}", number, kind, "ord_1", at)


def _refund(amount: int, reason: str | None = None) -> Refund:
    return Refund(
        "ref_1", "ord_1", amount, "EUR", RefundStatus.SUCCEEDED, RefundOrigin.APP, AT, AT, reason
    )


ORDER_ITEMS = (_item("ebook", 2900), _item("course", 14900, 2), _item("training", 1000))
INVOICE = _artifact(DocumentKind.INVOICE, "INV-2026-000001")


def test_an_invoice_shows_each_line_as_sold_and_the_vat_per_rate() -> None:
    order = _paid_order(*ORDER_ITEMS)
    terms = InvoiceTerms(vat_exemption_mention="TVA non applicable, art. 293 B du CGI")

    document = invoice_document(INVOICE, order, SELLER, terms)

    assert [(t.rate_bp, t.net, t.tax, t.gross) for t in document.taxes] == [
        (2000, 24833, 4967, 29800),
        (550, 2749, 151, 2900),
        (0, 1000, 0, 1000),
    ]
    assert document.total == order.total.amount == sum(t.gross for t in document.taxes)
    assert document.net_total + document.tax_total == document.total
    assert [line.net for line in document.lines] == [2749, 24833, 1000]
    assert document.taxes[2].exemption_reason == "TVA non applicable, art. 293 B du CGI"
    assert document.mentions == ("TVA non applicable, art. 293 B du CGI",)  # no VAT number
    assert document.paid_at == AT + timedelta(minutes=1)
    assert (document.locale, document.seller) == ("fr", SELLER)


def test_the_buyers_email_is_printed_once() -> None:
    """Regression: the guest's email was both the buyer's name and its email."""
    buyer = buyer_of(_paid_order(*ORDER_ITEMS))

    assert (buyer.name, buyer.email) == ("", "guest@example.com")


def test_a_business_buyer_gets_the_b2b_mentions_in_the_invoices_language() -> None:
    billing = BillingDetails(name="Dupont Formation", tax_id="FR40303265045")
    order = _paid_order(*ORDER_ITEMS, billing=billing)

    french = invoice_document(INVOICE, order, SELLER, InvoiceTerms(footer="Merci !"))
    english = invoice_document(INVOICE, order, SELLER, InvoiceTerms(locale="en"))
    never = invoice_document(INVOICE, order, SELLER, InvoiceTerms(b2b_mentions="never"))

    assert french.buyer.name == "Dupont Formation"
    assert any("indemnité forfaitaire" in m and "40 €" in m for m in french.mentions)
    assert any("recovery indemnity of €40" in m for m in english.mentions)
    assert never.mentions == ()
    assert french.footer == "Merci !"


def test_a_full_refunds_credit_note_repeats_the_invoice_line_by_line() -> None:
    order = _paid_order(*ORDER_ITEMS)
    note = _artifact(DocumentKind.CREDIT_NOTE, "CN-2026-000001", AT + timedelta(days=3))

    document = credit_note_document(note, order, _refund(order.total.amount), INVOICE, SELLER)
    invoice = invoice_document(INVOICE, order, SELLER)

    assert document.lines == invoice.lines
    assert document.taxes == invoice.taxes
    assert (document.refers_to, document.refers_to_issued_at) == ("INV-2026-000001", AT)
    assert document.issued_at == AT + timedelta(days=3)
    assert document.reason == "Remboursement de la commande ord_1"
    assert document.booked == -order.total.amount


def test_a_partial_refund_is_split_over_the_rates_in_proportion() -> None:
    order = _paid_order(*ORDER_ITEMS)  # 29.00 at 5.5 %, 298.00 at 20 %, 10.00 exempt

    document = credit_note_document(
        _artifact(DocumentKind.CREDIT_NOTE, "CN-2026-000001"),
        order,
        _refund(3370, "damaged"),
        INVOICE,
        SELLER,
    )

    # 33.70 of 337.00 is 10 %: 29.80 of the 20 % line, 2.90 of the e-book, 1.00 exempt
    assert [(t.rate_bp, t.gross) for t in document.taxes] == [(2000, 2980), (550, 290), (0, 100)]
    assert [(t.net, t.tax) for t in document.taxes] == [(2483, 497), (275, 15), (100, 0)]
    assert document.total == 3370
    assert document.reason == "damaged"


@given(st.integers(min_value=1, max_value=33700))
def test_a_credit_notes_split_always_adds_up_to_the_refund(amount: int) -> None:
    order = _paid_order(*ORDER_ITEMS)
    note = _artifact(DocumentKind.CREDIT_NOTE, "CN-2026-000001")

    document = credit_note_document(note, order, _refund(amount), INVOICE, SELLER)

    assert document.total == amount == sum(t.gross for t in document.taxes)
    assert sum(line.amount for line in document.lines) == amount
    for total in document.taxes:
        assert total.net + total.tax == total.gross


def test_a_cancellation_undoes_its_credit_note_line_by_line() -> None:
    order = _paid_order(*ORDER_ITEMS)
    refund = _refund(1234)
    note = _artifact(DocumentKind.CREDIT_NOTE, "CN-2026-000001")
    credit = credit_note_document(note, order, refund, INVOICE, SELLER)

    cancel = cancellation_document(
        _artifact(DocumentKind.CREDIT_NOTE_CANCELLATION, "INV-2026-000002"),
        order,
        refund,
        note,
        SELLER,
        InvoiceTerms(locale="en"),
    )

    assert (cancel.lines, cancel.taxes) == (credit.lines, credit.taxes)
    assert cancel.booked + credit.booked == 0
    assert cancel.reason == "Cancels credit note CN-2026-000001: refund ref_1 failed"


def test_orders_sold_before_rates_existed_have_no_breakdown() -> None:
    legacy = _paid_order(OrderItem("book", "A book", 2, 2500))

    document = invoice_document(INVOICE, legacy, SELLER)
    credit = credit_note_document(INVOICE, legacy, _refund(1000), INVOICE, SELLER)

    assert (document.taxes, document.total, document.net_total) == ((), 5000, 5000)
    assert (credit.taxes, credit.total) == ((), 1000)


def test_what_the_provider_reports_fills_in_what_the_buyer_did_not_give() -> None:
    order = _paid_order(*ORDER_ITEMS)
    reported = PayerDetails(BillingDetails(name="Jenny Rosen"), "Visa •••• 4242")

    order.record_payer(reported)
    assert (order.billing, order.payment_method) == (reported.billing, "Visa •••• 4242")

    given_at_checkout = _paid_order(*ORDER_ITEMS, billing=BillingDetails(name="Dupont SARL"))
    given_at_checkout.record_payer(reported)
    assert given_at_checkout.billing == BillingDetails(name="Dupont SARL")  # the buyer's wins
    assert given_at_checkout.payment_method == "Visa •••• 4242"
    assert invoice_document(INVOICE, given_at_checkout, SELLER).payment_method == ("Visa •••• 4242")
    assert order.status is OrderStatus.PAID
    assert Money(order.total.amount, "EUR") == order.total

"""The embedded demo: one guest order through its whole life, on the in-memory adapters."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from billing.adapters.memory import FakeEvents, FakePaymentProvider
from billing.adapters.sql.catalog_file import demo_catalog_path, read_catalog
from billing.domain.catalog import Product
from billing.domain.invoice import TaxLine
from billing.domain.money import Money
from billing.domain.order import Customer
from billing.domain.payment import PaymentMode
from billing.services.orders import CartLine

from .container import Container


def demo_products() -> list[Product]:
    """The catalog shipped with the package for the embedded default."""
    return read_catalog(demo_catalog_path())


def load_demo_catalog(container: Container) -> None:
    """Put the demo products in an empty catalog (the embedded local run)."""
    with container.uow_factory()() as uow:
        if uow.catalog.list():
            return
        for product in demo_products():
            uow.catalog.put(product)
        uow.commit()


def run_demo(container: Container, say: Callable[[str], None]) -> str:
    """Pay a guest order, replay its event, refund it in two steps; returns the final status."""
    load_demo_catalog(container)
    provider = container.payment_provider()
    assert isinstance(provider, FakePaymentProvider), "the demo runs on the fake provider"
    events = FakeEvents(provider)
    orders, webhooks, refunds = container.orders(), container.webhooks(), container.refunds()

    created = orders.create_order(
        Customer(email="guest@example.com"),
        [
            CartLine("ebook-python", 1),
            CartLine("course-payments", 1),
            CartLine("workshop-training", 1),
        ],
    )
    order = created.order
    say(f"order {order.id} created for a guest: {order.status}, total {order.total}")
    for line in vat_breakdown(order.taxes(), order.currency):
        say(f"  {line}")
    checkout = container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
    say(f"payment {checkout.payment.id} created: {checkout.order.status}")

    delivery = events.payment_succeeded(checkout.payment.id)
    outcome = webhooks.receive(delivery.payload, delivery.signature)
    say(f"event {delivery.event_id} {outcome.outcome}: {orders.get(order.id).status}")
    again = webhooks.receive(delivery.payload, delivery.signature)
    say(
        f"event {delivery.event_id} delivered again: {again.outcome}: {orders.get(order.id).status}"
    )

    refunds.refund(order.id, 1000, reason="requested_by_customer")
    say(f"refund of {Money(1000, order.currency)}: {orders.get(order.id).status}")
    refunds.refund(order.id, reason="requested_by_customer")
    final = orders.get(order.id)
    say(f"refund of the rest: {final.status}")

    invoices = container.invoices()
    for document in invoices.documents(order.id):
        say(f"{document.kind}: {document.number} (sha256 {document.pdf_sha256})")
        for line in vat_breakdown(invoices.document(document.id).taxes, order.currency):
            say(f"  {line}")
    return str(final.status)


def vat_breakdown(taxes: Sequence[TaxLine], currency: str) -> list[str]:
    """One line per rate: ``VAT 20.00 % (S): net 124.17 EUR + VAT 24.83 EUR = 149.00 EUR``."""
    lines = []
    for tax in taxes:
        rate = f"{tax.rate_bp // 100}.{tax.rate_bp % 100:02d} %"
        amounts = [Money(amount, currency) for amount in (tax.net, tax.tax, tax.gross)]
        reason = f" — {tax.exemption_reason}" if tax.exemption_reason else ""
        lines.append(
            f"VAT {rate} ({tax.category.value}): net {amounts[0]} + VAT {amounts[1]}"
            f" = {amounts[2]}{reason}"
        )
    return lines

"""VAT through checkout: each line keeps its rate, net and tax, the order JSON shows them per
rate, the total charged is the gross; the buyer's billing details reach the invoice."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from billing.domain.catalog import Product
from billing.domain.invoice import DocumentKind, TaxCategory
from billing.domain.money import Money
from billing.domain.tax import TaxRate

from .conftest import SETTINGS, Shop, make_shop

TAXED = (
    Product("ebook", "An e-book", Money(2900, "EUR"), tax=TaxRate(550, TaxCategory.REDUCED)),
    Product("course", "A course", Money(14900, "EUR"), tax=TaxRate(2000)),
    Product("training", "A training", Money(1000, "EUR"), tax=TaxRate(0, TaxCategory.EXEMPT)),
)
CART = {"items": [{"sku": "ebook"}, {"sku": "course", "quantity": 2}, {"sku": "training"}]}
GUEST = "guest@example.com"


def _taxed_shop(**settings: object) -> Shop:
    shop = make_shop(attrs.evolve(SETTINGS, **settings))
    with shop.container.uow_factory()() as uow:
        for product in TAXED:
            uow.catalog.put(product)
        uow.commit()
    return shop


@pytest.fixture
def taxed() -> Iterator[Shop]:
    shop = _taxed_shop()
    yield shop
    shop.container.unwire()


def _per_rate(order: dict[str, object]) -> list[tuple[int, int, int, int]]:
    return [
        (t["rate_bp"], t["net"]["amount"], t["tax"]["amount"], t["gross"]["amount"])  # type: ignore[index]
        for t in order["taxes"]  # type: ignore[attr-defined]
    ]


def test_gross_catalog_prices_are_split_per_rate_and_the_gross_is_charged(taxed: Shop) -> None:
    answer = taxed.client.post("/billing/checkout/", json={**CART, "email": GUEST})

    assert answer.status_code == 201, answer.json
    order = answer.json["order"]
    # 29.00 at 5.5 %: 27.49 + 1.51; 2 x 149.00 at 20 %: 248.33 + 49.67; 10.00 exempt
    assert _per_rate(order) == [
        (2000, 24833, 4967, 29800),
        (550, 2749, 151, 2900),
        (0, 1000, 0, 1000),
    ]
    assert order["total"]["amount"] == 29800 + 2900 + 1000
    payment = taxed.provider.payments[answer.json["payment"]["id"]]
    assert payment.amount == Money(33700, "EUR")
    assert [(i["sku"], i["tax_rate_bp"], i["tax"]["amount"]) for i in order["items"]] == [
        ("ebook", 550, 151),
        ("course", 2000, 4967),
        ("training", 0, 0),
    ]
    stored = taxed.order(order["id"])
    assert [(i.net, i.tax) for i in stored.items] == [(2749, 151), (24833, 4967), (1000, 0)]


def test_net_catalog_prices_add_the_tax_to_what_is_charged() -> None:
    shop = _taxed_shop(prices_include_tax=False)
    try:
        answer = shop.client.post("/billing/checkout/", json={**CART, "email": GUEST})
        order = answer.json["order"]
        # 29.00 net + 1.595 → 1.60; 298.00 net + 59.60; 10.00 exempt
        assert _per_rate(order) == [
            (2000, 29800, 5960, 35760),
            (550, 2900, 160, 3060),
            (0, 1000, 0, 1000),
        ]
        assert order["total"]["amount"] == 35760 + 3060 + 1000
        assert shop.provider.payments[answer.json["payment"]["id"]].amount.amount == 39820
    finally:
        shop.container.unwire()


def test_the_buyers_billing_details_reach_the_invoice_with_the_email_once(taxed: Shop) -> None:
    details = {
        "name": "Dupont Formation SARL",
        "address": {"line1": "3 place du Marché", "postal_code": "69001", "city": "Lyon"},
        "vat_number": "fr 40 303 265 045",
    }
    answer = taxed.client.post(
        "/billing/checkout/", json={**CART, "email": GUEST, "billing_details": details}
    )
    assert answer.status_code == 201, answer.json
    order_id, payment_id = answer.json["order"]["id"], answer.json["payment"]["id"]
    assert taxed.pay(payment_id).status_code == 200

    invoices = taxed.container.invoices()
    [artifact] = [d for d in invoices.documents(order_id) if d.kind is DocumentKind.INVOICE]
    document = invoices.document(artifact.id)
    buyer = document.buyer
    assert (buyer.name, buyer.tax_id) == ("Dupont Formation SARL", "FR40303265045")
    assert buyer.address == "3 place du Marché\n69001 Lyon"
    assert [buyer.name, buyer.email, buyer.address].count(GUEST) == 1
    assert document.paid_at is not None
    assert sum(t.gross for t in document.taxes) == document.total == 33700
    # a VAT number makes it a B2B invoice: the late-payment mentions are printed
    assert any("40 €" in mention for mention in document.mentions)


@pytest.mark.parametrize(
    "details",
    [
        {"vat_number": "FR00303265045"},  # wrong check digits
        {"vat_number": "not a vat number"},
        {"address": {"country": "France"}},
        {"name": "x" * 256},
        {"phone": "+33 1 23 45 67 89"},  # unknown field
    ],
)
def test_malformed_billing_details_are_refused_and_nothing_is_created(
    taxed: Shop, details: dict[str, object]
) -> None:
    answer = taxed.client.post(
        "/billing/checkout/", json={**CART, "email": GUEST, "billing_details": details}
    )

    assert answer.status_code == 400, answer.json
    assert answer.json["code"] == "invalid_input"
    assert taxed.provider.payments == {}

"""``GET /billing/products``: the active products with their server-side prices, for anyone."""

from __future__ import annotations

from billing.domain.catalog import Product
from billing.domain.money import Money

from .conftest import Shop


def test_the_active_products_are_listed_for_anyone(shop: Shop) -> None:
    with shop.container.uow_factory()() as uow:
        uow.catalog.put(Product("gone", "Withdrawn", Money(100, "EUR"), active=False))
        uow.commit()

    answer = shop.client.get("/billing/products")

    assert answer.status_code == 200
    products = {p["sku"]: p for p in answer.json["products"]}
    assert sorted(products) == ["book", "course", "manga"]
    assert products["book"] == {
        "sku": "book",
        "name": "A book",
        "unit_price": {"amount": 2500, "currency": "EUR"},
        "entitlement_key": "library:book",
    }
    assert products["manga"]["unit_price"] == {"amount": 900, "currency": "JPY"}

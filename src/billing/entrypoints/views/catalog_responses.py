"""The catalog's answer shapes, as attrs classes turned into JSON by cattrs."""

from __future__ import annotations

from typing import Any

import attrs

from billing.domain.catalog import Product

from ..json_converter import to_json


@attrs.frozen
class MoneyView:
    """An amount in the currency's minor unit (cents), and the ISO currency code."""

    amount: int
    currency: str


@attrs.frozen
class ProductView:
    sku: str
    name: str
    unit_price: MoneyView
    entitlement_key: str | None


@attrs.frozen
class ProductList:
    products: list[ProductView]


def product_list(products: list[Product]) -> dict[str, Any]:
    views = [
        ProductView(
            sku=p.sku,
            name=p.name,
            unit_price=MoneyView(p.price.amount, p.price.currency),
            entitlement_key=p.entitlement_key,
        )
        for p in products
    ]
    document: dict[str, Any] = to_json(ProductList(views))
    return document

"""Products of the server-side catalog: the only source of prices (and of their tax rates)."""

from __future__ import annotations

import attrs

from billing.domain.money import Money
from billing.domain.tax import TaxRate


@attrs.frozen
class Product:
    """``price`` is gross or net as the whole catalog is (``BILLING_PRICES_INCLUDE_TAX``)."""

    sku: str
    name: str
    price: Money
    entitlement_key: str | None = None
    active: bool = True
    tax: TaxRate = attrs.field(factory=TaxRate)

"""Products of the server-side catalog: the only source of prices."""

from __future__ import annotations

import attrs

from billing.domain.money import Money


@attrs.frozen
class Product:
    sku: str
    name: str
    price: Money
    entitlement_key: str | None = None
    active: bool = True

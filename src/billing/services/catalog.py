"""What the shop sells: the active products of the server-side catalog."""

from __future__ import annotations

import attrs

from billing.domain.catalog import Product
from billing.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class CatalogService:
    _uow_factory: UnitOfWorkFactory

    def products(self) -> list[Product]:
        with self._uow_factory() as uow:
            return [product for product in uow.catalog.list() if product.active]

"""The administrators' listings over the in-memory tables."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TypeVar

from billing.domain.order import Order
from billing.domain.refund import Refund
from billing.ports.listings import OrderQuery, Position

from .unit_of_work import MemoryUnitOfWorkFactory

R = TypeVar("R", Order, Refund)


def _page(rows: Iterable[R], after: Position | None, limit: int) -> list[R]:
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    if after is not None:
        ordered = [r for r in ordered if (r.created_at, r.id) < after]
    return [copy.deepcopy(r) for r in ordered[:limit]]


def _matches(order: Order, query: OrderQuery) -> bool:
    return (
        (query.status is None or order.status == query.status)
        and (query.email is None or order.customer.email == query.email)
        and (query.user_id is None or order.customer.user_id == query.user_id)
        and (query.created_from is None or order.created_at >= query.created_from)
        and (query.created_before is None or order.created_at < query.created_before)
    )


class MemoryListings:
    def __init__(self, uow_factory: MemoryUnitOfWorkFactory) -> None:
        self._database = uow_factory.database

    def orders(self, query: OrderQuery) -> list[Order]:
        with self._database.lock:
            found = [o for o in self._database.tables.orders.values() if _matches(o, query)]
            return _page(found, query.after, query.limit)

    def refunds(self, after: Position | None, limit: int) -> list[Refund]:
        with self._database.lock:
            return _page(self._database.tables.refunds.values(), after, limit)

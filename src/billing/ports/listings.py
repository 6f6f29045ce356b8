"""The administrators' listings: orders (and refunds) newest first, a page at a time.

A page is keyset-paginated: ``after`` is the ``(created_at, id)`` of the last row of the
previous page, so a page costs the same however deep it is, and rows added meanwhile neither
repeat nor vanish. The SQL adapter serves it from indexes on ``(…, created_at, id)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import attrs

from billing.domain.order import Order
from billing.domain.refund import Refund
from billing.domain.state import OrderStatus

#: The largest page an administrator may ask for.
MAX_PAGE = 200
Position = tuple[datetime, str]


@attrs.frozen
class OrderQuery:
    status: OrderStatus | None = None
    email: str | None = None
    user_id: str | None = None
    #: Created at or after ``created_from``, and before ``created_before``.
    created_from: datetime | None = None
    created_before: datetime | None = None
    after: Position | None = None
    limit: int = 50


class Listings(Protocol):
    def orders(self, query: OrderQuery) -> list[Order]:
        """At most ``query.limit`` orders matching it, newest first (then by id, descending)."""
        ...

    def refunds(self, after: Position | None, limit: int) -> list[Refund]:
        """At most ``limit`` refunds, newest first."""
        ...

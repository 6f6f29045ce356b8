"""Domain events: the facts a use case produced, for the services to react to and to log."""

from __future__ import annotations

from datetime import datetime

import attrs

from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus


@attrs.frozen
class OrderStatusChanged:
    order_id: str
    previous: OrderStatus
    current: OrderStatus
    cause: str
    at: datetime


@attrs.frozen
class RefundStatusChanged:
    refund_id: str
    order_id: str
    previous: RefundStatus | None
    current: RefundStatus
    at: datetime


DomainEvent = OrderStatusChanged | RefundStatusChanged

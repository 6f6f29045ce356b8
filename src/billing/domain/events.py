"""Domain events: the facts a use case produced, for the services to react to and to log."""

from __future__ import annotations

from datetime import datetime

import attrs

from billing.domain.dispute_status import DisputeStatus
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


@attrs.frozen
class DisputeStatusChanged:
    """A dispute was first reported (``previous`` None) or moved to another status."""

    dispute_id: str
    order_id: str
    previous: DisputeStatus | None
    current: DisputeStatus
    at: datetime


@attrs.frozen
class DuplicateCaptureRecorded:
    """A second payment was captured for an already paid order; ``refund_id`` is the pending
    refund that gives it back (None when the policy only flags it)."""

    order_id: str
    payment_id: str
    amount: int
    currency: str
    refund_id: str | None
    at: datetime


DomainEvent = (
    OrderStatusChanged | RefundStatusChanged | DisputeStatusChanged | DuplicateCaptureRecorded
)

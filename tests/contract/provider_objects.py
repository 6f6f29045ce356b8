"""The order and refund the payment-provider tests hand to a provider (contract and adapters)."""

from __future__ import annotations

from datetime import UTC, datetime

from billing.domain.order import Customer, Order, OrderItem
from billing.domain.refund import Refund, RefundOrigin
from billing.domain.refund_status import RefundStatus

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def make_order(order_id: str = "ord_000001", quantity: int = 2, key: str = "key-1") -> Order:
    return Order.create(
        id=order_id,
        customer=Customer(email="buyer@example.com"),
        items=(OrderItem("book", "A book", quantity, 1250, "library:book"),),
        currency="EUR",
        idempotency_key=key,
        at=NOW,
    )


def make_refund(refund_id: str, amount: int, order_id: str = "ord_000001") -> Refund:
    return Refund(
        id=refund_id,
        order_id=order_id,
        amount=amount,
        currency="EUR",
        status=RefundStatus.PENDING,
        origin=RefundOrigin.APP,
        created_at=NOW,
        updated_at=NOW,
        reason="requested_by_customer",
    )

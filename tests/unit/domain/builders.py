"""Small builders shared by the domain tests: a fixed instant, orders and refunds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.domain.order import Customer, Order, OrderItem
from billing.domain.refund import Refund, RefundOrigin
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus, OrderTransition

AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
LATER = AT + timedelta(hours=1)

GUEST = Customer(email="guest@example.com")
BOOK = OrderItem("book", "A book", 2, 2500, "library:book")
COURSE = OrderItem("course", "A course", 1, 7500, "course:stripe")
STICKER = OrderItem("sticker", "A sticker", 1, 300)


def new_order(*items: OrderItem, currency: str = "EUR", order_id: str = "ord-1") -> Order:
    """A DRAFT order; by default 2 books and a course, 125.00 EUR."""
    return Order.create(
        id=order_id,
        customer=GUEST,
        items=items or (BOOK, COURSE),
        currency=currency,
        idempotency_key=f"key-{order_id}",
        at=AT,
    )


def order_in(status: OrderStatus, *, history: list[OrderTransition] | None = None) -> Order:
    """An order placed directly in ``status`` (for table tests), with an optional history."""
    order = new_order()
    order.status = status
    order.transitions = list(history or [])
    return order


def paid_order(*items: OrderItem, currency: str = "EUR") -> Order:
    order = new_order(*items, currency=currency)
    order.start_payment("pi_1", "checkout:1", AT)
    order.mark_paid(order.total, "pi_1", "event:paid", AT)
    return order


def refund(
    amount: int,
    status: RefundStatus = RefundStatus.PENDING,
    *,
    refund_id: str = "ref-1",
    order_id: str = "ord-1",
) -> Refund:
    return Refund(
        id=refund_id,
        order_id=order_id,
        amount=amount,
        currency="EUR",
        status=status,
        origin=RefundOrigin.APP,
        created_at=AT,
        updated_at=AT,
    )

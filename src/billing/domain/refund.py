"""Refunds and the refund policy: never give back more than is still held.

What is held is what was paid, less the refunds that are pending or succeeded and the amounts
lost to disputes. A refund of a duplicate capture (``extra_payment_id``) gives back another
payment than the order's own: it never counts against, nor adds to, the order's amounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

import attrs

from billing.domain.errors import InvalidInput, OrderNotRefundable, RefundExceedsRefundable
from billing.domain.events import RefundStatusChanged
from billing.domain.order import Order
from billing.domain.refund_status import RESERVING, RefundStatus, supersedes
from billing.domain.state import OrderStatus


class RefundOrigin(StrEnum):
    APP = "app"  # asked through our RefundService
    PROVIDER = "provider"  # first seen in a provider event (e.g. made in Stripe's dashboard)


@attrs.define
class Refund:
    id: str
    order_id: str
    amount: int
    currency: str
    status: RefundStatus
    origin: RefundOrigin
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    provider_refund_id: str | None = None
    failure_reason: str | None = None
    #: The provider payment of a duplicate capture this refund gives back; None for a refund
    #: of the order's own payment.
    extra_payment_id: str | None = None

    @property
    def of_the_order(self) -> bool:
        """Whether it gives back the order's own payment (and so has a credit note)."""
        return self.extra_payment_id is None

    def report(
        self, status: RefundStatus, at: datetime, *, failure_reason: str | None = None
    ) -> list[RefundStatusChanged]:
        """Take a status reported by the provider; stale reports (lower rank) are ignored."""
        if status == self.status or not supersedes(status, self.status):
            return []
        previous, self.status, self.updated_at = self.status, status, at
        if failure_reason is not None:
            self.failure_reason = failure_reason
        return [RefundStatusChanged(self.id, self.order_id, previous, status, at)]


#: Stripe keeps at most 500 characters in a metadata value: a longer reason is refused.
MAX_REASON_LENGTH = 500


def check_reason(reason: str | None) -> str | None:
    """The reason of a refund request, refused (InvalidInput) beyond ``MAX_REASON_LENGTH``."""
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(
            f"a refund reason has at most {MAX_REASON_LENGTH} characters",
            field="reason",
            length=len(reason),
        )
    return reason


def reserved_amount(refunds: Iterable[Refund]) -> int:
    """Sum of the order's refunds that hold part of its payment: pending, requiring action,
    succeeded."""
    return sum(r.amount for r in refunds if r.of_the_order and r.status in RESERVING)


def refunded_amount(refunds: Iterable[Refund]) -> int:
    """Sum of the order's refunds that actually gave its money back."""
    return sum(r.amount for r in refunds if r.of_the_order and r.status is RefundStatus.SUCCEEDED)


def refundable_amount(order: Order, refunds: Iterable[Refund]) -> int:
    """What may still be refunded: paid, minus pending or succeeded refunds, minus what was
    lost to disputes (never below zero)."""
    return max(0, order.amount_paid - order.amount_disputed_lost - reserved_amount(refunds))


REFUNDABLE_STATES = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


def check_refund(order: Order, refunds: Iterable[Refund], amount: int | None) -> int:
    """The amount a refund request may take (all that is left when ``amount`` is None).

    Raises OrderNotRefundable or RefundExceedsRefundable with the reason.
    """
    if order.status not in REFUNDABLE_STATES:
        raise OrderNotRefundable(
            f"order {order.id} is {order.status}, not refundable", order_id=order.id
        )
    available = refundable_amount(order, refunds)
    if amount is None:
        if available <= 0:  # "everything left" when pending refunds already hold it all
            raise RefundExceedsRefundable(
                f"nothing left to refund on order {order.id}",
                order_id=order.id,
                requested=None,
                refundable=available,
            )
        amount = available
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput("a refund amount must be a positive integer", field="amount")
    if amount > available:
        raise RefundExceedsRefundable(
            f"refund of {amount} exceeds the refundable {available}",
            order_id=order.id,
            requested=amount,
            refundable=available,
        )
    return amount

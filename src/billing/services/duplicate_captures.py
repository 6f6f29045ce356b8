"""A payment captured for an order that another payment already paid: never absorbed.

Inside the webhook's transaction (the order locked), the extra payment is recorded once per
provider payment id, and under the ``refund`` policy a pending refund of all of it is stored
beside it: a refund of another payment than the order's (``extra_payment_id``), so it has no
credit note and does not touch what the order may still refund. The provider is called after
commit by the ``send_refund`` job (``RefundService.send``) with the key
``re:dup:{payment_id}``, so a retried job, or a second refund record, never refunds twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

import attrs

from billing.domain.duplicate_capture import DuplicateCapture, DuplicateCapturePolicy
from billing.domain.events import DuplicateCaptureRecorded
from billing.domain.money import Money
from billing.domain.order import Order
from billing.domain.payment import PaymentMode
from billing.domain.refund import Refund, RefundOrigin
from billing.domain.refund_status import RefundStatus
from billing.ports.clock import IdGenerator
from billing.ports.metrics import Metrics
from billing.ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DUPLICATE_CAPTURE_METRIC = "billing_duplicate_capture_total"
REFUND_REASON = "duplicate"


def is_own_payment(uow: UnitOfWork, order: Order, payment_id: str) -> bool:
    """Whether ``payment_id`` is the payment that paid the (paid) order. An event naming the
    Checkout Session our checkout made, without a PaymentIntent, names it too (no money moved
    without one). Any other payment, even one our checkout made earlier, was captured again."""
    if payment_id == order.provider_payment_id:
        return True
    return any(
        attempt.mode is PaymentMode.CHECKOUT_SESSION and attempt.provider_payment_id == payment_id
        for attempt in uow.payment_attempts.list_for_order(order.id)
    )


@attrs.frozen
class DuplicateCaptures:
    _policy: DuplicateCapturePolicy
    _ids: IdGenerator
    _metrics: Metrics

    def record(
        self,
        uow: UnitOfWork,
        order: Order,
        payment_id: str,
        amount: Money,
        cause: str,
        at: datetime,
    ) -> list[DuplicateCaptureRecorded]:
        """Record ``payment_id`` as an extra capture of the (locked) order, once; with its
        pending refund under the ``refund`` policy. Nothing when it is recorded already."""
        if uow.duplicate_captures.find(payment_id) is not None:
            return []  # another event (or a redelivery) about the same payment
        capture = DuplicateCapture(
            payment_id=payment_id,
            order_id=order.id,
            amount=amount.amount,
            currency=amount.currency,
            detected_at=at,
            cause=cause,
        )
        if self._policy is DuplicateCapturePolicy.REFUND:
            refund = Refund(
                id=self._ids.new_id("ref"),
                order_id=order.id,
                amount=amount.amount,
                currency=amount.currency,
                status=RefundStatus.PENDING,
                origin=RefundOrigin.APP,
                created_at=at,
                updated_at=at,
                reason=REFUND_REASON,
                extra_payment_id=payment_id,
            )
            uow.refunds.add(refund)
            capture.refund_id = refund.id
        uow.duplicate_captures.add(capture)
        self._metrics.increment(DUPLICATE_CAPTURE_METRIC, {"policy": str(self._policy)})
        log.warning(
            "order %s was paid again by %s (%s): %s",
            order.id,
            payment_id,
            amount,
            "refunding it" if capture.refund_id else "flagged only (BILLING_DUPLICATE_CAPTURE)",
            extra={
                "order_id": order.id,
                "payment_id": payment_id,
                "amount": amount.amount,
                "currency": amount.currency,
                "refund_id": capture.refund_id,
                "policy": str(self._policy),
            },
        )
        event = DuplicateCaptureRecorded(
            order.id, payment_id, amount.amount, amount.currency, capture.refund_id, at
        )
        return [event]

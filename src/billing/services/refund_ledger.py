"""Recording what the provider says about refunds, whoever started them."""

from __future__ import annotations

from datetime import datetime

import attrs

from billing.domain.errors import AmountMismatch
from billing.domain.events import DomainEvent, RefundStatusChanged
from billing.domain.order import Order
from billing.domain.payment import ProviderRefund
from billing.domain.refund import Refund, RefundOrigin, refunded_amount, reserved_amount
from billing.domain.refund_status import RESERVING
from billing.ports.clock import IdGenerator
from billing.ports.unit_of_work import UnitOfWork


@attrs.frozen
class RefundLedger:
    _ids: IdGenerator

    def record(
        self, uow: UnitOfWork, order: Order, reported: ProviderRefund, cause: str, at: datetime
    ) -> list[DomainEvent]:
        """Create or update the refund the provider reports, then settle the order's amounts.

        The caller holds the order's lock. A refund we asked for is found by our reference, one
        made elsewhere (the provider's dashboard) by its provider id, or created here: of a
        duplicate capture when it gives back one of the order's extra payments.
        """
        refund = self._find(uow, reported)
        events: list[DomainEvent] = []
        if refund is None:
            refund = self._new_provider_refund(uow, order, reported, at)
            uow.refunds.add(refund)
            events.append(RefundStatusChanged(refund.id, order.id, None, refund.status, at))
        else:
            if refund.currency != reported.amount.currency:
                raise AmountMismatch(
                    f"refund {refund.id} is in {refund.currency}, provider says "
                    f"{reported.amount.currency}",
                    refund_id=refund.id,
                )
            if refund.amount != reported.amount.amount:
                raise AmountMismatch(
                    f"refund {refund.id} is {refund.amount}, provider says {reported.amount}",
                    refund_id=refund.id,
                )
            refund.provider_refund_id = refund.provider_refund_id or reported.id
            events += refund.report(reported.status, at, failure_reason=reported.failure_reason)
            uow.refunds.save(refund)
        refunds = uow.refunds.list_for_order(order.id)
        events += order.settle_refunds(refunded_amount(refunds), cause, at)
        return events

    @staticmethod
    def _find(uow: UnitOfWork, reported: ProviderRefund) -> Refund | None:
        if reported.reference is not None:
            refund = uow.refunds.find(reported.reference)
            if refund is not None:
                return refund
        return uow.refunds.find_by_provider_id(reported.id)

    def _new_provider_refund(
        self, uow: UnitOfWork, order: Order, reported: ProviderRefund, at: datetime
    ) -> Refund:
        found = uow.duplicate_captures.find(reported.payment_id) if reported.payment_id else None
        capture = found if found is not None and found.order_id == order.id else None
        extra = capture.payment_id if capture is not None else None
        currency = capture.currency if capture is not None else order.currency
        if reported.amount.currency != currency:
            raise AmountMismatch(
                f"refund in {reported.amount.currency} for a payment in {currency}",
                order_id=order.id,
            )
        held = reserved_amount(uow.refunds.list_for_order(order.id))
        over = held + reported.amount.amount > order.amount_paid
        if extra is None and reported.status in RESERVING and over:
            raise AmountMismatch(
                f"provider refund {reported.id} would exceed the amount paid",
                order_id=order.id,
                refund_id=reported.id,
            )
        return Refund(
            id=self._ids.new_id("ref"),
            order_id=order.id,
            amount=reported.amount.amount,
            currency=currency,
            status=reported.status,
            origin=RefundOrigin.PROVIDER,
            created_at=at,
            updated_at=at,
            reason=reported.reason,
            provider_refund_id=reported.id,
            failure_reason=reported.failure_reason,
            extra_payment_id=extra,
        )

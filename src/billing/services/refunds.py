"""Refunds asked for by the application.

The refund is checked against what is left under the order's lock and stored as pending
before the provider is called (with key ``re:{refund.id}``), so concurrent requests can never
give back more than was paid, and a retry after a crash re-sends the same request. A reason
longer than Stripe keeps (500 characters) is refused, not cut: what the caller wrote is what
is stored.

A duplicate capture's refund (stored pending by the webhook that found it) is sent by the
``send_refund`` job through ``send``, to its own payment with key ``re:dup:{payment_id}``.
"""

from __future__ import annotations

import logging

import attrs

from billing.domain.errors import ProviderError, RefundRefused
from billing.domain.payment import ProviderRefund, duplicate_refund_key, refund_key
from billing.domain.refund import Refund, RefundOrigin, check_reason, check_refund
from billing.domain.refund_status import RefundStatus
from billing.ports.clock import Clock, IdGenerator
from billing.ports.payments import PaymentProvider
from billing.ports.tasks import JobOutbox
from billing.ports.unit_of_work import UnitOfWorkFactory
from billing.retry import retry_on_conflict

from .reactions import Reactions
from .refund_ledger import RefundLedger

log = logging.getLogger(__name__)


def provider_key(refund: Refund) -> str:
    """The idempotency key of a refund at the provider."""
    if refund.extra_payment_id is not None:
        return duplicate_refund_key(refund.extra_payment_id)
    return refund_key(refund.id)


@attrs.frozen
class RefundService:
    _uow_factory: UnitOfWorkFactory
    _provider: PaymentProvider
    _ledger: RefundLedger
    _reactions: Reactions
    _jobs: JobOutbox
    _clock: Clock
    _ids: IdGenerator

    def refund(self, order_id: str, amount: int | None = None, reason: str | None = None) -> Refund:
        """Refund ``amount`` (everything left when None) of a paid order."""
        refund, payment_id = self._reserve(order_id, amount, reason)
        return self._send(refund, payment_id)

    def retry(self, refund_id: str) -> Refund:
        """Re-send a refund still pending after a provider outage; same key, same refund."""
        with self._uow_factory() as uow:
            refund = uow.refunds.get(refund_id)
            order = uow.orders.get(refund.order_id)
        if refund.status is not RefundStatus.PENDING or refund.provider_refund_id is not None:
            return refund
        payment_id = refund.extra_payment_id or order.provider_payment_id
        assert payment_id is not None  # a refunded order was paid
        return self._send(refund, payment_id)

    def send(self, refund_id: str) -> Refund:
        """The ``send_refund`` job: send a pending refund (``retry``). A refusal for good is
        recorded on the refund (failed, with its code) and logged; an outage raises, so that
        the job runs again after its backoff, with the same key."""
        try:
            return self.retry(refund_id)
        except ProviderError as error:
            if error.retryable:
                raise
            log.error(
                "refund %s was refused by the provider: %s",
                refund_id,
                error.code,
                extra={"refund_id": refund_id, "code": error.code},
            )
            with self._uow_factory() as uow:
                return uow.refunds.get(refund_id)

    def list_for_order(self, order_id: str) -> list[Refund]:
        with self._uow_factory() as uow:
            uow.orders.get(order_id)
            return uow.refunds.list_for_order(order_id)

    @retry_on_conflict
    def _reserve(self, order_id: str, amount: int | None, reason: str | None) -> tuple[Refund, str]:
        reason = check_reason(reason)
        with self._uow_factory() as uow:
            order = uow.lock_order(order_id)
            granted = check_refund(order, uow.refunds.list_for_order(order_id), amount)
            if order.provider_payment_id is None:
                raise RefundRefused(f"order {order_id} has no payment", order_id=order_id)
            now = self._clock.now()
            refund = Refund(
                id=self._ids.new_id("ref"),
                order_id=order_id,
                amount=granted,
                currency=order.currency,
                status=RefundStatus.PENDING,
                origin=RefundOrigin.APP,
                created_at=now,
                updated_at=now,
                reason=reason,
            )
            uow.refunds.add(refund)
            uow.commit()
        return refund, order.provider_payment_id

    def _send(self, refund: Refund, payment_id: str) -> Refund:
        try:
            answer = self._provider.refund(refund, payment_id, provider_key(refund))
        except ProviderError as error:
            if not error.retryable:  # refused for good: release the reserved amount
                self._fail(refund.id, error.code)
            raise
        if answer.reference is None:  # the provider did not echo our metadata back
            answer = attrs.evolve(answer, reference=refund.id)
        return self._record(refund.order_id, refund.id, answer)

    @retry_on_conflict
    def _fail(self, refund_id: str, code: str) -> None:
        with self._uow_factory() as uow:
            refund = uow.refunds.get(refund_id)
            uow.lock_order(refund.order_id)
            refund.report(RefundStatus.FAILED, self._clock.now(), failure_reason=code)
            uow.refunds.save(refund)
            uow.commit()

    @retry_on_conflict
    def _record(self, order_id: str, refund_id: str, answer: ProviderRefund) -> Refund:
        with self._uow_factory() as uow:
            order = uow.lock_order(order_id)
            now = self._clock.now()
            events = self._ledger.record(uow, order, answer, f"refund:{answer.id}", now)
            reactions = self._reactions.apply(uow, order, events)
            jobs = self._jobs.write(uow, reactions, now)
            uow.orders.save(order)
            refund = uow.refunds.get(refund_id)
            uow.commit()
        self._jobs.publish(jobs)
        return refund

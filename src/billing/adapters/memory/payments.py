"""A fake payment provider: real code that behaves like Stripe where our services care.

It records every call, honours idempotency keys for 24 hours as Stripe does (same key and
parameters → same object; same key, other parameters → refused; an older key is forgotten),
refuses to refund more than was paid, can be told to fail the next call (before or after it
took effect), and signs the events it emits so the webhook path runs exactly as in production.
It keeps every event it emitted, listed by ``list_events`` as Stripe's Events API lists them
(for reconciliation).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

import attrs

from billing.domain.errors import (
    IdempotencyKeyReused,
    InvalidPayload,
    InvalidSignature,
    PaymentNotCancelable,
    ProviderError,
    ProviderRejected,
)
from billing.domain.money import Money
from billing.domain.order import Order
from billing.domain.payment import (
    IDEMPOTENCY_WINDOW,
    PaymentMode,
    ProviderPayment,
    ProviderRefund,
)
from billing.domain.provider_event import ProviderEvent
from billing.domain.refund import Refund
from billing.domain.refund_status import RESERVING, RefundStatus
from billing.ports.clock import Clock

from .fake_events import SIGNATURE_HEADER_PREFIX, event_from_json

T = TypeVar("T")


@attrs.frozen
class ProviderCall:
    operation: str
    idempotency_key: str | None = None
    target: str | None = None


@attrs.define
class _Failure:
    error: ProviderError
    after_effect: bool  # the provider did the work, then the answer was lost


class FakePaymentProvider:
    name = "fake"

    def __init__(
        self,
        clock: Clock,
        webhook_secret: str | None = "whsec_fake",  # noqa: S107 - a fake, not a secret
        refund_status: RefundStatus = RefundStatus.SUCCEEDED,
    ) -> None:
        self._clock = clock
        self._secret = webhook_secret
        self._refund_status = refund_status
        self._serial = itertools.count(1)
        self._failures: deque[_Failure] = deque()
        self._by_key: dict[str, tuple[tuple[Any, ...], Any, datetime]] = {}
        self.calls: list[ProviderCall] = []
        self.payments: dict[str, ProviderPayment] = {}
        self.refunds: dict[str, ProviderRefund] = {}
        self.orders_by_payment: dict[str, str] = {}
        #: Disputes lost, by id: (payment, amount). That money went back through the card
        #: network; the provider no longer holds it, so it cannot be refunded as well.
        self.lost_disputes: dict[str, tuple[str, int]] = {}
        #: Customer id → (user id, email); payment id → its customer.
        self.customers: dict[str, tuple[str, str | None]] = {}
        self.customer_of: dict[str, str | None] = {}
        self.emitted: list[ProviderEvent] = []

    # -- fault injection ---------------------------------------------------------------------

    def fail_next(self, error: ProviderError, *, after_effect: bool = False) -> None:
        """Make the next call raise ``error``; with ``after_effect`` the call takes effect first
        (a timeout after the provider created the object)."""
        self._failures.append(_Failure(error, after_effect))

    def _maybe_fail(self, after_effect: bool) -> None:
        if self._failures and self._failures[0].after_effect == after_effect:
            raise self._failures.popleft().error

    # -- PaymentProvider ---------------------------------------------------------------------

    def create_customer(self, user_id: str, email: str | None, idempotency_key: str) -> str:
        self.calls.append(ProviderCall("create_customer", idempotency_key, user_id))
        self._maybe_fail(after_effect=False)
        customer_id = self._idempotent(
            idempotency_key,
            ("customer", user_id, email),
            lambda: self._new_customer(user_id, email),
        )
        self._maybe_fail(after_effect=True)
        return customer_id

    def _new_customer(self, user_id: str, email: str | None) -> str:
        customer_id = f"cus_fake{next(self._serial):06d}"
        self.customers[customer_id] = (user_id, email)
        return customer_id

    def create_payment_intent(
        self, order: Order, idempotency_key: str, customer_id: str | None = None
    ) -> ProviderPayment:
        return self._create(order, idempotency_key, PaymentMode.PAYMENT_INTENT, customer_id)

    def create_checkout_session(
        self,
        order: Order,
        idempotency_key: str,
        success_url: str,
        cancel_url: str,
        customer_id: str | None = None,
    ) -> ProviderPayment:
        return self._create(order, idempotency_key, PaymentMode.CHECKOUT_SESSION, customer_id)

    def _create(
        self, order: Order, key: str, mode: PaymentMode, customer_id: str | None
    ) -> ProviderPayment:
        self.calls.append(ProviderCall(f"create_{mode}", key, order.id))
        self._maybe_fail(after_effect=False)
        params = (mode, order.id, order.total, customer_id)
        payment = self._idempotent(key, params, lambda: self._new_payment(order, mode))
        self.customer_of[payment.id] = customer_id
        self._maybe_fail(after_effect=True)
        return payment

    def _new_payment(self, order: Order, mode: PaymentMode) -> ProviderPayment:
        number = next(self._serial)
        if mode is PaymentMode.PAYMENT_INTENT:
            payment = ProviderPayment(
                id=f"pi_fake{number:06d}",
                mode=mode,
                status="requires_payment_method",
                amount=order.total,
                client_secret=f"pi_fake{number:06d}_secret",
                payment_intent_id=f"pi_fake{number:06d}",
            )
        else:
            payment = ProviderPayment(
                id=f"cs_fake{number:06d}",
                mode=mode,
                status="open",
                amount=order.total,
                checkout_url=f"https://fake.invalid/pay/cs_fake{number:06d}",
            )
        self.payments[payment.id] = payment
        self.orders_by_payment[payment.id] = order.id
        return payment

    def _idempotent(self, key: str, params: tuple[Any, ...], create: Callable[[], T]) -> T:
        now = self._clock.now()
        if key in self._by_key:
            known_params, result, at = self._by_key[key]
            if now - at < IDEMPOTENCY_WINDOW:
                if known_params != params:
                    raise IdempotencyKeyReused(
                        "idempotency key reused with other parameters", idempotency_key=key
                    )
                return cast(T, result)
        result = create()
        self._by_key[key] = (params, result, now)
        return result

    def retrieve_payment(self, payment_id: str) -> ProviderPayment:
        self.calls.append(ProviderCall("retrieve_payment", target=payment_id))
        self._maybe_fail(after_effect=False)
        if payment_id not in self.payments:
            raise ProviderRejected(f"no such payment: {payment_id}", payment_id=payment_id)
        return self.payments[payment_id]

    def find_payment_intent(self, order_id: str) -> ProviderPayment | None:
        self.calls.append(ProviderCall("find_payment_intent", target=order_id))
        self._maybe_fail(after_effect=False)
        for payment_id, payment in self.payments.items():
            mine = self.orders_by_payment.get(payment_id) == order_id
            if mine and payment.mode is PaymentMode.PAYMENT_INTENT and payment.status != "canceled":
                return payment
        return None

    def cancel_payment(self, payment_id: str) -> None:
        self.calls.append(ProviderCall("cancel_payment", target=payment_id))
        self._maybe_fail(after_effect=False)
        payment = self.retrieve_payment(payment_id)
        if payment.status == "succeeded":
            raise PaymentNotCancelable(
                "a succeeded payment cannot be canceled", payment_id=payment_id
            )
        self.payments[payment_id] = attrs.evolve(payment, status="canceled")
        self._maybe_fail(after_effect=True)

    def refund(self, refund: Refund, payment_id: str, idempotency_key: str) -> ProviderRefund:
        self.calls.append(ProviderCall("refund", idempotency_key, payment_id))
        self._maybe_fail(after_effect=False)
        params = (payment_id, refund.amount, refund.currency)
        result: ProviderRefund = self._idempotent(
            idempotency_key,
            params,
            lambda: self._new_refund(payment_id, Money(refund.amount, refund.currency), refund.id),
        )
        self._maybe_fail(after_effect=True)
        return result

    def _new_refund(self, payment_id: str, amount: Money, reference: str | None) -> ProviderRefund:
        payment = self.payments.get(payment_id)
        if payment is None or payment.status != "succeeded":
            raise ProviderRejected(
                "only a succeeded payment can be refunded", payment_id=payment_id
            )
        taken = sum(
            r.amount.amount
            for r in self.refunds.values()
            if r.payment_id == payment_id and r.status in RESERVING
        ) + sum(lost for paid, lost in self.lost_disputes.values() if paid == payment_id)
        if taken + amount.amount > payment.amount.amount:
            raise ProviderRejected(
                "refund exceeds the amount left on the payment", payment_id=payment_id
            )
        refund = ProviderRefund(
            id=f"re_fake{next(self._serial):06d}",
            payment_id=payment_id,
            amount=amount,
            status=self._refund_status,
            reference=reference,
        )
        self.refunds[refund.id] = refund
        return refund

    @property
    def webhook_configured(self) -> bool:
        return bool(self._secret)

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        if not self._secret:
            raise InvalidSignature("no webhook secret configured: every event is refused")
        if not signature_header or not hmac.compare_digest(signature_header, self.sign(payload)):
            raise InvalidSignature("signature does not match the payload")
        return self.parse_event(payload)

    def parse_event(self, payload: bytes) -> ProviderEvent:
        try:
            return event_from_json(payload)
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidPayload(f"unreadable event: {exc}") from exc

    def list_events(
        self, since: datetime, types: Sequence[str] | None = None
    ) -> list[ProviderEvent]:
        """The events emitted at or after ``since``, newest first (as Stripe lists them)."""
        self.calls.append(ProviderCall("list_events"))
        self._maybe_fail(after_effect=False)
        found = [
            event
            for event in self.emitted
            if event.created_at >= since and (not types or event.type in types)
        ]
        return found[::-1]

    # -- what the provider's side does on its own, for tests -------------------------------

    def publish(self, payload: bytes) -> str:
        """Keep an event the provider sends (see ``list_events``) and return its signature."""
        self.emitted.append(self.parse_event(payload))
        return self.sign(payload)

    def sign(self, payload: bytes) -> str:
        secret = (self._secret or "").encode()
        return SIGNATURE_HEADER_PREFIX + hmac.new(secret, payload, hashlib.sha256).hexdigest()

    def complete(self, payment_id: str) -> ProviderPayment:
        """The customer paid: the payment succeeds at the provider."""
        payment = attrs.evolve(self.payments[payment_id], status="succeeded")
        self.payments[payment_id] = payment
        return payment

    def refund_from_dashboard(self, payment_id: str, amount: int) -> ProviderRefund:
        """A refund made outside our application (Stripe's dashboard)."""
        currency = self.payments[payment_id].amount.currency
        return self._new_refund(payment_id, Money(amount, currency), None)

    def report_refund(self, refund_id: str, status: RefundStatus) -> ProviderRefund:
        """The provider changes a refund's status (e.g. a refund fails days later)."""
        refund = attrs.evolve(self.refunds[refund_id], status=status)
        self.refunds[refund_id] = refund
        return refund

    def next_event_id(self) -> str:
        return f"evt_fake{next(self._serial):06d}"

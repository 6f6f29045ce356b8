"""Checkout: one payment per order at the provider, however often it is asked for.

The attempt (with its idempotency key) is committed before the provider is called, so a crash
or a timeout after the provider created the payment is healed by the next call: the same key
returns the same object. The provider forgets a key after ``IDEMPOTENCY_WINDOW`` (Stripe: 24
hours): an attempt older than that without a known payment first looks for the PaymentIntent
carrying the order's id, and creates one only when there is none.
"""

from __future__ import annotations

import attrs

from billing.domain.errors import OrderNotPayable, ProviderError
from billing.domain.order import Order
from billing.domain.payment import (
    IDEMPOTENCY_WINDOW,
    AttemptStatus,
    PaymentAttempt,
    PaymentMode,
    ProviderPayment,
    payment_key,
)
from billing.domain.state import PAYABLE_STATES
from billing.ports.clock import Clock, IdGenerator
from billing.ports.payments import PaymentProvider
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.retry import retry_on_conflict
from billing.services.provider_customers import ProviderCustomers


@attrs.frozen
class ReturnUrls:
    success_url: str
    cancel_url: str


@attrs.frozen
class CheckoutResult:
    order: Order
    payment: ProviderPayment


@attrs.frozen
class PaymentService:
    _uow_factory: UnitOfWorkFactory
    _provider: PaymentProvider
    _clock: Clock
    _ids: IdGenerator
    #: A user's payments are attached to their customer at the provider (None: never).
    _customers: ProviderCustomers | None = None

    def checkout(
        self,
        order_id: str,
        mode: PaymentMode,
        urls: ReturnUrls | None = None,
        recorded: tuple[PaymentAttempt, Order] | None = None,
    ) -> CheckoutResult:
        """The order's payment at the provider, created once. ``recorded``: the attempt and
        order a caller committed together with ``first_attempt``; otherwise the attempt is
        found or recorded here, under the order's lock."""
        attempt, order = recorded or self._record_attempt(order_id, mode)
        try:
            payment = self._provider_payment(order, attempt, urls)
        except ProviderError as error:
            self._record_failure(attempt, error)
            raise
        return self._record_payment(order_id, attempt, payment)

    @retry_on_conflict
    def _record_attempt(self, order_id: str, mode: PaymentMode) -> tuple[PaymentAttempt, Order]:
        with self._uow_factory() as uow:
            order = uow.lock_order(order_id)
            key = payment_key(mode, order.idempotency_key)
            attempt = uow.payment_attempts.find_by_key(key)
            if attempt is None:
                if order.status not in PAYABLE_STATES:
                    raise OrderNotPayable(f"order {order_id} is {order.status}", order_id=order_id)
                other = [a for a in uow.payment_attempts.list_for_order(order_id) if a.mode != mode]
                if other:
                    raise OrderNotPayable(
                        f"order {order_id} is already being paid by {other[0].mode}",
                        order_id=order_id,
                        mode=str(other[0].mode),
                    )
                attempt = self._new_attempt(order_id, mode, key)
                uow.payment_attempts.add(attempt)
                uow.commit()
            return attempt, order

    def first_attempt(self, uow: UnitOfWork, order: Order, mode: PaymentMode) -> PaymentAttempt:
        """Record the payment attempt of an order added in the caller's transaction (which
        commits both, before ``checkout`` calls the provider): a new order has no attempt."""
        if order.status not in PAYABLE_STATES:
            raise OrderNotPayable(f"order {order.id} is {order.status}", order_id=order.id)
        attempt = self._new_attempt(order.id, mode, payment_key(mode, order.idempotency_key))
        uow.payment_attempts.add(attempt)
        return attempt

    def _new_attempt(self, order_id: str, mode: PaymentMode, key: str) -> PaymentAttempt:
        return PaymentAttempt(
            id=self._ids.new_id("att"),
            order_id=order_id,
            mode=mode,
            idempotency_key=key,
            created_at=self._clock.now(),
        )

    def _provider_payment(
        self, order: Order, attempt: PaymentAttempt, urls: ReturnUrls | None
    ) -> ProviderPayment:
        if attempt.provider_payment_id is not None:
            return self._provider.retrieve_payment(attempt.provider_payment_id)
        if attempt.mode is PaymentMode.CHECKOUT_SESSION:
            if urls is None:
                raise OrderNotPayable("a checkout session needs return urls", order_id=order.id)
            return self._provider.create_checkout_session(
                order,
                attempt.idempotency_key,
                urls.success_url,
                urls.cancel_url,
                customer_id=self._customer_of(order),
            )
        if self._clock.now() - attempt.created_at >= IDEMPOTENCY_WINDOW:
            found = self._provider.find_payment_intent(order.id)  # the key alone may be forgotten
            if found is not None:
                return found
        return self._provider.create_payment_intent(
            order, attempt.idempotency_key, customer_id=self._customer_of(order)
        )

    def _customer_of(self, order: Order) -> str | None:
        user_id = order.customer.user_id
        if self._customers is None or user_id is None:
            return None  # a guest pays under the order's email
        return self._customers.customer_id(user_id, order.customer.email)

    @retry_on_conflict
    def _record_failure(self, attempt: PaymentAttempt, error: ProviderError) -> None:
        with self._uow_factory() as uow:
            stored = uow.payment_attempts.find_by_key(attempt.idempotency_key)
            if stored is not None and stored.provider_payment_id is None:
                stored.status, stored.error_code = AttemptStatus.FAILED, error.code
                uow.payment_attempts.save(stored)
                uow.commit()

    @retry_on_conflict
    def _record_payment(
        self, order_id: str, attempt: PaymentAttempt, payment: ProviderPayment
    ) -> CheckoutResult:
        with self._uow_factory() as uow:
            order = uow.lock_order(order_id)
            stored = uow.payment_attempts.find_by_key(attempt.idempotency_key) or attempt
            stored.provider_payment_id, stored.status = payment.id, payment.status
            stored.error_code = None
            uow.payment_attempts.save(stored)
            if order.status in PAYABLE_STATES:
                order.start_payment(payment.id, f"checkout:{stored.id}", self._clock.now())
                uow.orders.save(order)
            uow.commit()
        return CheckoutResult(order, payment)

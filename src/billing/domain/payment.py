"""Payments as the provider reports them, in provider-neutral terms, and our attempts."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from billing.domain.money import Money
from billing.domain.refund_status import RefundStatus


class PaymentMode(StrEnum):
    PAYMENT_INTENT = "payment_intent"
    CHECKOUT_SESSION = "checkout_session"


IDEMPOTENCY_PREFIX = {PaymentMode.PAYMENT_INTENT: "pi", PaymentMode.CHECKOUT_SESSION: "cs"}


def payment_key(mode: PaymentMode, order_idempotency_key: str) -> str:
    """The provider idempotency key of an order's payment: ``pi:{key}`` or ``cs:{key}``."""
    return f"{IDEMPOTENCY_PREFIX[mode]}:{order_idempotency_key}"


def refund_key(refund_id: str) -> str:
    return f"re:{refund_id}"


def duplicate_refund_key(payment_id: str) -> str:
    """The key of the refund giving back a duplicate capture: one per extra payment, whatever
    refund record asks for it."""
    return f"re:dup:{payment_id}"


#: How long the provider remembers an idempotency key (Stripe: 24 hours). A request retried
#: later with the same key may create a second object.
IDEMPOTENCY_WINDOW = timedelta(hours=24)


@attrs.frozen
class ProviderPayment:
    """A PaymentIntent or Checkout Session as the provider created it."""

    id: str
    mode: PaymentMode
    status: str
    amount: Money
    client_secret: str | None = attrs.field(default=None, repr=False)
    checkout_url: str | None = None
    payment_intent_id: str | None = None


@attrs.frozen
class ProviderRefund:
    """A refund as the provider reports it; ``reference`` is our refund id when we asked for it."""

    id: str
    payment_id: str | None
    amount: Money
    status: RefundStatus
    reference: str | None = None
    reason: str | None = None
    failure_reason: str | None = None


class AttemptStatus(StrEnum):
    """A payment attempt's own statuses, before the provider answered or when it refused; once
    it answered, the attempt keeps the provider's status of the payment (``requires_action``,
    ``open``…), which is the provider's vocabulary, not ours."""

    CREATED = "created"
    FAILED = "failed"


@attrs.define
class PaymentAttempt:
    """One request to the provider for an order's payment (kept even when it failed)."""

    id: str
    order_id: str
    mode: PaymentMode
    idempotency_key: str
    created_at: datetime
    provider_payment_id: str | None = None
    status: str = AttemptStatus.CREATED
    error_code: str | None = None

"""The Stripe adapter: PaymentIntents, Checkout Sessions, refunds and signed webhooks.

Stripe's wire format (records, event translation, signatures, API version) lives in
``billing.adapters.stripe_format``, shared with the sandbox; it is re-exported here.
"""

from billing.adapters.stripe_format import (
    CHECKOUT_TTL_MIN,
    HANDLED_EVENT_TYPES,
    STRIPE_API_VERSION,
    CheckoutSessionRecord,
    PaymentIntentRecord,
    RefundRecord,
    WebhookVerifier,
    event_from_body,
    event_from_text,
    parse_json,
    payment_from_intent,
    payment_from_session,
    read,
    read_event,
    refund_from_record,
    translate_event,
    webhook_secret_list,
)
from billing.domain.errors import IdempotencyKeyReused

from .config import StripeConfig
from .errors import map_stripe_error
from .provider import StripePaymentProvider

__all__ = [
    "CHECKOUT_TTL_MIN",
    "HANDLED_EVENT_TYPES",
    "STRIPE_API_VERSION",
    "CheckoutSessionRecord",
    "IdempotencyKeyReused",
    "PaymentIntentRecord",
    "RefundRecord",
    "StripeConfig",
    "StripePaymentProvider",
    "WebhookVerifier",
    "event_from_body",
    "event_from_text",
    "map_stripe_error",
    "parse_json",
    "payment_from_intent",
    "payment_from_session",
    "read",
    "read_event",
    "refund_from_record",
    "translate_event",
    "webhook_secret_list",
]

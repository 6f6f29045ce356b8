"""The Stripe adapter: PaymentIntents, Checkout Sessions, refunds and signed webhooks.

Besides ``StripePaymentProvider``, the pieces another adapter may reuse to read Stripe-shaped
JSON exactly as this one does (the sandbox provider serves Stripe's objects and events):
``read`` with the ``*Record`` classes, the ``payment_from_*`` / ``refund_from_record``
mappings, ``event_from_text`` / ``event_from_body`` (and their parts ``parse_json`` /
``read_event`` / ``translate_event``) for events, and
``WebhookVerifier`` for the ``Stripe-Signature`` header.
"""

from billing.domain.errors import IdempotencyKeyReused

from .config import CHECKOUT_TTL_MIN, STRIPE_API_VERSION, StripeConfig, webhook_secret_list
from .errors import map_stripe_error
from .provider import StripePaymentProvider
from .records import CheckoutSessionRecord, PaymentIntentRecord, RefundRecord, read
from .signature import WebhookVerifier
from .translate import (
    HANDLED_EVENT_TYPES,
    event_from_body,
    event_from_text,
    parse_json,
    payment_from_intent,
    payment_from_session,
    read_event,
    refund_from_record,
    translate_event,
)

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

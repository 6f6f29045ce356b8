"""Stripe's wire format, shared by the two adapters that speak it: ``stripe`` (the real API)
and ``sandbox`` (an offline emulator of it). Neither imports the other; both import this.

``read`` with the ``*Record`` classes (Stripe JSON → typed records), the ``payment_from_*`` /
``refund_from_record`` mappings, ``event_from_text`` / ``event_from_body`` (and their parts
``parse_json`` / ``read_event`` / ``translate_event``) for events, ``WebhookVerifier`` for the
``Stripe-Signature`` header, and the API version and limits (``api``).
"""

from .api import CHECKOUT_TTL_MAX, CHECKOUT_TTL_MIN, STRIPE_API_VERSION, webhook_secret_list
from .records import CheckoutSessionRecord, EventRecord, PaymentIntentRecord, RefundRecord, read
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
    "CHECKOUT_TTL_MAX",
    "CHECKOUT_TTL_MIN",
    "HANDLED_EVENT_TYPES",
    "STRIPE_API_VERSION",
    "CheckoutSessionRecord",
    "EventRecord",
    "PaymentIntentRecord",
    "RefundRecord",
    "WebhookVerifier",
    "event_from_body",
    "event_from_text",
    "parse_json",
    "payment_from_intent",
    "payment_from_session",
    "read",
    "read_event",
    "refund_from_record",
    "translate_event",
    "webhook_secret_list",
]

"""The Stripe adapter: PaymentIntents, Checkout Sessions, refunds and signed webhooks."""

from billing.domain.errors import IdempotencyKeyReused

from .config import STRIPE_API_VERSION, StripeConfig, webhook_secret_list
from .errors import map_stripe_error
from .provider import StripePaymentProvider
from .translate import HANDLED_EVENT_TYPES

__all__ = [
    "HANDLED_EVENT_TYPES",
    "STRIPE_API_VERSION",
    "IdempotencyKeyReused",
    "StripeConfig",
    "StripePaymentProvider",
    "map_stripe_error",
    "webhook_secret_list",
]

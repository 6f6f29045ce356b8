"""Stripe's API as both Stripe-shaped adapters speak it: its version, its limits, its secrets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

#: The API version every request is pinned to (``Stripe-Version``), the one the installed
#: stripe-python is typed for. Webhook endpoints must be created with the same version.
STRIPE_API_VERSION = "2026-10-28.endive"

#: Stripe's own limits for ``expires_at`` on a Checkout Session, measured from its creation.
CHECKOUT_TTL_MIN = timedelta(minutes=30)
CHECKOUT_TTL_MAX = timedelta(hours=24)


def webhook_secret_list(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"whsec_new, whsec_old"`` or an iterable of secrets → a tuple without blanks."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(secret.strip() for secret in items if secret and secret.strip())

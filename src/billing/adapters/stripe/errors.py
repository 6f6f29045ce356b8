"""Every stripe-python exception mapped to a ``billing.domain.errors.ProviderError``.

- card errors → ``PaymentDeclined`` (Stripe's message for card errors is meant for the payer);
- rate limits, connection failures, 409 conflicts (lock timeouts, a concurrent request with the
  same idempotency key) and 5xx → ``ProviderUnavailable`` (retryable: retry with the same key);
- a reused idempotency key with other parameters → ``IdempotencyKeyReused``;
- other invalid requests → ``ProviderRejected``;
- authentication and permission errors → ``ProviderMisconfigured``.

Messages are ours; Stripe's own message and request id go in ``details`` for the logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe

from billing.domain.errors import (
    IdempotencyKeyReused,
    PaymentDeclined,
    ProviderError,
    ProviderMisconfigured,
    ProviderRejected,
    ProviderUnavailable,
)


def _error_body(error: stripe.StripeError) -> dict[str, Any]:
    body = error.json_body
    found = body.get("error") if isinstance(body, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def _details(error: stripe.StripeError) -> dict[str, Any]:
    body = _error_body(error)
    details: dict[str, Any] = {
        "stripe_error": type(error).__name__,
        "http_status": error.http_status,
        "request_id": error.request_id,
        "stripe_code": body.get("code") or error.code,
        "stripe_message": error.user_message,
    }
    if body.get("param"):
        details["param"] = body["param"]
    return details


def map_stripe_error(error: stripe.StripeError) -> ProviderError:
    """The domain error for a stripe-python exception."""
    details = _details(error)
    status = error.http_status
    if isinstance(error, stripe.CardError):
        body = _error_body(error)
        return PaymentDeclined(
            error.user_message or "Your card was declined.",
            **{**details, "decline_code": body.get("decline_code")},
        )
    if isinstance(error, stripe.IdempotencyError):
        return IdempotencyKeyReused(
            "an idempotency key was reused with different parameters", **details
        )
    if isinstance(error, stripe.RateLimitError):
        return ProviderUnavailable("Stripe is rate limiting our requests", **details)
    if isinstance(error, stripe.APIConnectionError):
        return ProviderUnavailable("could not reach Stripe", **details)
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return ProviderMisconfigured("Stripe refused our API key", **details)
    if status == 409 or details["stripe_code"] == "lock_timeout":
        return ProviderUnavailable("Stripe reported a conflicting concurrent request", **details)
    if isinstance(error, stripe.InvalidRequestError):
        return ProviderRejected("Stripe refused the request", **details)
    if status is None or status >= 500:
        return ProviderUnavailable("Stripe had an internal error", **details)
    return ProviderRejected("Stripe refused the request", **details)


def unexpected_response(error: Exception) -> ProviderUnavailable:
    """A response we cannot read: the call's effect is unknown, so it must be retried."""
    return ProviderUnavailable(
        "Stripe answered with an object we cannot read", reason=f"{type(error).__name__}: {error}"
    )


@contextmanager
def stripe_errors() -> Iterator[None]:
    """Translate any stripe-python exception raised inside the block."""
    try:
        yield
    except stripe.StripeError as error:
        raise map_stripe_error(error) from error

"""Signing the sandbox's deliveries the way Stripe signs its own, and the secret it uses.

The ``Stripe-Signature`` header (``t=<unix time>,v1=<HMAC-SHA256 of "t.body">``) comes from
stripe-python's own ``WebhookSignature.generate_signature_header``, so the Stripe adapter's
verification accepts it as it accepts Stripe's.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence

import stripe

from billing.ports.clock import Clock

log = logging.getLogger(__name__)


def sandbox_webhook_secrets(configured: Sequence[str], server_secret: str) -> tuple[str, ...]:
    """The secrets the sandbox signs (the first) and verifies (all) with.

    ``STRIPE_WEBHOOK_SECRET`` when it is set. Otherwise one derived from
    ``BILLING_SECRET_KEY`` (HMAC-SHA256), the same in every process of a deployment; without
    that either, a random one for this process only (deliveries to another process fail).
    """
    if configured:
        return tuple(configured)
    if server_secret:
        digest = hmac.new(server_secret.encode(), b"sandbox-webhook-secret", hashlib.sha256)
        return ("whsec_" + digest.hexdigest(),)
    log.warning(
        "sandbox: neither STRIPE_WEBHOOK_SECRET nor BILLING_SECRET_KEY is set; "
        "webhooks are signed with a random secret known to this process only"
    )
    return ("whsec_" + secrets.token_hex(32),)


class WebhookSigner:
    def __init__(self, secret: str, clock: Clock) -> None:
        if not secret:
            raise ValueError("the sandbox needs a webhook secret to sign with")
        self._secret = secret
        self._clock = clock

    def __repr__(self) -> str:
        return "WebhookSigner(secret=***)"

    def header(self, payload: str) -> str:
        """The ``Stripe-Signature`` header of ``payload``, timestamped now."""
        timestamp = int(self._clock.now().timestamp())
        header: str = stripe.WebhookSignature.generate_signature_header(
            payload, self._secret, timestamp
        )
        return header

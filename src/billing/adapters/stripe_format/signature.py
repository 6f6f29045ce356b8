"""Verification of Stripe's ``Stripe-Signature`` header over the raw request body.

The HMAC comparison is stripe-python's own (``stripe.WebhookSignature.verify_header``, ``v1``
scheme only). Its time check uses ``time.time()`` and only refuses old timestamps, so it is
switched off (``tolerance=None``) and done here against the injected ``Clock``, in both
directions. Several secrets are tried in turn, for a rotation; none configured refuses all.

Everything that fails before the signature is proven raises ``InvalidSignature``, including a
body that is not UTF-8: nothing is read from a payload that is not authenticated.
"""

from __future__ import annotations

from collections.abc import Sequence

import stripe

from billing.domain.errors import InvalidSignature
from billing.ports.clock import Clock


def header_timestamp(header: str) -> int:
    """The single ``t=`` value of a signature header; refuses a header without exactly one."""
    values = [item.partition("=")[2] for item in header.split(",") if item.partition("=")[0] == "t"]
    if len(values) != 1 or not values[0].isascii() or not values[0].isdigit():
        raise InvalidSignature("malformed Stripe-Signature header: needs one numeric t=")
    return int(values[0])


class WebhookVerifier:
    def __init__(self, secrets: Sequence[str], clock: Clock, tolerance: int) -> None:
        self._secrets = tuple(secrets)
        self._clock = clock
        self._tolerance = tolerance

    @property
    def configured(self) -> bool:
        return bool(self._secrets)

    def verify(self, payload: bytes, header: str | None) -> str:
        """The body as text once its signature and timestamp are accepted."""
        if not self._secrets:
            raise InvalidSignature("no Stripe webhook secret configured: every event is refused")
        if not header:
            raise InvalidSignature("missing Stripe-Signature header")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidSignature("the body is not UTF-8: it cannot carry a signature") from error
        timestamp = header_timestamp(header)
        if not any(self._matches(text, header, secret) for secret in self._secrets):
            raise InvalidSignature("no v1 signature matches the body with any configured secret")
        now = self._clock.now().timestamp()
        if timestamp < now - self._tolerance:
            raise InvalidSignature(
                "signature timestamp too old", timestamp=timestamp, tolerance=self._tolerance
            )
        if timestamp > now + self._tolerance:
            raise InvalidSignature(
                "signature timestamp in the future", timestamp=timestamp, tolerance=self._tolerance
            )
        return text

    @staticmethod
    def _matches(text: str, header: str, secret: str) -> bool:
        try:
            stripe.WebhookSignature.verify_header(text, header, secret, tolerance=None)
        except stripe.SignatureVerificationError:
            return False
        return True

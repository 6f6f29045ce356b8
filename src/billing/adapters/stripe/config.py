"""The Stripe adapter's configuration: keys, webhook secrets, API version and network policy
(timeouts and retries, and the longest wait they allow; the version and Stripe's limits
themselves are Stripe's format: ``stripe_format.api``).

Built by the entry points from settings; nothing here reads the environment.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
from stripe import HTTPClient

from billing.adapters.stripe_format import (
    CHECKOUT_TTL_MAX,
    CHECKOUT_TTL_MIN,
    STRIPE_API_VERSION,
    webhook_secret_list,
)
from billing.domain.errors import ProviderMisconfigured

_LIVE_PREFIXES = ("sk_live_", "rk_live_")
_TEST_PREFIXES = ("sk_test_", "rk_test_")


def key_livemode(secret_key: str) -> bool:
    """Whether a secret (or restricted) key is a live one; refuses a key of unknown shape."""
    if secret_key.startswith(_LIVE_PREFIXES):
        return True
    if secret_key.startswith(_TEST_PREFIXES):
        return False
    raise ProviderMisconfigured(
        "the Stripe secret key must start with sk_live_, sk_test_, rk_live_ or rk_test_"
    )


def _check_ttl(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if not CHECKOUT_TTL_MIN < value <= CHECKOUT_TTL_MAX:
        raise ProviderMisconfigured(
            f"{attribute.name} must be more than 30 minutes and at most 24 hours, got {value}"
        )


def _check_secret_key(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not value or not value.strip():
        raise ProviderMisconfigured("STRIPE_SECRET_KEY is not set")
    key_livemode(value)


@attrs.frozen
class StripeConfig:
    """Everything the adapter needs; secrets never appear in a repr.

    ``webhook_secrets`` accepts the comma-separated ``STRIPE_WEBHOOK_SECRET`` as is: during a
    rotation both the new and the old secret verify. No secret means every webhook is refused.
    """

    secret_key: str = attrs.field(repr=False, validator=_check_secret_key)
    webhook_secrets: tuple[str, ...] = attrs.field(
        default=(), repr=False, converter=webhook_secret_list
    )
    publishable_key: str | None = None
    api_version: str = STRIPE_API_VERSION
    max_network_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    #: Another Stripe-compatible server (staging), e.g. ``http://stripe-mock:12111``.
    api_base: str | None = None
    #: Seconds to open a connection to Stripe (TLS included), and to wait for each read of
    #: its answer; see ``worst_case`` for what they add up to with the retries.
    connect_timeout: float = attrs.field(default=2.0, validator=attrs.validators.gt(0))
    read_timeout: float = attrs.field(default=5.0, validator=attrs.validators.gt(0))
    #: Seconds a webhook's timestamp may differ from our clock, in either direction.
    webhook_tolerance: int = attrs.field(default=300, validator=attrs.validators.gt(0))
    #: How long a Checkout Session stays open, counted from the order's creation.
    checkout_session_ttl: timedelta = attrs.field(default=timedelta(hours=23), validator=_check_ttl)
    #: The language of Stripe's hosted Checkout page (``fr``, ``en``); None lets Stripe follow
    #: the shopper's browser.
    checkout_locale: str | None = None

    @property
    def livemode(self) -> bool:
        return key_livemode(self.secret_key)

    @property
    def worst_case(self) -> float:
        """The longest one call may take (``worst_case``, below)."""
        return worst_case(self.connect_timeout, self.read_timeout, self.max_network_retries)


def worst_case(connect_timeout: float, read_timeout: float, max_network_retries: int) -> float:
    """The longest one call may take against a Stripe that accepts and never answers: every
    attempt's connect and read timeouts, plus stripe-python's longest pause before each retry
    (``HTTPClient``: 0.5 s doubling, at most 5 s; its jitter only shortens it)."""
    attempts = 1 + max_network_retries
    first, longest = float(HTTPClient.INITIAL_DELAY), float(HTTPClient.MAX_DELAY)
    pauses = sum(min(first * 2.0 ** (n - 1), longest) for n in range(1, attempts))
    return attempts * (connect_timeout + read_timeout) + pauses

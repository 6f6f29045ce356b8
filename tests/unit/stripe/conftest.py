"""Fixtures for the Stripe adapter's unit tests.

Every test here runs inside ``respx.mock`` with ``assert_all_mocked``: a request to a route no
test declared fails inside httpx, and sockets are switched off, so nothing reaches Stripe.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import respx
import stripe

from billing.adapters.memory import FixedClock
from billing.adapters.stripe import StripeConfig, StripePaymentProvider
from billing.domain.order import Customer, Order, OrderItem
from billing.domain.refund import Refund
from tests.contract import provider_objects
from tests.contract.stripe_emulator import API_BASE

NOW = provider_objects.NOW
SECRET_KEY = "sk_test_unit"
WEBHOOK_SECRET = "whsec_unit"

ProviderFactory = Callable[..., StripePaymentProvider]

#: stripe-python's HTTPXClient hands httpx the form body as ``data=str``; modules apply this.
QUIET_HTTPX = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Stripe unit test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(autouse=True)
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """stripe-python sleeps 0.5 s or more between retries; the tests need not wait."""
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n: 0.0)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API_BASE, assert_all_mocked=True, assert_all_called=True) as mock:
        yield mock


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def make_provider(clock: FixedClock) -> ProviderFactory:
    def make(**config: Any) -> StripePaymentProvider:
        settings: dict[str, Any] = {
            "secret_key": SECRET_KEY,
            "webhook_secrets": WEBHOOK_SECRET,
            "max_network_retries": 0,
            **config,
        }
        return StripePaymentProvider(StripeConfig(**settings), clock)

    return make


@pytest.fixture
def provider(make_provider: ProviderFactory) -> StripePaymentProvider:
    return make_provider()


@pytest.fixture
def order() -> Order:
    return Order.create(
        id="ord_000001",
        customer=Customer(email="buyer@example.com"),
        items=(
            OrderItem("book", "A book", 2, 1250, "library:book"),
            OrderItem("sticker", "A sticker", 1, 300),
        ),
        currency="EUR",
        idempotency_key="k3y",
        at=NOW,
    )


def make_refund(amount: int = 1000, reason: str | None = "requested_by_customer") -> Refund:
    return attrs.evolve(provider_objects.make_refund("ref_000007", amount), reason=reason)

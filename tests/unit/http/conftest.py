"""The Flask app on the in-memory adapters, wired by the real container, and its actors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from dependency_injector import providers
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from billing.adapters.invoices.text import TextRenderer
from billing.adapters.memory import (
    FakeEvents,
    FakePaymentProvider,
    FixedClock,
    MemoryArtifactStore,
    MemoryUnitOfWorkFactory,
    SequentialIds,
)
from billing.domain.catalog import Product
from billing.domain.money import Money
from billing.domain.order import Order
from billing.entrypoints.container import Container, build_container
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
USER_HEADER = "X-User-Id"
PRODUCTS = (
    Product("book", "A book", Money(2500, "EUR"), "library:book"),
    Product("course", "A course", Money(7500, "EUR"), "course:stripe"),
    Product("manga", "A manga", Money(900, "JPY"), "library:manga"),
)
SETTINGS = Settings.in_memory(
    enabled=True,
    payment_provider="fake",
    admin_token=ADMIN_TOKEN,
    user_header=USER_HEADER,
    secret_key="server-secret-for-tests",
    public_base_url="https://shop.test",
)
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def user(user_id: str = "user-1") -> dict[str, str]:
    return {USER_HEADER: user_id}


def guest(token: str) -> dict[str, str]:
    return {"X-Order-Token": token}


CART = {"items": [{"sku": "book", "quantity": 1}, {"sku": "course", "quantity": 2}]}


@attrs.define
class Shop:
    """The app, its client, and what the fakes behind it observed."""

    app: Flask
    client: FlaskClient
    container: Container
    provider: FakePaymentProvider
    events: FakeEvents
    clock: FixedClock

    def checkout(self, headers: dict[str, str] | None = None, **body: Any) -> TestResponse:
        return self.client.post("/billing/checkout/", json={**CART, **body}, headers=headers)

    def guest_order(self, email: str = "guest@example.com") -> tuple[str, str, str]:
        """A pending guest order: (order id, order token, payment id)."""
        answer = self.checkout(email=email)
        assert answer.status_code == 201, answer.json
        body = answer.json
        assert body is not None
        return body["order"]["id"], body["order_token"], body["payment"]["id"]

    def user_order(self, user_id: str = "user-1") -> tuple[str, str]:
        answer = self.checkout(user(user_id))
        assert answer.status_code == 201, answer.json
        body = answer.json
        assert body is not None
        return body["order"]["id"], body["payment"]["id"]

    def pay(self, payment_id: str) -> TestResponse:
        delivery = self.events.payment_succeeded(payment_id)
        return self.client.post(
            "/billing/webhooks/stripe/",
            data=delivery.payload,
            headers={"Stripe-Signature": delivery.signature},
        )

    def order(self, order_id: str) -> Order:
        return self.container.orders().get(order_id)


def make_shop(settings: Settings = SETTINGS) -> Shop:
    container = build_container(settings)
    clock = FixedClock()
    container.clock.override(providers.Object(clock))
    container.ids.override(providers.Object(SequentialIds()))
    container.uow_factory.override(providers.Singleton(MemoryUnitOfWorkFactory))
    container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
    container.renderer.override(providers.Singleton(TextRenderer))
    with container.uow_factory()() as uow:
        for product in PRODUCTS:
            uow.catalog.put(product)
        uow.commit()
    app = create_app(container=container)
    provider = container.payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    return Shop(app, app.test_client(), container, provider, FakeEvents(provider), clock)


@pytest.fixture
def shop() -> Iterator[Shop]:
    made = make_shop()
    yield made
    made.container.unwire()

"""The HTTP app on the Stripe adapter, with Stripe emulated through respx, and its observers.

``StripeShop`` is the real Flask app wired by the real container: memory storage (unless a test
gives a unit of work factory), the Stripe adapter talking to ``StripeEmulator`` (Stripe's own
example objects, idempotency keys, signed events), a fixed clock, recording metrics. Sockets
may only reach loopback addresses: nothing here can talk to Stripe or anything else outside.

``live_sandbox_app`` is the app as it runs embedded (SQLite file, sandbox provider, demo
catalog) behind a werkzeug server thread on a loopback port.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import respx
import stripe
from dependency_injector import providers
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from billing.adapters.invoices.text import TextRenderer
from billing.adapters.memory import (
    FixedClock,
    MemoryArtifactStore,
    MemoryUnitOfWorkFactory,
    RecordingMetrics,
    SequentialIds,
)
from billing.adapters.memory.database import Tables
from billing.adapters.sql import upgrade
from billing.domain.catalog import Product
from billing.domain.money import Money
from billing.entrypoints.container import Container, build_container, shutdown
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings
from billing.ports.unit_of_work import UnitOfWorkFactory
from tests.contract.stripe_emulator import API_BASE, StripeEmulator, sign, stripe_event
from tests.seller import SELLER_FIELDS

WEBHOOK_URL = "/billing/webhooks/stripe/"
CHECKOUT_URL = "/billing/checkout/"
STRIPE_KEY = "sk_test_reliability_0123456789"
#: The live sandbox app's secret key: its JSON API takes it, as Stripe's takes its own.
SANDBOX_KEY = "sk_test_sandbox_reliability_0123456789"
WEBHOOK_SECRET = "whsec_reliability_current"
OLD_WEBHOOK_SECRET = "whsec_reliability_previous"
ADMIN_TOKEN = "admin-token-reliability-0123456789abcdef"
SERVER_SECRET = "server-secret-reliability-0123456789"
USER_HEADER = "X-User-Id"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PRODUCTS = (
    Product("book", "A book", Money(2500, "EUR"), "library:book"),
    Product("course", "A course", Money(7500, "EUR"), "course:stripe"),
    Product("manga", "A manga", Money(900, "JPY"), "library:manga"),
)
CART = {"items": [{"sku": "book", "quantity": 1}, {"sku": "course", "quantity": 1}]}
CART_TOTAL = 10000

#: stripe-python's HTTPXClient hands httpx the form body as ``data=str``.
QUIET_HTTPX = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


def stripe_settings(**overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "enabled": True,
        "storage": "memory",
        "payment_provider": "stripe",
        "stripe_secret_key": STRIPE_KEY,
        "stripe_webhook_secrets": (WEBHOOK_SECRET,),
        "stripe_max_network_retries": 0,
        "admin_token": ADMIN_TOKEN,
        "user_header": USER_HEADER,
        "secret_key": SERVER_SECRET,
        "public_base_url": "https://shop.test",
        **SELLER_FIELDS,
        **overrides,
    }
    return Settings(**fields)


def user(user_id: str = "user-1") -> dict[str, str]:
    return {USER_HEADER: user_id}


def _loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX and friends
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to an address that is not loopback fails the test."""
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _loopback(address):
            raise AssertionError(f"a reliability test tried to reach {address!r}")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def instant_stripe_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """stripe-python sleeps between its network retries; the tests need not wait."""
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n: 0.0)


@attrs.define
class StripeShop:
    """The app, its client, the emulated Stripe behind it, and what the fakes observed."""

    app: Flask
    client: FlaskClient
    container: Container
    stripe: StripeEmulator
    router: respx.MockRouter
    clock: FixedClock
    metrics: RecordingMetrics
    uow_factory: UnitOfWorkFactory
    secret: str = WEBHOOK_SECRET

    # -- requests ----------------------------------------------------------------------------

    def checkout(
        self,
        headers: dict[str, str] | None = None,
        key: str | None = None,
        **body: Any,
    ) -> TestResponse:
        sent = dict(headers or {})
        if key is not None:
            sent["Idempotency-Key"] = key
        return self.client.post(CHECKOUT_URL, json={**CART, **body}, headers=sent)

    def guest_order(self, email: str = "guest@example.com") -> tuple[str, str, str]:
        """A pending guest order: (order id, order token, PaymentIntent id)."""
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

    def signed(self, body: bytes, secret: str | None = None, at: int | None = None) -> str:
        timestamp = at if at is not None else int(self.clock.now().timestamp())
        return sign(body, secret or self.secret, timestamp)

    def post_webhook(self, body: bytes, signature: str | None) -> TestResponse:
        headers = {"Stripe-Signature": signature} if signature is not None else {}
        return self.client.post(
            WEBHOOK_URL, data=body, headers=headers, content_type="application/json"
        )

    def deliver(self, event: dict[str, Any], secret: str | None = None) -> TestResponse:
        body = json.dumps(event).encode()
        return self.post_webhook(body, self.signed(body, secret))

    # -- events, built from Stripe's example objects ----------------------------------------

    def event(self, type_: str, obj: dict[str, Any], event_id: str, **overrides: Any) -> dict:
        created = int(self.clock.now().timestamp())
        return stripe_event(type_, obj, created=created, id=event_id, **overrides)

    def paid_event(self, intent_id: str, event_id: str = "evt_paid") -> dict[str, Any]:
        intent = copy.deepcopy(self.stripe.complete(intent_id))
        return self.event("payment_intent.succeeded", intent, event_id)

    def pay(self, intent_id: str, event_id: str = "evt_paid") -> TestResponse:
        return self.deliver(self.paid_event(intent_id, event_id))

    # -- what is stored ------------------------------------------------------------------------

    def tables(self) -> Tables:
        """A copy of every committed row (memory storage)."""
        assert isinstance(self.uow_factory, MemoryUnitOfWorkFactory)
        return self.uow_factory.database.tables.copy()

    def intent_requests(self) -> list[httpx.Request]:
        return [
            call.request
            for call in self.router.calls
            if call.request.method == "POST" and call.request.url.path == "/v1/payment_intents"
        ]


def make_stripe_shop(
    router: respx.MockRouter,
    settings: Settings | None = None,
    uow_factory: UnitOfWorkFactory | None = None,
    emulator: Callable[[respx.MockRouter, FixedClock], StripeEmulator] = StripeEmulator,
) -> StripeShop:
    settings = settings or stripe_settings()
    container = build_container(settings)
    clock = FixedClock()
    metrics = RecordingMetrics()
    factory = uow_factory or MemoryUnitOfWorkFactory()
    container.clock.override(providers.Object(clock))
    container.ids.override(providers.Object(SequentialIds()))
    container.metrics.override(providers.Object(metrics))
    container.uow_factory.override(providers.Object(factory))
    container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
    container.renderer.override(providers.Singleton(TextRenderer))
    with factory() as uow:
        for product in PRODUCTS:
            uow.catalog.put(product)
        uow.commit()
    app = create_app(container=container)
    return StripeShop(
        app=app,
        client=app.test_client(),
        container=container,
        stripe=emulator(router, clock),
        router=router,
        clock=clock,
        metrics=metrics,
        uow_factory=factory,
        secret=settings.stripe_webhook_secrets[0] if settings.stripe_webhook_secrets else "",
    )


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API_BASE, assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def shop(router: respx.MockRouter) -> Iterator[StripeShop]:
    made = make_stripe_shop(router)
    yield made
    shutdown(made.container)


@contextlib.contextmanager
def live_sandbox_app(root: Path, **overrides: Any) -> Iterator[tuple[str, Flask]]:
    """(base URL, app) of the embedded layout served on a free loopback port, until exit."""
    database_url = f"sqlite:///{root / 'billing.db'}"
    upgrade(database_url)
    server = make_server("127.0.0.1", 0, app=None, threaded=True)  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{server.server_port}"
    fields: dict[str, Any] = {
        "enabled": True,
        "storage": "sql",
        "database_url": database_url,
        "payment_provider": "sandbox",
        "media_root": str(root / "media"),
        "invoice_renderer": "text",
        "stripe_secret_key": SANDBOX_KEY,
        "admin_token": ADMIN_TOKEN,
        "user_header": USER_HEADER,
        "secret_key": SERVER_SECRET,
        "public_base_url": base,
        "demo_catalog": True,
        **overrides,
    }
    app = create_app(Settings(**fields))
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, app
    finally:
        server.shutdown()
        thread.join(10)
        container: Container = app.extensions["billing.container"]
        shutdown(container)
        container.unwire()

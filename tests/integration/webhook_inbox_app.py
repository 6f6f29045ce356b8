"""The webhook inbox as Stripe meets it: the real HTTP app, SQL storage, Stripe deliveries.

``Inbox`` is the app made by ``create_app`` with ``BILLING_PAYMENT_PROVIDER=stripe`` (a test
secret key and webhook secret) on a SQLite file or a private PostgreSQL schema. Stripe's API is
the respx emulator of ``tests/contract/stripe_emulator.py``, so orders are made by the real
checkout service and events carry their real order and PaymentIntent ids. Events are built from
Stripe's example objects and signed with ``stripe.WebhookSignature.generate_signature_header``
at the provider's clock, which tests move by hand.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import respx
import stripe
from dependency_injector import providers
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from tests.contract.sql_backends import empty_tables, sqlite_copy
from tests.contract.stripe_emulator import API_BASE, StripeEmulator, stripe_event, stripe_fixture
from tests.seller import SELLER_ENV, SELLER_FIELDS
from werkzeug.test import TestResponse

from billing.adapters.invoices.text import TextRenderer
from billing.adapters.memory import FixedClock, MemoryArtifactStore
from billing.domain.catalog import Product
from billing.domain.entitlement import Entitlement
from billing.domain.identity import Caller
from billing.domain.invoice import InvoiceArtifact
from billing.domain.money import Money
from billing.domain.order import Order
from billing.domain.refund import Refund
from billing.domain.webhook import WebhookEvent
from billing.entrypoints.container import Container, build_container, shutdown
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings
from billing.ports.unit_of_work import UnitOfWorkFactory
from billing.services.checkout import CheckoutRequest
from billing.services.orders import CartLine

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
STRIPE_SECRET_KEY = "sk_test_webhook_inbox"
WEBHOOK_SECRET = "whsec_webhook_inbox_tests"
ADMIN_TOKEN = "admin-token-webhook-inbox-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
WEBHOOK_URL = "/billing/webhooks/stripe/"
BUYER = "buyer@example.com"
#: One book and one course: an order of 100.00 EUR.
PRODUCTS = (
    Product("book", "A book", Money(2500, "EUR"), "library:book"),
    Product("course", "A course", Money(7500, "EUR"), "course:stripe"),
)
CART = (CartLine("book"), CartLine("course"))
TOTAL = 10000

Event = dict[str, Any]

#: stripe-python's HTTPXClient hands httpx the form body as ``data=str``; modules apply this.
QUIET_HTTPX = "ignore:Use 'content=<...>':DeprecationWarning"


def settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "enabled": True,
        "storage": "sql",
        "database_url": database_url,
        "payment_provider": "stripe",
        "stripe_secret_key": STRIPE_SECRET_KEY,
        "stripe_webhook_secrets": (WEBHOOK_SECRET,),
        "stripe_max_network_retries": 0,
        "admin_token": ADMIN_TOKEN,
        "secret_key": "server-secret-webhook-inbox-0123456789",
        **SELLER_FIELDS,
        "public_base_url": "https://shop.test",
        **overrides,
    }
    return Settings(**values)


def sign(body: bytes, timestamp: int, secret: str = WEBHOOK_SECRET) -> str:
    header: str = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp
    )
    return header


class Inbox:
    """The app, its Stripe emulator and clock, and readers of what the database holds."""

    def __init__(self, router: respx.MockRouter, database_url: str, engine: Engine | None) -> None:
        self.container: Container = build_container(settings(database_url))
        if engine is not None:  # PostgreSQL: the engine that works in the private schema
            self.container.database_engine.override(providers.Object(engine))
        self.clock = FixedClock(NOW)
        self.container.clock.override(providers.Object(self.clock))
        self.container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
        self.container.renderer.override(providers.Singleton(TextRenderer))
        self.uow_factory: UnitOfWorkFactory = self.container.uow_factory()
        self.app = create_app(container=self.container)
        self.client: FlaskClient = self.app.test_client()
        self.router = router
        self.stripe = StripeEmulator(router, self.clock)
        self._serial = itertools.count(1)
        with self.uow_factory() as uow:
            for product in PRODUCTS:
                uow.catalog.put(product)
            uow.commit()

    def cli_environment(self, media_root: Path) -> dict[str, str]:
        """What an operator's shell holds for the ``billing`` command to reach this database."""
        return {
            "BILLING_DATABASE_URL": str(self.container.settings().database_url),
            "BILLING_STORAGE": "sql",
            "BILLING_PAYMENT_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "BILLING_SECRET_KEY": self.container.settings().secret_key,
            "BILLING_MEDIA_ROOT": str(media_root),
            **SELLER_ENV,
        }

    def close(self) -> None:
        shutdown(self.container)  # the inline relay's thread would outlive the schema
        if not self.container.database_engine.overridden:
            self.container.database_engine().dispose()

    # -- orders, through the services --------------------------------------------------------

    def checkout(self, email: str = BUYER, request_key: str | None = None) -> tuple[str, str]:
        """A pending guest order paid by PaymentIntent: (order id, PaymentIntent id)."""
        request = CheckoutRequest(CART, email=email, request_key=request_key)
        receipt = self.container.checkout().checkout(Caller(), request)
        return receipt.order.id, receipt.payment.id

    # -- Stripe's events ---------------------------------------------------------------------

    def event(self, type_: str, obj: dict[str, Any], *, ago: int = 0) -> Event:
        """A snapshot event carrying ``obj``, created ``ago`` seconds before now."""
        created = int(self.clock.now().timestamp()) - ago
        return stripe_event(type_, obj, created=created, id=f"evt_inbox{next(self._serial):06d}")

    def payment_succeeded(self, payment_id: str, amount: int | None = None) -> Event:
        """The customer paid: the emulator's PaymentIntent succeeds (for ``amount``, if given)."""
        intent = copy.deepcopy(self.stripe.complete(payment_id))
        if amount is not None:
            intent["amount_received"] = amount
        return self.event("payment_intent.succeeded", intent)

    def payment_failed(self, payment_id: str, *, ago: int = 60) -> Event:
        """A declined attempt on the PaymentIntent, from before it succeeded."""
        intent = copy.deepcopy(self.stripe.intents[payment_id])
        intent.update(
            status="requires_payment_method",
            amount_received=0,
            last_payment_error={
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            },
        )
        return self.event("payment_intent.payment_failed", intent, ago=ago)

    def dashboard_refund(self, payment_id: str, amount: int, refund_id: str) -> dict[str, Any]:
        """A refund made in Stripe's dashboard: no metadata of ours, only the PaymentIntent."""
        intent = self.stripe.intents[payment_id]
        return stripe_fixture(
            "refund",
            id=refund_id,
            amount=amount,
            currency=intent["currency"],
            payment_intent=payment_id,
            charge=f"ch_{payment_id}",
            metadata={},
            reason="requested_by_customer",
            status="succeeded",
            created=int(self.clock.now().timestamp()),
        )

    def charge_refunded(self, payment_id: str, refunds: list[dict[str, Any]]) -> Event:
        """``charge.refunded`` for the PaymentIntent's charge, its refund list expanded."""
        intent = self.stripe.intents[payment_id]
        charge = stripe_fixture(
            "charge",
            id=f"ch_{payment_id}",
            amount=intent["amount"],
            amount_captured=intent["amount"],
            amount_refunded=sum(r["amount"] for r in refunds),
            captured=True,
            refunded=sum(r["amount"] for r in refunds) == intent["amount"],
            currency=intent["currency"],
            payment_intent=payment_id,
            metadata={},
            refunds={
                "object": "list",
                "data": refunds,
                "has_more": False,
                "url": f"/v1/charges/ch_{payment_id}/refunds",
            },
        )
        return self.event("charge.refunded", charge)

    # -- deliveries --------------------------------------------------------------------------

    def deliver(
        self,
        event: Event,
        client: FlaskClient | None = None,
        *,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """POST the event as Stripe does: its JSON body signed at the clock's time."""
        body = json.dumps(event).encode()
        at = int(self.clock.now().timestamp()) if timestamp is None else timestamp
        return (client or self.client).post(
            WEBHOOK_URL,
            data=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign(body, at),
                **(headers or {}),
            },
        )

    # -- what the database holds -------------------------------------------------------------

    def order(self, order_id: str) -> Order:
        with self.uow_factory() as uow:
            return uow.orders.get(order_id)

    def webhook_event(self, event_id: str) -> WebhookEvent:
        with self.uow_factory() as uow:
            return uow.webhook_events.get(event_id)

    def refunds(self, order_id: str) -> list[Refund]:
        with self.uow_factory() as uow:
            return uow.refunds.list_for_order(order_id)

    def documents(self, order_id: str) -> list[InvoiceArtifact]:
        with self.uow_factory() as uow:
            return uow.invoices.list_for_order(order_id)

    def all_documents(self) -> list[InvoiceArtifact]:
        with self.uow_factory() as uow:
            return uow.invoices.list_all()

    def entitlements(self, order_id: str) -> list[Entitlement]:
        with self.uow_factory() as uow:
            return uow.entitlements.list_for_order(order_id)


@contextmanager
def stripe_api() -> Iterator[respx.MockRouter]:
    """Stripe's API answered by respx: a request no route serves fails instead of leaving."""
    with respx.mock(base_url=API_BASE, assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


@contextmanager
def sqlite_inbox(directory: Path, template: Path) -> Iterator[Inbox]:
    """An inbox on a fresh copy of the migrated SQLite file ``template``."""
    url = sqlite_copy(template, directory)
    with stripe_api() as router:
        inbox = Inbox(router, url, None)
        try:
            yield inbox
        finally:
            inbox.close()


@contextmanager
def postgres_inbox(postgres_url: str, engine: Engine) -> Iterator[Inbox]:
    """An inbox on the PostgreSQL schema behind ``engine``, every table emptied first."""
    empty_tables(engine)
    with stripe_api() as router:
        inbox = Inbox(router, postgres_url, engine)
        try:
            yield inbox
        finally:
            inbox.close()


def metric(exposition: str, name: str, **labels: str) -> float:
    """The sum of the samples ``name`` whose labels include ``labels`` (0 when none)."""
    wanted = set(labels.items())
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name and wanted <= set(sample.labels.items())
    )

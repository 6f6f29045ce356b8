"""A whole billing service on the in-memory adapters, wired by the real container."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from dependency_injector import providers

from billing.adapters.invoices.text import TextRenderer
from billing.adapters.memory import (
    FakeEvents,
    FakePaymentProvider,
    FixedClock,
    MemoryArtifactStore,
    MemoryUnitOfWorkFactory,
    RecordingMetrics,
    SequentialIds,
)
from billing.domain.catalog import Product
from billing.domain.money import Money
from billing.domain.order import Customer, Order
from billing.domain.payment import PaymentMode
from billing.entrypoints.container import Container, build_container
from billing.entrypoints.settings import Settings
from billing.services.jobs import JobRelay, JobService
from billing.services.orders import CartLine

PRODUCTS = (
    Product("book", "A book", Money(2500, "EUR"), "library:book"),
    Product("course", "A course", Money(7500, "EUR"), "course:stripe"),
    Product("sticker", "A sticker", Money(300, "EUR")),
    Product("manga", "A manga", Money(900, "JPY"), "library:manga"),
    Product("retired", "Retired", Money(100, "EUR"), active=False),
)

GUEST = Customer(email="Guest@Example.com")
USER = Customer(user_id="user-1", email="user@example.com")


@attrs.define
class World:
    container: Container
    clock: FixedClock
    provider: FakePaymentProvider
    events: FakeEvents
    uow_factory: MemoryUnitOfWorkFactory
    metrics: RecordingMetrics
    jobs: JobService
    relay: JobRelay
    store: MemoryArtifactStore

    def new_order(self, customer: Customer = GUEST, *lines: CartLine) -> Order:
        lines = lines or (CartLine("book"), CartLine("course"))
        return self.container.orders().create_order(customer, list(lines)).order

    def pending_order(self, customer: Customer = GUEST, *lines: CartLine) -> tuple[Order, str]:
        order = self.new_order(customer, *lines)
        result = self.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
        return result.order, result.payment.id

    def paid_order(self, customer: Customer = GUEST, *lines: CartLine) -> tuple[Order, str]:
        order, payment_id = self.pending_order(customer, *lines)
        delivery = self.events.payment_succeeded(payment_id)
        self.container.webhooks().receive(delivery.payload, delivery.signature)
        return self.order(order.id), payment_id

    def order(self, order_id: str) -> Order:
        return self.container.orders().get(order_id)


def make_world(settings: Settings) -> World:
    """The whole service on memory adapters, with a fixed clock and sequential ids."""
    container = build_container(settings)
    clock, ids = FixedClock(), SequentialIds()
    container.clock.override(providers.Object(clock))
    container.ids.override(providers.Object(ids))
    container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
    container.renderer.override(providers.Singleton(TextRenderer))
    provider = container.payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    uow_factory = container.uow_factory()
    with uow_factory() as uow:
        for product in PRODUCTS:
            uow.catalog.put(product)
        uow.commit()
    return World(
        container=container,
        clock=clock,
        provider=provider,
        events=FakeEvents(provider),
        uow_factory=uow_factory,
        metrics=container.metrics(),
        jobs=container.job_service(),
        relay=container.job_relay(),
        store=container.artifact_store(),
    )


@pytest.fixture
def world() -> Iterator[World]:
    world = make_world(Settings.in_memory(enabled=True))
    yield world
    world.container.unwire()

"""The services on SQL storage under real concurrency (issue #3's scenarios).

The whole billing service, wired by the real container, with its unit of work on PostgreSQL
(16-20 threads) or on a SQLite file (fewer): refunds racing on one order never exceed what was
paid, one payment event delivered many times at once is applied once, and orders paid
concurrently get consecutive invoice numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest
from dependency_injector import providers
from sqlalchemy import Engine
from tests.contract.sql_backends import empty_tables, postgres_schema

from billing.adapters.invoices.text import TextRenderer
from billing.adapters.memory import FakeEvents, FakePaymentProvider, MemoryArtifactStore
from billing.adapters.sql import SqlUnitOfWorkFactory, make_engine, upgrade
from billing.domain.catalog import Product
from billing.domain.errors import RefundRefused
from billing.domain.invoice import DocumentKind, DocumentNumber
from billing.domain.money import Money
from billing.domain.order import Customer, Order
from billing.domain.payment import PaymentMode
from billing.domain.state import OrderStatus
from billing.entrypoints.container import Container, build_container
from billing.entrypoints.settings import Settings
from billing.ports.unit_of_work import UnitOfWork
from billing.services.entitlements import EntitlementService
from billing.services.orders import CartLine
from billing.services.webhooks import DUPLICATE

BOOK = Product("book", "A book", Money(2500, "EUR"), "library:book")
COURSE = Product("course", "A course", Money(7500, "EUR"), "course:stripe")


@pytest.fixture(scope="module")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url) as engine:
        yield engine


@pytest.fixture(params=["postgres", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        engine: Engine = request.getfixturevalue("postgres_engine")
        empty_tables(engine)
        yield engine
    else:
        url = f"sqlite:///{tmp_path / 'billing.db'}"
        upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


class Shop:
    """The container on SQL storage, the fake provider, and its signed events."""

    def __init__(self, engine: Engine) -> None:
        self.workers = 20 if engine.dialect.name == "postgresql" else 6
        self.uow_factory = SqlUnitOfWorkFactory(engine)
        self.container: Container = build_container(Settings.in_memory(enabled=True))
        self.container.uow_factory.override(providers.Object(self.uow_factory))
        self.container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
        self.container.renderer.override(providers.Singleton(TextRenderer))
        provider = self.container.payment_provider()
        assert isinstance(provider, FakePaymentProvider)
        self.provider = provider
        self.events = FakeEvents(provider)
        with self.uow_factory() as uow:
            uow.catalog.put(BOOK)
            uow.catalog.put(COURSE)
            uow.commit()

    def pending_order(self, n: int = 0) -> tuple[str, str]:
        customer = Customer(email=f"buyer{n}@example.com")
        lines = [CartLine("book"), CartLine("course")]
        order = self.container.orders().create_order(customer, lines).order
        result = self.container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT)
        return order.id, result.payment.id

    def pay(self, payment_id: str) -> str:
        delivery = self.events.payment_succeeded(payment_id)
        return self.container.webhooks().receive(delivery.payload, delivery.signature).outcome


@pytest.fixture
def shop(engine: Engine) -> Iterator[Shop]:
    shop = Shop(engine)
    yield shop
    shop.container.uow_factory.reset_override()


def test_refunds_racing_on_one_order_never_exceed_what_was_paid(shop: Shop) -> None:
    order_id, payment_id = shop.pending_order()
    shop.pay(payment_id)
    refunds = shop.container.refunds()
    tenth = 1000  # the order is 10 000

    def refund(_: int) -> str:
        try:
            refunds.refund(order_id, tenth)
        except RefundRefused:  # exceeds what is left, or the order is already refunded
            return "refused"
        return "accepted"

    with ThreadPoolExecutor(shop.workers) as pool:
        results = list(pool.map(refund, range(shop.workers)))

    accepted = min(10, shop.workers)
    assert results.count("accepted") == accepted
    assert results.count("refused") == shop.workers - accepted
    with shop.uow_factory() as uow:
        stored = uow.refunds.list_for_order(order_id)
        order = uow.orders.get(order_id)
    assert len(stored) == accepted
    assert sum(r.amount for r in stored) == accepted * tenth <= order.amount_paid
    if accepted == 10:
        assert order.status is OrderStatus.REFUNDED


def test_one_payment_event_delivered_at_once_many_times_applies_once(shop: Shop) -> None:
    order_id, payment_id = shop.pending_order()
    delivery = shop.events.payment_succeeded(payment_id)
    webhooks = shop.container.webhooks()

    def deliver(_: int) -> str:
        return webhooks.receive(delivery.payload, delivery.signature).outcome

    with ThreadPoolExecutor(shop.workers) as pool:
        outcomes = list(pool.map(deliver, range(shop.workers)))

    assert sorted(outcomes) == [DUPLICATE] * (shop.workers - 1) + ["processed"]
    with shop.uow_factory() as uow:
        order = uow.orders.get(order_id)
        entitlements = uow.entitlements.list_for_order(order_id)
        invoices = uow.invoices.list_for_order(order_id)
    assert order.status is OrderStatus.PAID
    assert [t.to_status for t in order.transitions].count(OrderStatus.PAID) == 1
    assert sorted(e.key for e in entitlements) == ["course:stripe", "library:book"]
    assert len(invoices) == 1


def test_orders_paid_concurrently_get_consecutive_invoice_numbers(shop: Shop) -> None:
    count = 50 if shop.workers > 10 else 12
    payments = [shop.pending_order(n)[1] for n in range(count)]

    with ThreadPoolExecutor(shop.workers) as pool:
        outcomes = list(pool.map(shop.pay, payments))

    assert outcomes == ["processed"] * count
    with shop.uow_factory() as uow:
        invoices = [a for a in uow.invoices.list_all() if a.kind is DocumentKind.INVOICE]
    numbers = [DocumentNumber.parse(a.number) for a in invoices]
    assert len({a.order_id for a in invoices}) == count
    assert sorted(n.sequence for n in numbers) == list(range(1, count + 1))
    assert len({(n.series, n.year) for n in numbers}) == 1


class _PausingOrders:
    """An order repository that, before its first ``save``, lets the test run something."""

    def __init__(self, orders: Any, before_first_save: threading.Event, resume: threading.Event):
        self._orders = orders
        self._before_first_save = before_first_save
        self._resume = resume

    def save(self, order: Order) -> None:
        if not self._before_first_save.is_set():
            self._before_first_save.set()
            # Forced pause: on code without the lock the payment commits meanwhile; with the
            # lock it waits for this transaction, so the pause ends by its timeout instead.
            self._resume.wait(PAUSE_SECONDS)
        self._orders.save(order)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._orders, name)


class _PausingUnitOfWork:
    def __init__(
        self, uow: UnitOfWork, before_first_save: threading.Event, resume: threading.Event
    ):
        self._uow = uow
        self._before_first_save = before_first_save
        self._resume = resume

    def __enter__(self) -> Self:
        self._uow.__enter__()
        self.orders = _PausingOrders(self._uow.orders, self._before_first_save, self._resume)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._uow.__exit__(exc_type, exc, tb)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)


class PauseBeforeFirstOrderWrite:
    """A unit-of-work factory whose units pause between their reads and their first order
    write until ``resume`` is set (or ``PAUSE_SECONDS`` pass)."""

    def __init__(self, factory: SqlUnitOfWorkFactory) -> None:
        self._factory = factory
        self.before_first_save = threading.Event()
        self.resume = threading.Event()

    def __call__(self) -> _PausingUnitOfWork:
        return _PausingUnitOfWork(self._factory(), self.before_first_save, self.resume)


PAUSE_SECONDS = 2.0


def test_a_merge_paused_before_its_write_cannot_undo_a_payment_committed_meanwhile(
    shop: Shop,
) -> None:
    order_id, payment_id = shop.pending_order()
    paused = PauseBeforeFirstOrderWrite(shop.uow_factory)
    merges = EntitlementService(paused, shop.container.clock(), shop.container.ids())

    def pay_during_the_merge() -> str:
        assert paused.before_first_save.wait(10), "the merge never reached its write"
        try:
            return shop.pay(payment_id)  # with the lock: waits for the merge to commit
        finally:
            paused.resume.set()

    with ThreadPoolExecutor(2) as pool:
        payment = pool.submit(pay_during_the_merge)
        merged = merges.merge_guest("buyer0@example.com", "user-9")
        assert payment.result(30) == "processed"

    assert merged.orders == 1
    with shop.uow_factory() as uow:
        order = uow.orders.get(order_id)
        entitlements = uow.entitlements.list_for_order(order_id)
        invoices = uow.invoices.list_for_order(order_id)
    assert order.status is OrderStatus.PAID
    assert order.amount_paid == order.total.amount == 10_000
    assert [t.to_status for t in order.transitions].count(OrderStatus.PAID) == 1
    assert [i.kind for i in invoices] == [DocumentKind.INVOICE]
    assert order.customer == Customer(user_id="user-9", email="buyer0@example.com")
    assert order.access_token_sha256 is None
    assert sorted(e.key for e in entitlements) == ["course:stripe", "library:book"]
    assert all(e.active and e.customer.user_id == "user-9" for e in entitlements)

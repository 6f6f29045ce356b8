"""PostgreSQL failing under the app: unreachable, serialization failures, deadlocks.

The database is made unreachable through a TCP proxy on loopback that this test starts and
stops (the shared PostgreSQL server itself is never touched): a webhook then answers 503 and
writes nothing, and Stripe's retry after recovery is applied once; a checkout answers 503 with
a code and creates no payment. Serialization failures and deadlocks are forced on a real
webhook delivery by a second connection acting at the right statement; the use case runs
again and the outcome is exactly one payment and one invoice number, without a gap.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url

from billing.adapters.sql import SqlUnitOfWorkFactory, make_engine
from billing.adapters.sql import tables as t
from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus
from billing.entrypoints.container import shutdown
from tests.contract.sql_backends import postgres_schema

from .conftest import QUIET_HTTPX, StripeShop, make_stripe_shop

pytestmark = QUIET_HTTPX


class TcpProxy:
    """Forwards a loopback port to the database; ``stop`` refuses new connections and cuts
    the open ones, ``start`` serves again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.05)
        self._listener = listener
        self._running.set()
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._running.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for sock in (source, sink):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[tuple[Engine, str]]:
    """A migrated private schema: its direct engine and the schema's name."""
    with postgres_schema(postgres_url) as engine:
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        yield engine, schema


@pytest.fixture
def direct(database: tuple[Engine, str]) -> Engine:
    """The schema, emptied of the previous test's rows."""
    engine, _ = database
    with engine.begin() as connection:
        names = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        tables = ", ".join(f'"{name}"' for name in names if name != "alembic_version")
        connection.execute(text(f"TRUNCATE {tables}"))
    return engine


def _count(engine: Engine, table: str) -> int:
    """Rows in one of our tables, named as in ``billing.adapters.sql.tables``."""
    with engine.connect() as connection:
        statement = select(func.count()).select_from(getattr(t, table))
        return int(connection.execute(statement).scalar_one())


# -- the database unreachable ----------------------------------------------------------------


@pytest.fixture
def behind_proxy(
    router: respx.MockRouter,
    postgres_url: str,
    database: tuple[Engine, str],
    direct: Engine,
) -> Iterator[tuple[StripeShop, TcpProxy]]:
    url = make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    proxied = make_engine(
        url.set(host="127.0.0.1", port=proxy.port),
        connect_args={"options": f"-csearch_path={database[1]}", "connect_timeout": 3},
    )
    shop = make_stripe_shop(router, uow_factory=SqlUnitOfWorkFactory(proxied))
    yield shop, proxy
    shutdown(shop.container)  # the inline relay's thread would outlive the proxy
    proxy.stop()
    proxied.dispose()


def test_a_webhook_while_the_database_is_unreachable_answers_503_and_writes_nothing(
    behind_proxy: tuple[StripeShop, TcpProxy], direct: Engine
) -> None:
    shop, proxy = behind_proxy
    order_id, _, intent_id = shop.guest_order()
    event = shop.paid_event(intent_id)
    proxy.stop()

    down = shop.deliver(event)

    assert down.status_code == 503
    assert down.json is not None
    assert (down.json["code"], down.json["retryable"]) == ("storage_unavailable", True)
    assert _count(direct, "webhook_events") == 0
    assert (_count(direct, "invoice_artifacts"), _count(direct, "entitlements")) == (0, 0)

    proxy.start()
    shop.clock.advance(minutes=1)  # Stripe retries the same event, signed again
    again = shop.deliver(event)
    once_more = shop.deliver(event)

    assert (again.status_code, again.json["outcome"]) == (200, "processed")  # type: ignore[index]
    assert (once_more.status_code, once_more.json["outcome"]) == (200, "duplicate")  # type: ignore[index]
    with SqlUnitOfWorkFactory(direct)() as uow:
        order = uow.orders.get(order_id)
        [stored] = uow.webhook_events.list()
        [invoice] = uow.invoices.list_for_order(order_id)
    assert order.status is OrderStatus.PAID
    assert [t.to_status for t in order.transitions].count(OrderStatus.PAID) == 1
    assert (stored.id, stored.status) == (event["id"], WebhookStatus.PROCESSED)
    assert invoice.number == "INV-2026-000001"


def test_a_checkout_while_the_database_is_unreachable_answers_503_and_creates_no_payment(
    behind_proxy: tuple[StripeShop, TcpProxy], direct: Engine
) -> None:
    shop, proxy = behind_proxy
    proxy.stop()
    key = "d6a4e0b2-95c1-4f3e-8a7d-2c0b9e4f1a63"  # a guest's key is a secret: a UUID4

    down = shop.checkout(key=key, email="guest@example.com")

    assert down.status_code == 503
    assert down.json is not None
    assert (down.json["code"], down.json["retryable"]) == ("storage_unavailable", True)
    assert shop.stripe.intents == {}
    assert shop.intent_requests() == []
    assert (_count(direct, "orders"), _count(direct, "payment_attempts")) == (0, 0)

    proxy.start()
    up = shop.checkout(key=key, email="guest@example.com")

    assert up.status_code == 201, up.json
    assert len(shop.stripe.intents) == 1
    assert (_count(direct, "orders"), _count(direct, "payment_attempts")) == (1, 1)


# -- conflicts forced at a chosen statement ---------------------------------------------------


def _is_order_lock(statement: str) -> bool:
    return "FOR UPDATE" in statement and "orders" in statement


def test_a_serialization_failure_on_a_webhook_is_run_again_with_one_outcome(
    router: respx.MockRouter, direct: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    repeatable = direct.execution_options(isolation_level="REPEATABLE READ")
    shop = make_stripe_shop(router, uow_factory=SqlUnitOfWorkFactory(repeatable))
    order_id, _, intent_id = shop.guest_order()
    event_body = shop.paid_event(intent_id)
    fired: list[str] = []

    def concurrent_update(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        """After our snapshot is taken (by the transaction's first statement, the journal's
        INSERT), another transaction commits a change to the order."""
        if not fired and statement.startswith("INSERT INTO billing_webhook_events"):
            fired.append(statement)
            with direct.begin() as other:
                touch = t.orders.update().where(t.orders.c.id == order_id)
                other.execute(touch.values(updated_at=t.orders.c.updated_at))

    event.listen(direct, "after_cursor_execute", concurrent_update)
    try:
        with caplog.at_level(logging.INFO, logger="billing.retry"):
            answer = shop.deliver(event_body)
    finally:
        event.remove(direct, "after_cursor_execute", concurrent_update)
        shop.container.unwire()

    assert (answer.status_code, answer.json["outcome"]) == (200, "processed")  # type: ignore[index]
    assert len(fired) == 1
    conflicts = [r for r in caplog.records if "storage conflict" in r.getMessage()]
    assert len(conflicts) == 1
    with SqlUnitOfWorkFactory(direct)() as uow:
        order = uow.orders.get(order_id)
        [invoice] = uow.invoices.list_for_order(order_id)
        [stored] = uow.webhook_events.list()
    assert order.status is OrderStatus.PAID
    assert [t.to_status for t in order.transitions].count(OrderStatus.PAID) == 1
    assert invoice.number == "INV-2026-000001"
    assert stored.status is WebhookStatus.PROCESSED
    assert _count(direct, "entitlements") == 2


def test_a_deadlock_on_a_webhook_is_run_again_and_no_invoice_number_is_lost(
    router: respx.MockRouter, direct: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    shop = make_stripe_shop(router, uow_factory=SqlUnitOfWorkFactory(direct))
    order_id, _, intent_id = shop.guest_order()
    event_body = shop.paid_event(intent_id)
    holding = threading.Event()
    fired: list[threading.Thread] = []

    def other_transaction() -> None:
        """Holds the invoice counter our transaction needs next, then wants our order."""
        with direct.connect() as other:
            other.execute(text("SET deadlock_timeout = '10s'"))  # ours (1 s) detects it first
            counter = t.invoice_sequences.insert()
            other.execute(counter.values(series="INV", year=2026, last_sequence=0))
            holding.set()
            other.execute(select(t.orders.c.id).where(t.orders.c.id == order_id).with_for_update())
            other.rollback()

    def deadlock(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _is_order_lock(statement) and not fired:
            thread = threading.Thread(target=other_transaction, daemon=True)
            fired.append(thread)
            thread.start()
            assert holding.wait(5)

    event.listen(direct, "after_cursor_execute", deadlock)
    try:
        with caplog.at_level(logging.INFO, logger="billing.retry"):
            answer = shop.deliver(event_body)
    finally:
        event.remove(direct, "after_cursor_execute", deadlock)
        shop.container.unwire()
    fired[0].join(10)

    assert (answer.status_code, answer.json["outcome"]) == (200, "processed")  # type: ignore[index]
    conflicts = [r for r in caplog.records if "storage conflict" in r.getMessage()]
    assert len(conflicts) == 1
    with SqlUnitOfWorkFactory(direct)() as uow:
        order = uow.orders.get(order_id)
        [invoice] = uow.invoices.list_for_order(order_id)
    assert order.status is OrderStatus.PAID
    assert invoice.number == "INV-2026-000001"
    assert _count(direct, "webhook_events") == 1

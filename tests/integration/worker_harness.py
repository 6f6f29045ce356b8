"""A batch of paid orders whose invoice jobs wait on a real broker, and ``billing worker``
subprocesses to run them: what the Redis and RabbitMQ worker tests share.

The database is a private PostgreSQL schema (reached by the workers through the URL's
``options=-csearch_path=…``); payments go through the fake provider's signed events, so each
order is paid by the webhook path and its invoice is numbered in that transaction while the
rendering job is only written to the outbox and sent to the broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
from dependency_injector import providers
from sqlalchemy import Engine, func, select, text
from tests.contract.sql_backends import postgres_schema

from billing.adapters.memory import FakeEvents, FakePaymentProvider
from billing.adapters.sql import tables as t
from billing.domain.order import Customer
from billing.domain.outbox import OutboxStatus
from billing.domain.payment import PaymentMode
from billing.entrypoints.container import Container, build_container, shutdown
from billing.entrypoints.demo import load_demo_catalog
from billing.entrypoints.settings import Settings
from billing.services.orders import CartLine

CLI = "from billing.entrypoints.cli import main; main()"


def url_in_schema(engine: Engine) -> str:
    """The engine's database URL, with its schema as the connections' ``search_path``."""
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@attrs.frozen
class Shop:
    """The test's own view of the installation the workers serve."""

    engine: Engine
    container: Container
    env: dict[str, str]
    media: Path

    def pay_orders(self, count: int) -> list[str]:
        """``count`` guest orders paid through signed webhook events; their ids."""
        return pay_orders(self.container, count)

    @contextmanager
    def elsewhere(self, **settings: str) -> Iterator[Container]:
        """Another process's container with other settings, on the same database and
        (fake) payment provider."""
        container = build_container(Settings.from_env({**self.env, **settings}))
        container.payment_provider.override(providers.Object(self.container.payment_provider()))
        try:
            yield container
        finally:
            close(container)

    def rendered(self) -> int:
        """Invoices whose files are recorded (one statement: cheap enough to poll)."""
        c = t.invoice_artifacts.c
        statement = select(func.count()).where(c.rendered_at.is_not(None))
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())

    def jobs(self) -> dict[str, int]:
        """Outbox jobs by status."""
        c = t.outbox_jobs.c
        statement = select(c.status, func.count()).group_by(c.status)
        with self.engine.connect() as connection:
            return {status: int(n) for status, n in connection.execute(statement)}

    def documents_by_order(self, order_ids: list[str]) -> dict[str, list[str]]:
        """Each order's document numbers."""
        invoices = self.container.invoices()
        return {o: [d.number for d in invoices.documents(o)] for o in order_ids}

    def pdf_files(self) -> list[str]:
        """The PDF files in the media root (temporary files of a killed writer excluded)."""
        return sorted(p.stem for p in self.media.rglob("*.pdf") if not p.name.startswith("."))

    def worker(self, processes: int = 1, threads: int = 2) -> subprocess.Popen[bytes]:
        """``billing worker`` on this shop's settings, in a process group of its own (so that
        ``kill`` reaches the worker processes a supervisor started)."""
        argv = [sys.executable, "-c", CLI, "worker", "--processes", str(processes)]
        argv += ["--threads", str(threads), "--relay-every", "0.2"]
        env = {**os.environ, **self.env}
        return subprocess.Popen(argv, env=env, start_new_session=True)  # noqa: S603 - ours


def pay_orders(container: Container, count: int) -> list[str]:
    """``count`` guest orders paid through signed webhook events; their ids."""
    provider = container.payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    events = FakeEvents(provider)
    order_ids = []
    for n in range(count):
        customer = Customer(email=f"buyer{n}@example.com")
        order = container.orders().create_order(customer, [CartLine("ebook-python")]).order
        payment = container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT).payment
        delivery = events.payment_succeeded(payment.id)
        container.webhooks().receive(delivery.payload, delivery.signature)
        order_ids.append(order.id)
    return order_ids


def close(container: Container) -> None:
    """Close the broker's connections and the database pool."""
    shutdown(container)
    container.database_engine().dispose()


@contextmanager
def shop_on_broker(
    postgres_url: str, media: Path, broker_url: str, namespace: str, **settings: str
) -> Iterator[Shop]:
    """A migrated private schema, the demo catalog, and jobs sent to ``broker_url``."""
    with postgres_schema(postgres_url) as engine:
        env = {
            "BILLING_DATABASE_URL": url_in_schema(engine),
            "BILLING_TASK_BROKER": broker_url,
            "BILLING_TASK_NAMESPACE": namespace,
            "BILLING_MEDIA_ROOT": str(media),
            "BILLING_PAYMENT_PROVIDER": "fake",
            "BILLING_SECRET_KEY": "server-secret-worker-tests",  # else ./var/secret_key is made
            **settings,
        }
        container = build_container(Settings.from_env(env))
        load_demo_catalog(container)
        try:
            yield Shop(engine, container, env, media)
        finally:
            close(container)


def wait_until(what: str, check: Callable[[], bool], timeout: float) -> None:
    """Poll ``check`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout:g}s")
        time.sleep(0.1)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the worker and every process it started, as when its host dies."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextmanager
def running(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """Stop the worker at the end (SIGTERM, then SIGKILL if it does not stop)."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def kill_midway_and_finish(shop: Shop, total: int, processes: int = 1) -> int:
    """Run a worker until half the invoices are rendered, SIGKILL it, start another and wait
    until every job is done; how many were rendered when the first was killed."""
    with running(shop.worker(processes)) as first:
        wait_until("half the invoices", lambda: shop.rendered() >= total // 2, timeout=90)
        kill(first)
    rendered_at_kill = shop.rendered()
    with running(shop.worker(processes)):
        wait_until("every invoice", lambda: shop.rendered() == total, timeout=90)
        all_done = {str(OutboxStatus.DONE): total}
        wait_until("every job done", lambda: shop.jobs() == all_done, timeout=30)
    return rendered_at_kill


def assert_each_invoiced_once(shop: Shop, order_ids: list[str]) -> None:
    """One invoice per order, numbered 1..N without gaps, its files written once under that
    number and matching the checksums recorded with it."""
    documents = shop.documents_by_order(order_ids)
    assert all(len(numbers) == 1 for numbers in documents.values()), documents
    numbers = sorted(n for numbers in documents.values() for n in numbers)
    year = shop.container.clock().now().year
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, len(order_ids) + 1)]
    assert shop.pdf_files() == numbers
    assert shop.container.invoices().verify() == []

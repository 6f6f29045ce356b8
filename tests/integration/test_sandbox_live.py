"""The sandbox provider on the real app, served by a WSGI server thread on a loopback port, with
its SQL store beside ours (SQLite file or a private PostgreSQL schema) and its deliverer POSTing
signed events over HTTP to the app's own webhook endpoint, from its worker thread.

- A guest's whole life: JSON checkout → the hosted page with 4242 → PAID with an invoice → an
  admin refund → REFUNDED; the declined and 3-D Secure cards as Stripe's test mode has them.
- Rehearsal: 50 orders with every delivery duplicated, shuffled, held back, and 30 % of the
  attempts dropped: every order PAID once, the journal holds exactly the sandbox's events, and
  the invoices are numbered 1 to 50 without a gap.
- Reconciliation: events whose deliveries were all dropped are found in the sandbox's event
  log, applied once, and a second run (or their late delivery) changes nothing.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import Engine
from tests.contract.sql_backends import postgres_schema
from werkzeug.serving import BaseWSGIServer, make_server

from billing.adapters.sandbox import (
    DeliveryPolicy,
    SandboxPaymentProvider,
    WebhookDeliverer,
    WebhookSigner,
    cards,
)
from billing.adapters.sql import make_engine, upgrade
from billing.adapters.tasks.thread_queue import ThreadTaskQueue
from billing.domain.invoice import DocumentKind, DocumentNumber
from billing.domain.state import OrderStatus
from billing.domain.webhook import SETTLED
from billing.entrypoints.container import Container, build_container
from billing.entrypoints.demo import load_demo_catalog
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings
from billing.services.reconciliation import DriftKind

ADMIN_TOKEN = "admin-token-sandbox-live-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
WEBHOOK_PATH = "/billing/webhooks/stripe/"
SKU = "ebook-python"
#: Fast retries: a dropped attempt is tried again within milliseconds, not seconds.
QUICK = DeliveryPolicy(attempts=5, base=0.001, factor=2.0, cap=0.01, timeout=10.0)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@attrs.define
class Delivery:
    event_id: str
    status: int


@attrs.define
class LiveApp:
    base_url: str
    container: Container
    server: BaseWSGIServer
    thread: threading.Thread
    deliveries: list[Delivery]

    @property
    def sandbox(self) -> SandboxPaymentProvider:
        provider = self.container.payment_provider()
        assert isinstance(provider, SandboxPaymentProvider)
        return provider

    @property
    def deliverer(self) -> WebhookDeliverer:
        deliverer: WebhookDeliverer = self.container.sandbox_deliverer()
        return deliverer

    def settle(self) -> None:
        """Wait for the worker thread's deliveries, then send what it left pending (what its
        sweep would do 30 s later) until nothing is."""
        tasks = self.container.sandbox_tasks()
        assert isinstance(tasks, ThreadTaskQueue)
        tasks.join()
        for _ in range(20):
            if not self.deliverer.deliver_pending():
                return
        raise AssertionError("sandbox events still undelivered")

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        tasks = self.container.sandbox_tasks()
        assert isinstance(tasks, ThreadTaskQueue)
        tasks.stop()  # no sweep outlives the test's database
        self.container.unwire()


def recording(app: Callable[..., Any], deliveries: list[Delivery]) -> Callable[..., Any]:
    """WSGI middleware noting each webhook delivery: the event id and the status answered."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["PATH_INFO"] != WEBHOOK_PATH:
            return app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)

        def noting(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            deliveries.append(Delivery(json.loads(body)["id"], int(status.split()[0])))
            return start_response(status, headers, *rest)

        return app(environ, noting)

    return wrapped


def start(engine: Engine, media: Path, **overrides: Any) -> LiveApp:
    holder: dict[str, Callable[..., Any]] = {}
    server = make_server(
        "127.0.0.1", 0, lambda environ, respond: holder["app"](environ, respond), threaded=True
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    settings = Settings(
        **{
            "enabled": True,
            "storage": "sql",
            "database_url": engine.url.render_as_string(hide_password=False),
            "payment_provider": "sandbox",
            "media_root": str(media),
            "admin_token": ADMIN_TOKEN,
            "secret_key": "server-secret-sandbox-live",
            "public_base_url": base_url,  # the sandbox delivers to {base_url}/billing/webhooks/
            **overrides,
        }
    )
    container = build_container(settings)
    container.database_engine.override(providers.Object(engine))  # PostgreSQL: its schema
    container.sandbox_deliverer.add_kwargs(policy=QUICK)
    load_demo_catalog(container)
    deliveries: list[Delivery] = []
    holder["app"] = recording(create_app(container=container), deliveries)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveApp(base_url, container, server, thread, deliveries)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'billing.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_engine")
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as engine:
        yield engine


def wait_for(what: str, check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.02)


def checkout(client: httpx.Client, mode: str, email: str = "guest@example.com") -> dict[str, Any]:
    answer = client.post(
        "/billing/checkout/", json={"items": [{"sku": SKU}], "email": email, "mode": mode}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def order_of(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.get(
        f"/billing/orders/{body['order']['id']}", headers={"X-Order-Token": body["order_token"]}
    )
    assert answer.status_code == 200, answer.text
    order: dict[str, Any] = answer.json()
    return order


def status_of(client: httpx.Client, body: dict[str, Any]) -> str:
    status: str = order_of(client, body)["status"]
    return status


def invoice_links(client: httpx.Client, body: dict[str, Any]) -> dict[str, str]:
    documents = order_of(client, body)["documents"]
    assert [d["kind"] for d in documents] in ([], ["invoice"])
    links: dict[str, str] = documents[0]["links"] if documents else {}
    return links


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))


# -- a guest's whole life -----------------------------------------------------------------------


def test_a_guest_pays_on_the_hosted_page_is_invoiced_then_refunded_over_http(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    live = start(sqlite_engine, tmp_path / "media")
    try:
        with httpx.Client(base_url=live.base_url, timeout=30) as client:
            body = checkout(client, "checkout_session")
            url = body["payment"]["checkout_url"]
            assert url.startswith(f"{live.base_url}/billing/sandbox/checkout/cs_test_")
            shown = client.get(url)
            assert shown.status_code == 200

            paid = client.post(
                url, data={**hidden_fields(shown.text), "action": "pay", "card": cards.SUCCEEDS}
            )

            assert paid.status_code == 303
            assert paid.headers["Location"].startswith(f"{live.base_url}/billing/success/")
            wait_for("the order to be paid", lambda: status_of(client, body) == "paid")
            wait_for("the invoice's files", lambda: "pdf" in invoice_links(client, body))
            invoice = client.get(
                invoice_links(client, body)["pdf"], headers={"X-Order-Token": body["order_token"]}
            )
            assert invoice.status_code == 200, invoice.text
            assert invoice.content.startswith(b"%PDF")

            refunded = client.post(
                f"/billing/orders/{body['order']['id']}/refunds",
                json={"reason": "requested_by_customer"},
                headers=ADMIN,
            )

            assert refunded.status_code in (200, 201), refunded.text
            wait_for("the order to be refunded", lambda: status_of(client, body) == "refunded")
        live.settle()
        sent = live.sandbox.list_events(EPOCH)
        received = {d.event_id for d in live.deliveries if d.status == 200}
        assert {"checkout.session.completed", "refund.created"} <= {e.type for e in sent}
        assert received == {e.id for e in sent}  # every event reached the endpoint, signed
        assert live.sandbox.undelivered_events() == []
    finally:
        live.stop()


def test_declined_and_3d_secure_cards_over_http(sqlite_engine: Engine, tmp_path: Path) -> None:
    live = start(sqlite_engine, tmp_path / "media", invoice_renderer="text")
    try:
        with httpx.Client(base_url=live.base_url, timeout=30) as client:
            body = checkout(client, "payment_intent")
            payment_id = body["payment"]["id"]

            declined = client.post(
                "/billing/sandbox/api/pay",
                json={"payment_id": payment_id, "card": cards.DECLINED},
                headers=ADMIN,
            )
            live.settle()

            assert declined.status_code == 402
            assert declined.json()["details"]["decline_code"] == "generic_decline"
            assert status_of(client, body) == "pending_payment"

            page = client.get(body["payment"]["checkout_url"])  # with its client secret
            challenged = client.post(
                body["payment"]["checkout_url"],
                data={
                    **hidden_fields(page.text),
                    "action": "pay",
                    "card": cards.REQUIRES_AUTHENTICATION,
                },
            )
            live.settle()

            assert challenged.status_code == 200
            assert 'value="authenticate"' in challenged.text
            assert status_of(client, body) == "pending_payment"

            done = client.post(
                body["payment"]["checkout_url"],
                data={**hidden_fields(challenged.text), "action": "authenticate"},
            )

            assert done.status_code == 200
            assert 'id="paid"' in done.text
            wait_for("the order to be paid", lambda: status_of(client, body) == "paid")
    finally:
        live.stop()


# -- rehearsal: Stripe at its worst -------------------------------------------------------------


def test_fifty_orders_survive_duplicated_shuffled_and_dropped_deliveries(
    engine: Engine, tmp_path: Path
) -> None:
    live = start(
        engine,
        tmp_path / "media",
        invoice_renderer="text",
        sandbox_duplicate_deliveries=True,
        sandbox_shuffle_deliveries=True,
        sandbox_delivery_delay_ms=4,
        sandbox_failure_percent=30,
    )
    try:
        with httpx.Client(base_url=live.base_url, timeout=30) as client:
            bodies = [
                checkout(client, mode, f"guest{n}@example.com")
                for n, mode in enumerate(["checkout_session", "payment_intent"] * 25)
            ]
            for body in bodies:
                paid = client.post(
                    "/billing/sandbox/api/pay",
                    json={"payment_id": body["payment"]["id"], "card": cards.SUCCEEDS},
                    headers=ADMIN,
                )
                assert paid.status_code == 200, paid.text
        live.settle()
        with httpx.Client(base_url=live.base_url, timeout=30) as client:
            wait_for(
                "every order paid", lambda: all(status_of(client, b) == "paid" for b in bodies)
            )

        order_ids = [body["order"]["id"] for body in bodies]
        created = list(reversed(live.sandbox.list_events(EPOCH)))
        assert len(created) == 75  # 50 payment_intent.succeeded, 25 checkout.session.completed
        with live.container.uow_factory()() as uow:
            orders = [uow.orders.get(order_id) for order_id in order_ids]
            journal = uow.webhook_events.list(limit=1000)
            invoices = [a for a in uow.invoices.list_all() if a.kind is DocumentKind.INVOICE]
        for order in orders:
            assert order.status is OrderStatus.PAID
            assert [t.to_status for t in order.transitions].count(OrderStatus.PAID) == 1
            assert order.amount_paid == order.total.amount
        assert {e.id for e in journal} == {e.id for e in created}  # none lost, none made up
        assert all(e.status in SETTLED for e in journal)
        assert sorted(DocumentNumber.parse(a.number).sequence for a in invoices) == list(
            range(1, 51)
        )
        assert sorted(a.order_id for a in invoices) == sorted(order_ids)

        # The rehearsal did what it says: attempts were dropped and retried, delivered events
        # were sent again (a duplicate is dropped 30 % of the time too), and they did not
        # arrive in the order they were made.
        stored = [live.sandbox.event(e.id) for e in created]
        assert all(e.delivered for e in stored)
        assert any(e.attempts > 1 for e in stored)
        accepted = [d.event_id for d in live.deliveries if d.status == 200]
        assert set(accepted) == {e.id for e in created}
        assert sum(accepted.count(e.id) >= 2 for e in created) > len(created) // 2
        first_arrivals = list(dict.fromkeys(accepted))
        assert first_arrivals != [e.id for e in created]
    finally:
        live.stop()


# -- reconciliation: the sandbox's event log against the journal --------------------------------


def snapshot(live: LiveApp, order_ids: Iterable[str]) -> tuple[object, ...]:
    with live.container.uow_factory()() as uow:
        return (
            [attrs.asdict(uow.orders.get(order_id)) for order_id in order_ids],
            sorted(attrs.asdict(a)["number"] for a in uow.invoices.list_all()),
            sorted((e.id, str(e.status)) for e in uow.webhook_events.list(limit=1000)),
            [attrs.asdict(r) for o in order_ids for r in uow.refunds.list_for_order(o)],
        )


def test_events_whose_deliveries_were_dropped_are_reconciled_once(
    engine: Engine, tmp_path: Path
) -> None:
    live = start(
        engine, tmp_path / "media", invoice_renderer="text", sandbox_failure_percent=100
    )  # every delivery attempt dropped: nothing reaches the endpoint
    try:
        with httpx.Client(base_url=live.base_url, timeout=30) as client:
            session = checkout(client, "checkout_session", "first@example.com")
            intent = checkout(client, "payment_intent", "second@example.com")
            for body in (session, intent):
                client.post(
                    "/billing/sandbox/api/pay",
                    json={"payment_id": body["payment"]["id"], "card": cards.SUCCEEDS},
                    headers=ADMIN,
                )
            live.container.sandbox_tasks().join()
            order_ids = [session["order"]["id"], intent["order"]["id"]]
            assert [status_of(client, b) for b in (session, intent)] == ["pending_payment"] * 2
            assert live.deliveries == []
            missed = {e.id for e in live.sandbox.undelivered_events()}
            reconciliation = live.container.reconciliation()

            found = reconciliation.reconcile(timedelta(hours=1))

            assert {d.event_id for d in found.drift if d.kind is DriftKind.MISSED_EVENT} == missed
            assert {d.order_id for d in found.drift if d.kind is DriftKind.UNPAID_ORDER} == set(
                order_ids
            )

            applied = reconciliation.reconcile(timedelta(hours=1), apply=True)

            assert {o.event_id for o in applied.applied} == missed
            assert applied.clean
            assert [status_of(client, b) for b in (session, intent)] == ["paid", "paid"]
            settled = snapshot(live, order_ids)
            assert len(settled[1]) == 2  # one invoice each

            again = reconciliation.reconcile(timedelta(hours=1), apply=True)

            assert (again.drift, again.applied, again.remaining) == ((), (), ())
            assert snapshot(live, order_ids) == settled

            # The deliveries get through at last: duplicates, and nothing moves.
            late = WebhookDeliverer(
                live.container.sandbox_store(),
                WebhookSigner(live.container.sandbox_secrets()[0], live.container.clock()),
                live.deliverer.url,
                live.container.clock(),
                policy=QUICK,
            )

            assert late.deliver_pending() == []
            assert sorted(d.event_id for d in live.deliveries if d.status == 200) == sorted(missed)
            assert snapshot(live, order_ids) == settled
    finally:
        live.stop()

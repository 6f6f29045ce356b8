"""``billing run-all`` against the real app on a loopback port: the sandbox provider, a SQLite
file, inline invoice rendering, and the sandbox delivering its events to the app's own webhook
endpoint over HTTP. Green as shipped, at ``/billing``, at the root and mounted in a host's
app at ``/shop/billing``; red, naming the route, when one route is broken; and with
``BILLING_ENABLED=false`` no flow moves and every table keeps its rows (the README's rollback).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from dependency_injector import providers
from flask import Flask
from sqlalchemy import MetaData, create_engine, select
from werkzeug.serving import BaseWSGIServer, make_server

from billing import Billing
from billing.adapters.metrics import PrometheusMetrics
from billing.adapters.sql import upgrade
from billing.entrypoints.cli import main
from billing.entrypoints.container import Container, build_container
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.ops.results import make_client
from billing.entrypoints.ops.run_all import run_all
from billing.entrypoints.ops.smoke import TEST_CARD
from billing.entrypoints.settings import Settings

ADMIN_TOKEN = "admin-token-run-all-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@attrs.define
class LiveApp:
    base_url: str
    container: Container
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.container.unwire()


def in_host(container: Container) -> Flask:
    """A host's own app with a page of its own, billing mounted in it at its ``url_prefix``."""
    host = Flask("host")
    host.secret_key = "host-secret-run-all"
    host.add_url_rule("/", "home", lambda: '<a href="/shop/billing/">Visit the shop</a>')
    Billing(container=container).init_app(host)
    return host


def start(database_url: str, media: Path, *, host: bool = False, **overrides: Any) -> LiveApp:
    """The real app on 127.0.0.1 (a free port), its settings built as the environment would;
    ``host``: billing mounted in a host's app (``in_host``) rather than its own."""
    holder: dict[str, Callable[..., Any]] = {}
    server = make_server(
        "127.0.0.1",
        0,
        lambda environ, start_response: holder["app"](environ, start_response),
        threaded=True,
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    settings = Settings(
        **{
            "enabled": True,
            "storage": "sql",
            "database_url": database_url,
            "payment_provider": "sandbox",
            "media_root": str(media),
            "admin_token": ADMIN_TOKEN,
            "secret_key": "server-secret-run-all",
            "public_base_url": base_url,  # the sandbox delivers to {base_url}/billing/webhooks/
            "demo_catalog": True,
            **overrides,
        }
    )
    container = build_container(settings)
    holder["app"] = in_host(container) if host else create_app(container=container)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveApp(base_url, container, server, thread)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    upgrade(url)
    return url


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[LiveApp]:
    app = start(database_url, tmp_path / "media")
    yield app
    app.stop()


def billing(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_run_all_is_green_on_a_healthy_instance(live: LiveApp) -> None:
    code, output = billing("run-all", "--base-url", live.base_url, "--admin-token", ADMIN_TOKEN)

    assert code == 0, output
    assert "0 failed" in output
    lines = output.splitlines()
    for step in ("health", "guest checkout", "order paid", "invoice pdf", "order refunded"):
        assert any(line.split()[:1] == ["smoke"] and step in line for line in lines), step
    assert "GET /billing/orders/{order_id}" in output  # the crawl covers the OpenAPI routes
    assert "link /billing/orders/" in output  # and the invoice links of the smoke order's page
    assert "FAILED" not in output


def test_run_all_and_crawl_are_green_on_billing_mounted_in_a_host_under_its_prefix(
    database_url: str, tmp_path: Path
) -> None:
    live = start(database_url, tmp_path / "media", host=True, url_prefix="/shop/billing")
    try:
        storefront = f"{live.base_url}/shop/billing/"  # what the operator opens in a browser
        code, output = billing("run-all", "--base-url", storefront, "--admin-token", ADMIN_TOKEN)
        crawl_code, crawled = billing(
            "crawl", "--base-url", storefront.rstrip("/"), "--admin-token", ADMIN_TOKEN
        )
        missed_code, missed = billing("smoke", "--base-url", live.base_url)  # no prefix given
    finally:
        live.stop()

    assert (code, crawl_code) == (0, 0), output + crawled
    assert "0 failed" in output
    assert "order refunded" in output
    assert "GET /shop/billing/orders/{order_id}" in output  # every route, under the prefix
    assert "GET /shop/billing/admin/orders (admin)" in output
    assert "link /shop/billing/orders/" in output  # the smoke order's invoice links
    assert "/billing/" not in output.replace("/shop/billing/", "")  # nothing at /billing/
    assert "GET /shop/billing/openapi.json" in crawled
    assert missed_code == 1
    assert f"GET /billing/health/: 404: no billing at {live.base_url}/billing:" in missed


def test_run_all_and_crawl_are_green_on_billing_served_at_the_root(
    database_url: str, tmp_path: Path
) -> None:
    live = start(database_url, tmp_path / "media", url_prefix="")
    document = f"{live.base_url}/openapi.json"  # how an operator names billing at the root
    try:
        code, output = billing("run-all", "--base-url", document, "--admin-token", ADMIN_TOKEN)
        crawl_code, crawled = billing("crawl", "--base-url", document, "--admin-token", ADMIN_TOKEN)
        missed_code, missed = billing("smoke", "--base-url", live.base_url)  # taken as /billing
    finally:
        live.stop()

    assert (code, crawl_code) == (0, 0), output + crawled
    assert "0 failed" in output
    assert "order refunded" in output  # the sandbox delivered its events to /webhooks/…
    assert "GET /orders/{order_id}" in output
    assert "link /orders/" in output  # the smoke order's invoice links, at the root
    assert "/billing/" not in output + crawled
    assert missed_code == 1
    assert "served at the root, its document's (http://host:8000/openapi.json)" in missed


def test_one_broken_route_turns_run_all_red_and_names_it(live: LiveApp) -> None:
    class BrokenMetrics(PrometheusMetrics):
        def exposition(self) -> bytes:
            raise RuntimeError("broken on purpose")

    live.container.metrics.override(providers.Singleton(BrokenMetrics))

    code, output = billing("run-all", "--base-url", live.base_url, "--admin-token", ADMIN_TOKEN)

    assert code == 1
    failed = output.splitlines()[-1]
    assert failed == "FAILED: crawl: GET /billing/metrics"
    assert "order refunded" in output  # the smoke test itself still passed


def table_rows(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        rows = {
            name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for name, table in metadata.tables.items()
        }
    engine.dispose()
    return rows


def test_with_the_toggle_off_no_flow_moves_and_every_table_is_intact(
    database_url: str, tmp_path: Path
) -> None:
    enabled = start(database_url, tmp_path / "media")
    try:
        with make_client(enabled.base_url) as client:
            green = run_all(client, ADMIN_TOKEN)
            assert green.ok, green.table()
            pending = client.post(  # an order left waiting for its payment
                "/checkout/",
                json={"items": [{"sku": "ebook-python"}], "email": "later@example.com"},
            ).json()
    finally:
        enabled.stop()
    before = table_rows(database_url)
    for audited in (
        "billing_orders",
        "billing_webhook_events",
        "billing_refunds",
        "billing_invoice_artifacts",
    ):
        assert before[audited], audited

    # Rollback step 1: the same release and database, restarted with BILLING_ENABLED=false.
    disabled = start(database_url, tmp_path / "media", enabled=False)
    try:
        with make_client(disabled.base_url) as client:
            health = client.get("/health/")
            assert health.status_code == 200
            assert health.json()["billing_enabled"] is False
            order_id, token = pending["order"]["id"], pending["order_token"]
            attempts = [
                client.get("/openapi.json"),
                client.post("/checkout/", json={"items": [{"sku": "ebook-python"}]}),
                client.get(f"/orders/{order_id}", headers={"X-Order-Token": token}),
                client.post(
                    "/sandbox/api/pay",
                    json={"payment_id": pending["payment"]["id"], "card": TEST_CARD},
                    headers=ADMIN,
                ),
                client.post(
                    f"/orders/{order_id}/refunds",
                    json={"reason": "rollback"},
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                ),
                client.post("/webhooks/stripe/", content=b"{}"),
                client.get("/metrics"),
                client.get("/success/"),
            ]
            red = run_all(client, ADMIN_TOKEN, timeout=1)
    finally:
        disabled.stop()

    for answer in attempts:
        assert answer.status_code == 503, answer.request.url
        assert answer.json()["code"] == "billing_disabled"
    assert not red.ok
    assert red.failed[0] == "smoke: health"
    assert table_rows(database_url) == before

"""``examples/host_app``: a host with Flask-Login users and billing at ``/shop/billing``. A user
logs in, buys on the storefront, pays on the sandbox's hosted page, and sees the order and what
it bought; the other user gets 404 for that order and holds nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from dependency_injector import providers
from flask import Flask
from flask.testing import FlaskClient

from billing import Billing
from billing.adapters.memory import InlineTaskQueue
from billing.adapters.sandbox import DELIVER_EVENT, WebhookDeliverer, WebhookSigner
from billing.entrypoints.container import shutdown
from tests.host_example import load_example

BASE_URL = "http://host.test"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    made: Flask = load_example().create_app(
        {
            "BILLING_STORAGE": "memory",
            "BILLING_PAYMENT_PROVIDER": "sandbox",
            "BILLING_INVOICE_RENDERER": "text",
            "BILLING_MEDIA_ROOT": str(tmp_path),
            "BILLING_PUBLIC_BASE_URL": BASE_URL,
            "BILLING_SECRET_KEY": "host-example-test-secret-0123456789",
        }
    )
    container = Billing.container(made)
    # The sandbox delivers its events to the app itself, in this process.
    client = httpx.Client(transport=httpx.WSGITransport(app=made))
    deliverer = WebhookDeliverer(
        container.sandbox_store(),
        WebhookSigner(container.sandbox_secrets()[0], container.clock()),
        container.sandbox_deliverer().url,
        container.clock(),
        client=client,
        sleep=lambda _: None,
    )
    container.sandbox_deliverer.override(providers.Object(deliverer))
    container.sandbox_tasks.override(
        providers.Object(InlineTaskQueue({DELIVER_EVENT: deliverer.handle}))
    )
    yield made
    shutdown(container)


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))


def log_in(client: FlaskClient, name: str) -> None:
    answer = client.post("/login", data={"username": name, "password": f"{name}-password"})
    assert answer.status_code == 302, answer.text


def buy(client: FlaskClient, sku: str) -> str:
    """Buy one ``sku`` on the storefront and pay with the test card; the order id."""
    shop = client.get("/shop/billing/")
    assert shop.status_code == 200
    assert 'name="email"' not in shop.text  # signed in: no email asked
    sent = client.post(
        "/shop/billing/shop/checkout", data={**hidden_fields(shop.text), f"quantity-{sku}": "1"}
    )
    assert sent.status_code == 303, sent.text
    page = urlsplit(sent.headers["Location"])
    assert page.path.startswith("/shop/billing/sandbox/checkout/")
    shown = client.get(page.path)
    paid = client.post(
        page.path, data={**hidden_fields(shown.text), "action": "pay", "card": "4242424242424242"}
    )
    assert paid.status_code == 303, paid.text
    back = urlsplit(paid.headers["Location"])
    assert back.path == "/shop/billing/success/"
    return back.query.removeprefix("order=")


def test_a_user_buys_and_sees_the_order_and_what_it_bought(app: Flask) -> None:
    alice = app.test_client()
    home = alice.get("/")
    assert 'id="login"' in home.text
    log_in(alice, "alice")
    assert 'href="/shop/billing/"' in alice.get("/").text

    order_id = buy(alice, "ebook-python")

    order = alice.get(f"/shop/billing/orders/{order_id}")
    assert order.status_code == 200
    assert order.json["status"] == "paid"
    held = alice.get("/shop/billing/entitlements").json["entitlements"]
    assert [e["key"] for e in held] == ["ebook:python-patterns"]
    assert "ebook:python-patterns" in alice.get("/").text
    assert "paid" in alice.get(f"/shop/billing/success/?order={order_id}").text


def test_the_other_user_gets_404_and_holds_nothing(app: Flask) -> None:
    alice, bob = app.test_client(), app.test_client()
    log_in(alice, "alice")
    order_id = buy(alice, "course-payments")
    log_in(bob, "bob")

    assert bob.get(f"/shop/billing/orders/{order_id}").status_code == 404
    assert bob.get("/shop/billing/entitlements").json["entitlements"] == []
    assert app.test_client().get(f"/shop/billing/orders/{order_id}").status_code in (401, 404)


def test_a_guest_purchase_joins_the_account_of_a_verified_email_at_login(app: Flask) -> None:
    guest = app.test_client()
    shop = guest.get("/shop/billing/")
    sent = guest.post(
        "/shop/billing/shop/checkout",
        data={
            **hidden_fields(shop.text),
            "quantity-pro-monthly": "1",
            "email": "alice@example.com",
        },
    )
    page = urlsplit(sent.headers["Location"]).path
    fields = hidden_fields(guest.get(page).text)
    guest.post(page, data={**fields, "action": "pay", "card": "4242424242424242"})

    log_in(guest, "alice")

    held = guest.get("/shop/billing/entitlements").json["entitlements"]
    assert [e["key"] for e in held] == ["plan:pro"]

"""The ``Billing`` Flask extension in a host's app: settings from ``app.config``, a prefix of
the host's choosing, the host's users and administrators, and no state shared between apps."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask, request

from billing import Billing
from billing.adapters.memory import FakeEvents, FakePaymentProvider
from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.container import shutdown

CONFIG = {
    "BILLING_ENABLED": True,  # typed values, as a host's config holds them
    "BILLING_STORAGE": "memory",
    "BILLING_PAYMENT_PROVIDER": "fake",
    "BILLING_DEMO_CATALOG": True,
    "BILLING_INVOICE_RENDERER": "text",
    "BILLING_SECRET_KEY": "host-secret-for-billing-tests-0123",
}
CART = {"items": [{"sku": "ebook-python"}]}


def host_app(**config: object) -> Flask:
    """A host with its own page and form, and who is logged in in a header of its own."""
    app = Flask("host")
    app.config.update({**CONFIG, **config})
    app.secret_key = "the-host-own-session-key"

    @app.get("/")
    def home() -> str:
        return "<p>host home</p>"

    @app.post("/login")
    def login() -> str:
        return f"hello {request.form['name']}"

    return app


def current_host_user() -> str | None:
    return request.headers.get("X-Host-User")


@pytest.fixture
def apps() -> Iterator[list[Flask]]:
    made: list[Flask] = []
    yield made
    for app in made:
        shutdown(Billing.container(app))


def mounted(apps: list[Flask], billing: Billing | None = None, **config: object) -> Flask:
    app = host_app(**config)
    (billing or Billing(user_loader=current_host_user)).init_app(app)
    apps.append(app)
    return app


def pay(app: Flask, payment_id: str) -> None:
    provider = Billing.container(app).payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    delivery = FakeEvents(provider).payment_succeeded(payment_id)
    prefix = Billing.container(app).settings().url_prefix
    answer = app.test_client().post(
        f"{prefix}/webhooks/stripe/",
        data=delivery.payload,
        headers={"Stripe-Signature": delivery.signature},
    )
    assert answer.status_code == 200, answer.json


def test_settings_come_from_app_config_then_the_environment(
    apps: list[Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLING_SELLER_NAME", "Seller From The Environment")
    monkeypatch.setenv("BILLING_INVOICE_LOCALE", "fr")
    app = mounted(apps, BILLING_INVOICE_LOCALE="en")

    settings = Billing.container(app).settings()

    assert settings.enabled is True
    assert settings.invoice_locale == "en"  # app.config wins over the environment
    assert settings.seller_name == "Seller From The Environment"
    assert settings.url_prefix == "/billing"


def test_a_bad_value_in_app_config_names_its_variable() -> None:
    app = host_app(BILLING_ENABLED="maybe")

    with pytest.raises(ConfigurationError) as refused:
        Billing().init_app(app)

    assert str(refused.value) == "BILLING_ENABLED: must be true or false, not 'maybe'"


def test_routes_are_mounted_under_the_hosts_prefix(apps: list[Flask]) -> None:
    app = mounted(
        apps,
        BILLING_URL_PREFIX="/shop/billing/",
        BILLING_PAYMENT_PROVIDER="sandbox",
        BILLING_PUBLIC_BASE_URL="https://host.test",
    )
    client = app.test_client()
    user = {"X-Host-User": "u1"}

    bought = client.post(
        "/shop/billing/checkout/", json={**CART, "mode": "checkout_session"}, headers=user
    )

    assert bought.status_code == 201, bought.json
    page = urlsplit(bought.json["payment"]["checkout_url"])
    assert page.netloc == "host.test"
    assert page.path.startswith("/shop/billing/sandbox/checkout/")
    hosted = client.get(page.path, headers=user)
    assert hosted.status_code == 200
    order_id = bought.json["order"]["id"]
    assert f"https://host.test/shop/billing/cancel/?order={order_id}" in hosted.text
    assert client.get(f"/shop/billing/orders/{order_id}", headers=user).status_code == 200
    assert client.get("/shop/billing/health/").status_code == 200
    assert client.get("/billing/health/").status_code == 404


def test_url_prefix_argument_wins_over_the_config(apps: list[Flask]) -> None:
    app = mounted(apps, Billing(url_prefix="/pay"), BILLING_URL_PREFIX="/elsewhere")

    assert app.test_client().get("/pay/health/").status_code == 200


def test_the_hosts_own_pages_are_left_alone(apps: list[Flask]) -> None:
    app = mounted(apps)
    client = app.test_client()

    home = client.get("/")
    login = client.post("/login", data={"name": "ada"})  # a form: billing's API would say 415
    missing = client.get("/no-such-page")

    assert home.status_code == 200
    assert "Content-Security-Policy" not in home.headers
    assert "X-Request-ID" not in home.headers
    assert login.status_code == 200
    assert login.text == "hello ada"
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"  # the host's (Werkzeug's) page, not billing's JSON
    assert app.secret_key == "the-host-own-session-key"
    assert app.config.get("SESSION_COOKIE_NAME") == "session"
    assert client.get("/billing/no-such-route").json["code"] == "not_found"


def test_the_host_decides_who_is_logged_in_and_who_administers(apps: list[Flask]) -> None:
    billing = Billing(user_loader=current_host_user, is_admin=lambda user_id: user_id == "boss")
    app = mounted(apps, billing)
    client = app.test_client()
    order_id = client.post("/billing/checkout/", json=CART, headers={"X-Host-User": "u1"}).json[
        "order"
    ]["id"]

    mine = client.get(f"/billing/orders/{order_id}", headers={"X-Host-User": "u1"})
    theirs = client.get(f"/billing/orders/{order_id}", headers={"X-Host-User": "u2"})
    boss = client.get(f"/billing/orders/{order_id}", headers={"X-Host-User": "boss"})
    anonymous = client.get(f"/billing/orders/{order_id}")

    assert mine.status_code == 200
    assert theirs.status_code == 404
    assert boss.status_code == 200
    assert anonymous.status_code in (401, 404)


def test_two_apps_in_one_process_share_nothing(apps: list[Flask]) -> None:
    billing = Billing(user_loader=current_host_user)  # one extension object, two apps
    first = mounted(apps, billing)
    second = mounted(apps, billing, BILLING_URL_PREFIX="/other")
    off = mounted(apps, billing, BILLING_ENABLED=False)
    user = {"X-Host-User": "u1"}

    made = first.test_client().post("/billing/checkout/", json=CART, headers=user)
    order_id = made.json["order"]["id"]

    assert made.status_code == 201
    assert first.test_client().get(f"/billing/orders/{order_id}", headers=user).status_code == 200
    assert second.test_client().get(f"/other/orders/{order_id}", headers=user).status_code == 404
    assert second.test_client().get(f"/billing/orders/{order_id}").status_code == 404
    assert off.test_client().post("/billing/checkout/", json=CART).status_code == 503
    assert len({id(Billing.container(app)) for app in apps}) == 3


def test_on_login_merges_the_guest_orders_of_a_verified_email_only(apps: list[Flask]) -> None:
    billing = Billing(user_loader=current_host_user)
    app = mounted(apps, billing)
    client = app.test_client()
    bought = client.post("/billing/checkout/", json={**CART, "email": "ada@example.com"})
    pay(app, bought.json["payment"]["id"])
    user = {"X-Host-User": "u1"}

    with app.app_context():
        unverified = billing.on_login("u1", None)
        before = client.get("/billing/entitlements", headers=user).json
        merged = billing.on_login("u1", "ada@example.com")
        again = billing.on_login("u1", "ada@example.com")
    after = client.get("/billing/entitlements", headers=user).json

    assert (unverified.orders, unverified.entitlements) == (0, 0)
    assert before["entitlements"] == []
    assert (merged.orders, merged.entitlements) == (1, 1)
    assert (again.orders, again.entitlements) == (0, 0)
    assert [e["key"] for e in after["entitlements"]] == ["ebook:python-patterns"]

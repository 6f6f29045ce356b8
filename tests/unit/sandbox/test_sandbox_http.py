"""End to end through the Flask app with ``BILLING_PAYMENT_PROVIDER=sandbox``: a guest checks
out, pays on the sandbox's hosted page (or its JSON API), the sandbox's deliverer POSTs the
signed events to the app's own webhook endpoint (through httpx's WSGI transport, so nothing
leaves the process), and the order follows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx
import pytest
from dependency_injector import providers
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from billing.adapters.invoices.text import TextRenderer
from billing.adapters.memory import (
    FixedClock,
    InlineTaskQueue,
    MemoryArtifactStore,
    MemoryUnitOfWorkFactory,
)
from billing.adapters.sandbox import (
    DELIVER_EVENT,
    SandboxPaymentProvider,
    WebhookDeliverer,
    WebhookSigner,
    cards,
)
from billing.domain.catalog import Product
from billing.domain.money import Money
from billing.entrypoints.container import Container, build_container
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings

BASE_URL = "http://shop.test"
ADMIN = {"Authorization": "Bearer admin-token-for-sandbox-tests-0123"}
#: The sandbox's JSON API takes the administrators' token (or the Stripe secret key).
API = ADMIN
SETTINGS = Settings.in_memory(
    enabled=True,
    payment_provider="sandbox",
    admin_token=ADMIN["Authorization"].removeprefix("Bearer "),
    secret_key="server-secret-for-sandbox-tests",
    public_base_url=BASE_URL,
)
CART = {"items": [{"sku": "book", "quantity": 2}], "email": "guest@example.com"}


@attrs.define
class Shop:
    client: FlaskClient
    container: Container
    provider: SandboxPaymentProvider
    deliveries: list[int]

    def checkout(self, mode: str) -> dict[str, Any]:
        answer = self.client.post("/billing/checkout/", json={**CART, "mode": mode})
        assert answer.status_code == 201, answer.json
        body: dict[str, Any] = answer.json
        return body

    def status(self, body: dict[str, Any]) -> str:
        answer = self.client.get(
            f"/billing/orders/{body['order']['id']}",
            headers={"X-Order-Token": body["order_token"]},
        )
        assert answer.status_code == 200, answer.json
        status: str = answer.json["status"]
        return status

    def submit(self, url: str, **fields: str) -> TestResponse:
        """Post the hosted page's form as a browser would: with the hidden fields the page
        rendered (its token, and a PaymentIntent's client secret)."""
        shown = self.client.get(url)
        assert shown.status_code == 200, shown.text
        return self.client.post(url, data={**hidden_fields(shown.text), **fields})


@pytest.fixture
def shop() -> Iterator[Shop]:
    container = build_container(SETTINGS)
    clock = FixedClock()
    container.clock.override(providers.Object(clock))
    container.uow_factory.override(providers.Singleton(MemoryUnitOfWorkFactory))
    container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
    container.renderer.override(providers.Singleton(TextRenderer))
    with container.uow_factory()() as uow:
        uow.catalog.put(Product("book", "A book", Money(1250, "EUR"), "library:book"))
        uow.commit()
    app = create_app(container=container)
    deliveries: list[int] = []

    def count(response: httpx.Response) -> None:
        deliveries.append(response.status_code)

    client = httpx.Client(transport=httpx.WSGITransport(app=app), event_hooks={"response": [count]})
    secret = container.sandbox_secrets()[0]
    deliverer = WebhookDeliverer(
        container.sandbox_store(),
        WebhookSigner(secret, clock),
        container.sandbox_deliverer().url,
        clock,
        client=client,
        sleep=lambda _: None,
    )
    container.sandbox_deliverer.override(providers.Object(deliverer))
    container.sandbox_tasks.override(
        providers.Object(InlineTaskQueue({DELIVER_EVENT: deliverer.handle}))
    )
    provider = container.payment_provider()
    assert isinstance(provider, SandboxPaymentProvider)
    yield Shop(app.test_client(), container, provider, deliveries)
    container.unwire()


def page(url: str) -> str:
    """The hosted page's path and query (a PaymentIntent's carries its client secret)."""
    assert url.startswith(f"{BASE_URL}/billing/sandbox/checkout/")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))


def test_a_guest_pays_on_the_hosted_page_and_the_order_is_paid_then_refunded(shop: Shop) -> None:
    body = shop.checkout("checkout_session")
    url = page(body["payment"]["checkout_url"])

    shown = shop.client.get(url)
    assert shown.status_code == 200
    assert "A book" in shown.text
    assert "25.00" in shown.text
    assert shop.status(body) == "pending_payment"

    paid = shop.submit(url, action="pay", card="4242 4242 4242 4242")

    assert paid.status_code == 303
    assert paid.headers["Location"] == f"{BASE_URL}/billing/success/?order={body['order']['id']}"
    assert shop.status(body) == "paid"
    assert shop.deliveries == [200, 200]  # payment_intent.succeeded, checkout.session.completed
    assert shop.provider.undelivered_events() == []
    order = shop.client.get(
        f"/billing/orders/{body['order']['id']}", headers={"X-Order-Token": body["order_token"]}
    ).json
    assert [d["kind"] for d in order["documents"]] == ["invoice"]

    refunded = shop.client.post(
        f"/billing/orders/{body['order']['id']}/refunds", json={"reason": "x"}, headers=ADMIN
    )

    assert refunded.status_code in (200, 201), refunded.json
    assert shop.status(body) == "refunded"
    assert shop.provider.undelivered_events() == []


def test_the_3d_secure_card_needs_the_extra_step(shop: Shop) -> None:
    body = shop.checkout("payment_intent")
    payment_id = body["payment"]["id"]

    answer = shop.client.post(
        "/billing/sandbox/api/pay",
        json={"payment_id": payment_id, "card": cards.REQUIRES_AUTHENTICATION},
        headers=API,
    )

    assert answer.status_code == 200
    assert answer.json["status"] == "requires_action"
    assert shop.status(body) == "pending_payment"
    shown = shop.client.get(page(body["payment"]["checkout_url"]))
    assert 'value="authenticate"' in shown.text

    done = shop.submit(page(body["payment"]["checkout_url"]), action="authenticate")

    assert done.status_code == 200
    assert 'id="paid"' in done.text
    assert shop.status(body) == "paid"


def test_a_declined_card_leaves_the_order_payable(shop: Shop) -> None:
    body = shop.checkout("payment_intent")
    payment_id = body["payment"]["id"]

    declined = shop.client.post(
        "/billing/sandbox/api/pay",
        json={"payment_id": payment_id, "card": cards.DECLINED},
        headers=API,
    )

    assert declined.status_code == 402
    assert declined.json["code"] == "payment_declined"
    assert shop.status(body) == "pending_payment"
    page_answer = shop.submit(
        page(body["payment"]["checkout_url"]), action="pay", card=cards.INSUFFICIENT_FUNDS
    )
    assert page_answer.status_code == 402
    assert "insufficient funds" in page_answer.text
    paid = shop.client.post(
        "/billing/sandbox/api/pay",
        json={"payment_id": payment_id, "card": cards.SUCCEEDS},
        headers=API,
    )
    assert paid.json["status"] == "succeeded"
    assert shop.status(body) == "paid"


def test_the_hosted_page_escapes_what_it_shows(shop: Shop) -> None:
    with shop.container.uow_factory()() as uow:
        uow.catalog.put(Product("xss", "<script>alert(1)</script>", Money(500, "EUR")))
        uow.commit()
    answer = shop.client.post(
        "/billing/checkout/",
        json={"items": [{"sku": "xss"}], "email": "g@example.com", "mode": "checkout_session"},
    )

    shown = shop.client.get(page(answer.json["payment"]["checkout_url"]))

    assert "<script>alert(1)</script>" not in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text


def test_a_malformed_api_body_is_refused(shop: Shop) -> None:
    answer = shop.client.post(
        "/billing/sandbox/api/pay", json={"payment_id": "pi_x", "cvc": 1}, headers=API
    )

    assert answer.status_code == 400
    assert answer.json["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/billing/sandbox/api/objects/pi_3Unknown", None),
        ("post", "/billing/sandbox/api/pay", {"payment_id": "pi_3Unknown", "card": "4242"}),
        ("post", "/billing/sandbox/api/confirm", {"payment_id": "cs_test_Unknown"}),
        ("post", "/billing/sandbox/api/expire", {"payment_id": "cs_test_Unknown"}),
        ("post", "/billing/sandbox/api/pay", {"payment_id": "not-an-id", "card": "4242"}),
        ("get", "/billing/sandbox/checkout/cs_test_Unknown", None),
    ],
)
def test_an_id_the_sandbox_does_not_know_answers_404(
    shop: Shop, method: str, path: str, body: dict[str, str] | None
) -> None:
    answer = getattr(shop.client, method)(path, json=body, headers=API)

    assert answer.status_code == 404, answer.data
    assert (answer.json["code"], answer.json["retryable"]) == ("resource_missing", False)


def test_the_sandbox_routes_exist_only_with_the_sandbox_provider() -> None:
    container = build_container(attrs.evolve(SETTINGS, payment_provider="fake"))
    client = create_app(container=container).test_client()

    assert client.get("/billing/sandbox/checkout/cs_test_x").status_code == 404
    assert client.post("/billing/sandbox/api/pay", json={}).status_code == 404
    container.unwire()


def test_the_sandbox_lists_its_events_for_reconciliation_and_they_are_all_journaled(
    shop: Shop,
) -> None:
    body = shop.checkout("checkout_session")
    url = page(body["payment"]["checkout_url"])
    shop.submit(url, action="pay", card=cards.SUCCEEDS)
    since = shop.container.clock().now() - timedelta(hours=1)

    listed = shop.provider.list_events(since)
    only_sessions = shop.provider.list_events(since, ["checkout.session.completed"])
    report = shop.container.reconciliation().reconcile(timedelta(hours=72))

    assert [e.type for e in listed] == ["checkout.session.completed", "payment_intent.succeeded"]
    assert [e.type for e in only_sessions] == ["checkout.session.completed"]
    assert all(e.order_id == body["order"]["id"] for e in listed)
    assert shop.provider.list_events(shop.container.clock().now() + timedelta(seconds=1)) == []
    assert (report.checked, report.drift) == (2, ())


def test_a_payment_intent_page_needs_its_client_secret(shop: Shop) -> None:
    body = shop.checkout("payment_intent")
    payment_id = body["payment"]["id"]
    with_secret = page(body["payment"]["checkout_url"])
    assert with_secret.endswith(f"?client_secret={body['payment']['client_secret']}")
    bare = f"/billing/sandbox/checkout/{payment_id}"
    hidden = hidden_fields(shop.client.get(with_secret).text)
    hidden.pop("client_secret")

    shown = shop.client.get(bare)
    wrong = shop.client.get(f"{bare}?client_secret={payment_id}_secret_guessed")
    posted = shop.client.post(bare, data={"action": "pay", "card": cards.SUCCEEDS, **hidden})

    assert (shown.status_code, wrong.status_code, posted.status_code) == (403, 403, 403)
    assert 'id="card"' not in shown.text
    assert "client secret" in posted.text
    assert shop.status(body) == "pending_payment"
    assert shop.provider.retrieve(payment_id)["status"] == "requires_payment_method"
    assert shop.deliveries == []

    assert shop.submit(with_secret, action="pay", card=cards.SUCCEEDS).status_code == 200
    assert shop.status(body) == "paid"


def test_a_form_without_its_page_token_is_refused(shop: Shop) -> None:
    body = shop.checkout("checkout_session")
    url = page(body["payment"]["checkout_url"])
    other = page(shop.checkout("checkout_session")["payment"]["checkout_url"])
    other_page = hidden_fields(shop.client.get(other).text)
    session = {"csrf_token": other_page["csrf_token"]}  # the visitor's session is fine

    forged = shop.client.post(url, data={"action": "pay", "card": cards.SUCCEEDS, **session})
    borrowed = shop.client.post(url, data={"action": "pay", "card": cards.SUCCEEDS, **other_page})

    assert (forged.status_code, borrowed.status_code) == (403, 403)
    assert "its token is missing or wrong" in forged.text
    assert "its token is missing or wrong" in borrowed.text
    assert shop.status(body) == "pending_payment"
    assert shop.provider.undelivered_events() == []
    assert shop.deliveries == []
    assert shop.submit(url, action="pay", card=cards.SUCCEEDS).status_code == 303


def test_the_page_token_is_bound_to_the_payment_and_the_signing_secret(shop: Shop) -> None:
    first = shop.checkout("checkout_session")["payment"]["id"]
    second = shop.checkout("checkout_session")["payment"]["id"]
    again = SandboxPaymentProvider(
        shop.container.sandbox_store(),
        FixedClock(),
        InlineTaskQueue(),
        shop.container.sandbox_secrets(),
        BASE_URL,
    )
    stranger = SandboxPaymentProvider(
        shop.container.sandbox_store(), FixedClock(), InlineTaskQueue(), "whsec_other", BASE_URL
    )

    token = shop.provider.describe(first).page_token

    assert len(token) == 64
    assert token != shop.provider.describe(second).page_token
    assert again.describe(first).page_token == token  # every process of a deployment agrees
    assert stranger.describe(first).page_token != token


def test_the_hosted_page_is_never_framed_cached_or_named_in_another_sites_referer(
    shop: Shop,
) -> None:
    body = shop.checkout("payment_intent")

    shown = shop.client.get(page(body["payment"]["checkout_url"]))

    assert shown.status_code == 200
    assert shown.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in shown.headers["Content-Security-Policy"]
    assert shown.headers["Referrer-Policy"] == "same-origin"
    assert shown.headers["Cache-Control"] == "no-store"


def test_a_failed_3d_secure_tells_the_shopper_what_to_do_not_stripes_developer_text(
    shop: Shop,
) -> None:
    body = shop.checkout("checkout_session")
    url = page(body["payment"]["checkout_url"])
    asked = shop.submit(url, action="pay", card=cards.REQUIRES_AUTHENTICATION)
    assert asked.status_code == 200
    assert "Awaiting authentication" in asked.text

    failed = shop.submit(url, action="fail_authentication")

    assert failed.status_code == 402
    assert "3-D Secure" in failed.text
    assert "payment_method_data" not in failed.text
    assert "PaymentMethod" not in failed.text


def test_a_paid_sessions_back_to_the_shop_goes_to_the_shop(shop: Shop) -> None:
    body = shop.checkout("checkout_session")
    url = page(body["payment"]["checkout_url"])
    assert shop.submit(url, action="pay", card=cards.SUCCEEDS).status_code == 303

    shown = shop.client.get(url)

    assert 'id="paid"' in shown.text
    assert '<a href="/billing/" id="back">Back to the shop</a>' in shown.text
    order_link = r'<a href="[^"]*/billing/success/[^"]*" id="order">See your order</a>'
    assert re.search(order_link, shown.text)

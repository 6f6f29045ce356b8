"""Nobody let in, nothing leaked: access, tokens, amounts, secrets, caching, the two switches.

Routes are taken from the app's own ``url_map``, so a route added later is covered (or the
classification test fails until it is classified): no route lets one customer read, cancel or
refund another's order, whatever identity they present; administrator routes refuse everyone
else; and nothing a refused request touched has changed.
"""

from __future__ import annotations

import base64
import hmac
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import respx
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from billing.domain.state import OrderStatus
from billing.entrypoints.logging_json import configure_logging
from billing.entrypoints.views.identity import ORDER_TOKEN_COOKIE

from .conftest import (
    ADMIN,
    ADMIN_TOKEN,
    QUIET_HTTPX,
    SERVER_SECRET,
    STRIPE_KEY,
    WEBHOOK_SECRET,
    StripeShop,
    make_stripe_shop,
    stripe_settings,
    user,
)

pytestmark = QUIET_HTTPX

#: Routes that name no order and need no administrator: what each one may show to anyone.
PUBLIC = {
    "/billing/",  # the storefront: catalog prices
    "/billing/health/",
    "/billing/metrics",
    "/billing/openapi.json",
    "/billing/success/",  # shows an order only to whoever may see it (tested below)
    "/billing/cancel/",
    "/billing/checkout/",  # makes the caller's own order
    "/billing/shop/checkout",
    "/billing/webhooks/stripe/",  # signed by the provider (see the webhook catalogue)
    "/billing/entitlements",  # the caller's own (tested below)
    "/billing/assets/fonts/<font>",  # the packaged fonts of the invoice HTML
    "/billing/products",  # the catalog's prices
    "/static/<path:filename>",
}
#: Routes for the host application's administrator only.
ADMIN_ONLY = {"/billing/customers/merge"}


def _is_admin_route(rule: Rule) -> bool:
    return rule.rule in ADMIN_ONLY or rule.rule.startswith("/billing/admin/")


def _is_order_route(rule: Rule) -> bool:
    return "<order_id>" in rule.rule


@attrs.define
class Victim:
    """Guest A's paid order with its invoice, and user-1's pending order."""

    shop: StripeShop
    order_id: str
    token: str
    intent_id: str
    invoice_id: str
    email: str
    user_order_id: str
    other_token: str


@pytest.fixture
def victim(shop: StripeShop) -> Victim:
    email = "victim@example.com"
    order_id, token, intent_id = shop.guest_order(email)
    assert shop.pay(intent_id).status_code == 200
    [invoice] = shop.tables().invoices.values()
    user_order_id, _ = shop.user_order("user-1")
    _, other_token, _ = shop.guest_order("intruder@example.com")
    return Victim(shop, order_id, token, intent_id, invoice.id, email, user_order_id, other_token)


def _identities(v: Victim) -> dict[str, dict[str, Any]]:
    """Every way to present oneself that is not the owner of ``v``'s orders (nor an admin)."""
    return {
        "anonymous": {},
        "another-user": {"headers": user("user-2")},
        "another-guests-token-header": {"headers": {"X-Order-Token": v.other_token}},
        "another-guests-token-bearer": {"headers": {"Authorization": f"Bearer {v.other_token}"}},
        "another-guests-token-query": {"query_string": {"token": v.other_token}},
        "another-guests-token-cookie": {"cookie": v.other_token},
        "forged-token": {"headers": {"X-Order-Token": "A" * 43}},
        "truncated-token": {"headers": {"X-Order-Token": v.token[:-1]}},
        "wrong-admin-token": {"headers": {"Authorization": f"Bearer {ADMIN_TOKEN}x"}},
        "user-header-with-a-guests-email": {"headers": user(v.email)},
    }


IDENTITY_NAMES = [
    "anonymous",
    "another-user",
    "another-guests-token-header",
    "another-guests-token-bearer",
    "another-guests-token-query",
    "another-guests-token-cookie",
    "forged-token",
    "truncated-token",
    "wrong-admin-token",
    "user-header-with-a-guests-email",
]


def _rules(shop: StripeShop) -> list[Rule]:
    return sorted(shop.app.url_map.iter_rules(), key=lambda r: r.rule)


def _path(rule: Rule, v: Victim, order_id: str) -> str:
    values = {"order_id": order_id, "document_id": v.invoice_id, "fmt": "pdf"}
    values.update({name: "evt_anything" for name in rule.arguments if name not in values})
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", value, path)
    return path


def _send(v: Victim, method: str, path: str, identity: dict[str, Any]) -> TestResponse:
    client = v.shop.app.test_client()
    if "cookie" in identity:
        client.set_cookie(ORDER_TOKEN_COOKIE, identity["cookie"])
    bodies = {
        "/refunds": {"reason": "requested_by_customer"},
        "/merge": {"email": v.email, "user_id": "user-2"},
    }
    body = next((b for end, b in bodies.items() if path.endswith(end)), None)
    return client.open(
        path,
        method=method,
        json=body,
        headers=identity.get("headers"),
        query_string=identity.get("query_string"),
    )


def _leaks(v: Victim, answer: TestResponse) -> list[str]:
    text = answer.get_data(as_text=True)
    secrets = [v.email, v.intent_id, v.token, "INV-2026-000001"]
    return [s for s in secrets if s in text]


def test_every_route_is_classified(shop: StripeShop) -> None:
    unclassified = [
        rule.rule
        for rule in _rules(shop)
        if not (_is_order_route(rule) or _is_admin_route(rule) or rule.rule in PUBLIC)
    ]
    assert unclassified == [], "classify the new route in test_security.py"


@pytest.mark.parametrize("identity", IDENTITY_NAMES)
def test_no_route_lets_anyone_else_read_cancel_or_refund_an_order(
    victim: Victim, identity: str
) -> None:
    shop = victim.shop
    who = _identities(victim)[identity]
    routes = [r for r in _rules(shop) if _is_order_route(r)]
    assert len(routes) >= 4
    before, calls = shop.tables(), len(shop.router.calls)
    for rule in routes:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for order_id in (victim.order_id, victim.user_order_id):
                answer = _send(victim, method, _path(rule, victim, order_id), who)
                where = f"{method} {rule.rule} as {identity}"
                assert answer.status_code == 404, where
                assert answer.json is not None
                assert answer.json["code"] == "order_not_found", where
                assert _leaks(victim, answer) == [], where
    assert shop.tables() == before
    assert len(shop.router.calls) == calls  # Stripe was asked nothing: no refund, no cancel


@pytest.mark.parametrize("identity", IDENTITY_NAMES)
def test_administrator_routes_refuse_everyone_else(victim: Victim, identity: str) -> None:
    shop = victim.shop
    who = _identities(victim)[identity]
    routes = [r for r in _rules(shop) if _is_admin_route(r)]
    assert len(routes) >= 2
    before = shop.tables()
    for rule in routes:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = _send(victim, method, _path(rule, victim, victim.order_id), who)
            assert answer.status_code in (401, 403, 404), f"{method} {rule.rule} as {identity}"
            assert _leaks(victim, answer) == []
    assert shop.tables() == before


def test_the_owner_and_the_administrator_do_get_in(victim: Victim) -> None:
    client = victim.shop.client
    as_owner = client.get(
        f"/billing/orders/{victim.order_id}", headers={"X-Order-Token": victim.token}
    )
    as_user = client.get(f"/billing/orders/{victim.user_order_id}", headers=user("user-1"))
    as_admin = client.get(f"/billing/orders/{victim.order_id}", headers=ADMIN)

    assert (as_owner.status_code, as_user.status_code, as_admin.status_code) == (200, 200, 200)


def test_pages_and_entitlements_show_nothing_of_another_customers_order(victim: Victim) -> None:
    client = victim.shop.client
    page = client.get(
        "/billing/success/", query_string={"order": victim.order_id, "token": victim.other_token}
    )
    held = client.get("/billing/entitlements", headers=user("user-2"))

    assert page.status_code == 200
    assert _leaks(victim, page) == []
    assert (held.status_code, held.json) == (200, {"entitlements": []})


# -- guest tokens --------------------------------------------------------------------------


def test_guest_tokens_carry_at_least_128_random_bits(shop: StripeShop) -> None:
    tokens = [shop.guest_order(f"guest{n}@example.com")[1] for n in range(16)]

    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
    # Every bit position varies across tokens: no fixed prefix, no counter.
    bits = ["".join(f"{b:08b}" for b in base64.urlsafe_b64decode(t + "=")) for t in tokens]
    fixed = [i for i in range(128) if len({b[i] for b in bits}) == 1]
    assert len(fixed) < 16  # 16 samples: a random bit stays fixed with odds 2**-15


def test_tokens_and_the_admin_token_are_compared_with_compare_digest(
    victim: Victim, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    client = victim.shop.client
    path = f"/billing/orders/{victim.order_id}"

    good = client.get(path, headers={"X-Order-Token": victim.token})
    bad = client.get(path, headers={"X-Order-Token": victim.other_token})
    admin = client.get(path, headers=ADMIN)

    assert (good.status_code, bad.status_code, admin.status_code) == (200, 404, 200)
    assert len(compared) >= 3
    assert any(ADMIN_TOKEN.encode() in pair for pair in compared)


# -- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"items": [{"sku": "book"}], "email": "a@example.com", "amount": 1},
        {"items": [{"sku": "book", "price": 1}], "email": "a@example.com"},
        {"items": [{"sku": "book", "unit_amount": 1}], "email": "a@example.com"},
        {"items": [{"sku": "book", "amount": 1}], "email": "a@example.com"},
        {"items": [{"sku": "book"}], "email": "a@example.com", "total": {"amount": 1}},
        {"items": [{"sku": "book"}], "email": "a@example.com", "currency": "JPY"},
        {"items": [{"sku": "book", "quantity": -1}], "email": "a@example.com"},
        {"items": [{"sku": "book", "quantity": 1.5}], "email": "a@example.com"},
    ],
    ids=["amount", "price", "unit_amount", "item-amount", "total", "currency", "negative", "float"],
)
def test_client_supplied_amounts_are_refused(shop: StripeShop, body: dict[str, Any]) -> None:
    before = shop.tables()

    answer = shop.client.post("/billing/checkout/", json=body)

    assert answer.status_code == 400
    assert answer.json["code"] in ("invalid_input", "invalid_body")  # type: ignore[index]
    assert shop.tables() == before
    assert shop.router.calls.call_count == 0


# -- secrets ---------------------------------------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(stream)
    yield stream
    configure_logging()


def test_secrets_tokens_and_client_secrets_never_reach_logs_errors_health_or_metrics(
    shop: StripeShop, log_stream: io.StringIO
) -> None:
    created = shop.checkout(email="guest@example.com")
    assert created.status_code == 201
    body = created.json
    assert body is not None
    token, client_secret = body["order_token"], body["payment"]["client_secret"]
    order_id, intent_id = body["order"]["id"], body["payment"]["id"]
    event = json.dumps(shop.paid_event(intent_id)).encode()
    signature = shop.signed(event)
    answers = [
        shop.client.get(f"/billing/orders/{order_id}", headers={"X-Order-Token": token}),
        shop.client.get(f"/billing/orders/{order_id}", query_string={"token": token}),
        shop.client.get(f"/billing/orders/{order_id}", headers={"X-Order-Token": token[:-2]}),
        shop.client.get("/billing/admin/webhooks", headers={"Authorization": "Bearer nope"}),
        shop.post_webhook(event, signature.replace("v1=", "v1=0")),
        shop.post_webhook(event, signature),
        shop.client.post(
            f"/billing/orders/{order_id}/refunds", json={"reason": "x"}, headers=ADMIN
        ),
        shop.client.post("/billing/checkout/", json={"items": [], "amount": 1}),
        shop.client.get("/billing/health/"),
        shop.client.get("/billing/metrics"),
        shop.client.get("/billing/openapi.json"),
    ]
    secrets = {
        "stripe secret key": STRIPE_KEY,
        "webhook secret": WEBHOOK_SECRET,
        "admin token": ADMIN_TOKEN,
        "server secret": SERVER_SECRET,
        "guest token": token,
        "client secret": client_secret,
        "signature": signature.split("v1=")[1],
    }
    exposed = {
        "logs": log_stream.getvalue(),
        **{
            f"{a.request.method} {a.request.path} {a.status_code}": a.get_data(as_text=True)
            for a in answers
        },
    }
    found = [
        (name, where) for where, text in exposed.items() for name, s in secrets.items() if s in text
    ]
    assert found == []
    assert log_stream.getvalue().count("\n") >= len(answers)  # the requests were logged
    assert repr(shop.container.settings()).count(STRIPE_KEY) == 0


# -- caching ---------------------------------------------------------------------------------


def test_order_invoice_and_checkout_answers_are_not_stored_by_caches(victim: Victim) -> None:
    client = victim.shop.client
    owner = {"X-Order-Token": victim.token}
    answers = {
        "checkout": victim.shop.checkout(email="another@example.com"),
        "order": client.get(f"/billing/orders/{victim.order_id}", headers=owner),
        "unknown order": client.get("/billing/orders/ord_nope", headers=owner),
        "invoice pdf": client.get(
            f"/billing/orders/{victim.order_id}/documents/{victim.invoice_id}.pdf", headers=owner
        ),
        "invoice html": client.get(
            f"/billing/orders/{victim.order_id}/documents/{victim.invoice_id}.html", headers=owner
        ),
        "cancel": client.post(f"/billing/orders/{victim.user_order_id}/cancel", headers=ADMIN),
        "refund": client.post(
            f"/billing/orders/{victim.order_id}/refunds",
            json={"reason": "x", "amount": 1},
            headers=ADMIN,
        ),
        "success page": client.get(
            "/billing/success/", query_string={"order": victim.order_id, "token": victim.token}
        ),
        "entitlements": client.get("/billing/entitlements", headers=user("user-1")),
    }
    assert {name: a.status_code for name, a in answers.items()} == {
        "checkout": 201,
        "order": 200,
        "unknown order": 404,
        "invoice pdf": 200,
        "invoice html": 200,
        "cancel": 200,
        "refund": 201,
        "success page": 303,  # its token moved into the cookie
        "entitlements": 200,
    }
    for name, answer in answers.items():
        assert "no-store" in answer.headers.get("Cache-Control", ""), name


# -- the two switches ----------------------------------------------------------------------


def test_billing_disabled_stops_every_flow(router: respx.MockRouter, victim: Victim) -> None:
    enabled = victim.shop
    disabled = make_stripe_shop(
        router,
        settings=stripe_settings(enabled=False),
        uow_factory=enabled.uow_factory,
        emulator=lambda *_: enabled.stripe,
    )
    before, calls = enabled.tables(), len(router.calls)
    refund = enabled.event(
        "refund.updated",
        {**enabled.stripe.intents[victim.intent_id], "object": "refund"},
        "evt_while_disabled",
    )
    answered = []
    for rule in _rules(disabled):
        if not rule.rule.startswith("/billing/") or rule.rule == "/billing/health/":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = _path(rule, victim, victim.order_id)
            answer = disabled.client.open(path, method=method, json={"reason": "x"}, headers=ADMIN)
            answered.append((method, rule.rule, answer.status_code, answer.json["code"]))  # type: ignore[index]
    signed = disabled.deliver(refund)
    checkout = disabled.checkout(email="late@example.com")

    assert {(status, code) for *_, status, code in answered} == {(503, "billing_disabled")}
    assert len(answered) >= 12
    assert (signed.status_code, signed.json["code"]) == (503, "billing_disabled")  # type: ignore[index]
    assert (checkout.status_code, checkout.json["code"]) == (503, "billing_disabled")  # type: ignore[index]
    assert enabled.tables() == before
    assert len(router.calls) == calls
    health = disabled.client.get("/billing/health/")
    assert (health.status_code, health.json["billing_enabled"]) == (200, False)  # type: ignore[index]
    disabled.container.unwire()


def test_without_a_webhook_secret_every_event_is_refused(router: respx.MockRouter) -> None:
    shop = make_stripe_shop(router, settings=stripe_settings(stripe_webhook_secrets=()))
    order_id, _, intent_id = shop.guest_order()
    event = json.dumps(shop.paid_event(intent_id)).encode()
    before = shop.tables()

    answers = [
        shop.post_webhook(event, None),
        shop.post_webhook(event, ""),
        shop.post_webhook(event, shop.signed(event, secret=WEBHOOK_SECRET)),
        shop.post_webhook(event, shop.signed(event, secret="")),
    ]

    assert [(a.status_code, a.json["code"]) for a in answers] == [(400, "invalid_signature")] * 4  # type: ignore[index]
    assert shop.tables() == before
    assert shop.tables().orders[order_id].status is OrderStatus.PENDING_PAYMENT
    health = shop.client.get("/billing/health/").json
    assert health["provider"]["webhook_secret_configured"] is False  # type: ignore[index]
    shop.container.unwire()

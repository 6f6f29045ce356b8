"""Every route but health is gated by ``BILLING_ENABLED``, and described in the OpenAPI document."""

from __future__ import annotations

import re

import attrs
import pytest
from openapi_spec_validator import validate

from billing.entrypoints.flask_app import create_app

from .conftest import ADMIN, SETTINGS, Shop, make_shop


def _routes() -> list[tuple[str, str]]:
    app = create_app(SETTINGS)
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/billing/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method.lower(), path))
    return found


ROUTES = _routes()


def test_the_app_has_every_route_of_the_issue() -> None:
    paths = {path for _, path in ROUTES}
    assert {
        "/billing/health/",
        "/billing/checkout/",
        "/billing/orders/{order_id}",
        "/billing/orders/{order_id}/cancel",
        "/billing/orders/{order_id}/refunds",
        "/billing/entitlements",
        "/billing/customers/merge",
        "/billing/webhooks/stripe/",
        "/billing/success/",
        "/billing/cancel/",
        "/billing/metrics",
        "/billing/openapi.json",
    } <= paths


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] != "/billing/health/"])
def test_every_route_but_health_answers_503_while_disabled(method: str, path: str) -> None:
    shop = make_shop(attrs.evolve(SETTINGS, enabled=False))
    url = path.replace("{order_id}", "ord_1").replace("{document_id}", "doc_1")
    url = url.replace("{fmt}", "pdf")

    answer = shop.client.open(url, method=method.upper(), json={}, headers=ADMIN)

    assert (answer.status_code, answer.json["code"]) == (503, "billing_disabled")
    shop.container.unwire()


def test_health_is_served_while_disabled() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, enabled=False))

    answer = shop.client.get("/billing/health/")

    assert answer.status_code == 200
    assert answer.json["billing_enabled"] is False
    shop.container.unwire()


def test_the_document_is_valid_openapi_and_covers_exactly_the_routes(shop: Shop) -> None:
    answer = shop.client.get("/billing/openapi.json")

    assert answer.status_code == 200
    document = answer.json
    validate(document)
    documented = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented == set(ROUTES)


def test_unknown_routes_and_methods_answer_json(shop: Shop) -> None:
    missing = shop.client.get("/billing/nowhere")
    wrong_method = shop.client.get("/billing/checkout/")

    assert (missing.status_code, missing.json["code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json["code"]) == (405, "method_not_allowed")


SANDBOX_SETTINGS = attrs.evolve(SETTINGS, payment_provider="sandbox")


def test_the_sandbox_routes_are_documented_when_it_is_mounted_and_only_then() -> None:
    app = create_app(SANDBOX_SETTINGS)
    routes = {
        (method.lower(), re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/billing/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    document = app.test_client().get("/billing/openapi.json").json

    validate(document)
    documented = {
        (method, path) for path, operations in document["paths"].items() for method in operations
    }
    assert documented == routes
    assert any(path.startswith("/billing/sandbox/") for _, path in documented)
    assert not any(path.startswith("/billing/sandbox/") for _, path in ROUTES)


def test_the_document_names_its_server(shop: Shop) -> None:
    document = shop.client.get("/billing/openapi.json").json

    assert document["servers"] == [
        {"url": "/", "description": "This host: every path starts with /billing/"}
    ]

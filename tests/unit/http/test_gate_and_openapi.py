"""Every route but health is gated by ``BILLING_ENABLED``, and described in the OpenAPI document
wherever billing is mounted: its own app at ``/billing``, or a host's app at ``/shop/billing``
(the document's server is the prefix, its paths relative to it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from flask import Flask
from openapi_spec_validator import validate

from billing import Billing
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings

from .conftest import ADMIN, SETTINGS, Shop, make_shop


def _routes(app: Flask | None = None, prefix: str = "/billing") -> list[tuple[str, str]]:
    """(method, path) of billing's routes in ``app``, each path as under ``prefix``."""
    found = []
    for rule in (app or create_app(SETTINGS)).url_map.iter_rules():
        if not rule.rule.startswith(prefix + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method.lower(), path))
    return found


def host_app(settings: Settings, prefix: str) -> Flask:
    """A host's own app, with a page of its own, and billing mounted in it at ``prefix``."""
    host = Flask("host")
    host.secret_key = "host-secret-for-tests"
    host.add_url_rule("/", "home", lambda: "the host's page")
    Billing(settings=attrs.evolve(settings, url_prefix=prefix)).init_app(host)
    return host


#: Where billing is mounted: its own app (``create_app``), a host's app under a deeper prefix.
MOUNTS = ("/billing", "/shop/billing")


@pytest.fixture(params=MOUNTS)
def mounted(request: pytest.FixtureRequest) -> Iterator[tuple[Flask, str]]:
    """(app, prefix) for each mount; the sandbox variant is ``SANDBOX_SETTINGS`` below."""
    yield from _mounted(SETTINGS, request.param)


def _mounted(settings: Settings, prefix: str) -> Iterator[tuple[Flask, str]]:
    app = create_app(settings) if prefix == "/billing" else host_app(settings, prefix)
    yield app, prefix
    app.extensions["billing.container"].unwire()


def documented_routes(document: dict[str, Any], prefix: str) -> set[tuple[str, str]]:
    """(method, path) of every operation, its path as served: the server's, then its own."""
    (server,) = document["servers"]
    assert server["url"] == prefix
    return {
        (method, prefix + path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


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


@pytest.mark.parametrize("prefix", ["/shop/billing", ""])
def test_billing_mounted_elsewhere_answers_503_on_every_route_but_health_while_disabled(
    prefix: str,
) -> None:
    """In a host's app the host's own page is still served; at the root, every path is
    billing's."""
    disabled = attrs.evolve(SETTINGS, enabled=False, url_prefix=prefix)
    app = host_app(disabled, prefix) if prefix else create_app(disabled)
    client = app.test_client()
    routes = [r for r in _routes(app, prefix) if not r[1].startswith("/static/")]
    assert {path.removeprefix(prefix) for _, path in routes} == {
        path.removeprefix("/billing") for _, path in ROUTES
    }

    for method, path in routes:
        url = path.replace("{order_id}", "ord_1").replace("{document_id}", "doc_1")
        answer = client.open(url.replace("{fmt}", "pdf"), method=method.upper(), json={})
        expected = (200, None) if path == f"{prefix}/health/" else (503, "billing_disabled")
        assert (answer.status_code, answer.json.get("code")) == expected, (method, path)
    if prefix:
        assert client.get("/").get_data(as_text=True) == "the host's page"
    app.extensions["billing.container"].unwire()


def test_health_is_served_while_disabled() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, enabled=False))

    answer = shop.client.get("/billing/health/")

    assert answer.status_code == 200
    assert answer.json["billing_enabled"] is False
    shop.container.unwire()


def test_the_document_is_valid_openapi_and_covers_exactly_the_routes(
    mounted: tuple[Flask, str],
) -> None:
    app, prefix = mounted

    answer = app.test_client().get(f"{prefix}/openapi.json")

    assert answer.status_code == 200
    document = answer.json
    validate(document)
    routes = set(_routes(app, prefix))
    assert documented_routes(document, prefix) == routes
    assert {path.removeprefix(prefix) for _, path in routes} == {
        path.removeprefix("/billing") for _, path in ROUTES
    }  # the same routes as billing's own app


def test_unknown_routes_and_methods_answer_json(shop: Shop) -> None:
    missing = shop.client.get("/billing/nowhere")
    wrong_method = shop.client.get("/billing/checkout/")

    assert (missing.status_code, missing.json["code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json["code"]) == (405, "method_not_allowed")


SANDBOX_SETTINGS = attrs.evolve(SETTINGS, payment_provider="sandbox")


@pytest.mark.parametrize("prefix", MOUNTS)
def test_the_sandbox_routes_are_documented_when_it_is_mounted_and_only_then(prefix: str) -> None:
    for app, _ in _mounted(SANDBOX_SETTINGS, prefix):
        document = app.test_client().get(f"{prefix}/openapi.json").json

        validate(document)
        documented = documented_routes(document, prefix)
        assert documented == set(_routes(app, prefix))
        assert any(path.startswith(f"{prefix}/sandbox/") for _, path in documented)
    assert not any(path.startswith("/billing/sandbox/") for _, path in ROUTES)


def test_the_document_names_where_billing_is_mounted_as_its_server(
    mounted: tuple[Flask, str],
) -> None:
    app, prefix = mounted

    document = app.test_client().get(f"{prefix}/openapi.json").json
    # The host's app served under /app by its WSGI server (SCRIPT_NAME): the server says so.
    under = app.test_client().get(f"{prefix}/openapi.json", base_url="http://host.test/app/")

    assert [server["url"] for server in document["servers"]] == [prefix]
    assert under.json["servers"][0]["url"] == f"/app{prefix}"
    assert "/health/" in document["paths"]
    assert not any(path.startswith(prefix) for path in document["paths"])

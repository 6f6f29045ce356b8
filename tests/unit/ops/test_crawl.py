"""The crawler's rules, on a small app whose OpenAPI document and pages say what they do."""

from __future__ import annotations

from typing import Any

import httpx
from flask import Flask, Response, jsonify, request

from billing.entrypoints.ops.crawl import run_crawl
from billing.entrypoints.ops.results import Check

ADMIN = {"admin": []}


def operation(codes: tuple[int, ...], security: list[dict[str, Any]] | None = None) -> Any:
    body: dict[str, Any] = {"responses": {str(c): {"description": "-"} for c in codes}}
    if security is not None:
        body["security"] = security
    return body


def site(paths: dict[str, Any], prefix: str = "/billing", **pages: str) -> Flask:
    """Billing-like routes under ``prefix``; its document's server is ``prefix``, its
    ``paths`` relative to it."""
    app = Flask("crawled")

    @app.get(f"{prefix}/openapi.json")
    def document() -> Response:
        return jsonify(openapi="3.1.0", servers=[{"url": prefix}], paths=paths)

    @app.get(f"{prefix}/orders/<order_id>")
    def order(order_id: str) -> tuple[Response, int]:
        return jsonify(code="order_not_found"), 404

    @app.get(f"{prefix}/leaky")
    def leaky() -> Response:
        return jsonify(secret="everyone sees it")

    @app.get(f"{prefix}/admin/list")
    def admin_list() -> tuple[Response, int]:
        authorized = request.headers.get("Authorization") == "Bearer admin-token"
        return jsonify(items=[]), 200 if authorized else 403

    @app.post(f"{prefix}/things")
    def create() -> tuple[Response, int]:
        return jsonify(code="invalid_input"), 400

    @app.get(f"{prefix}/broken")
    def broken() -> Response:
        raise RuntimeError("broken on purpose")

    for name, html in pages.items():
        app.add_url_rule(
            f"{prefix}/{name}", name, lambda html=html: Response(html, content_type="text/html")
        )
    return app


def crawl(
    app: Flask,
    admin_token: str | None = None,
    seeds: tuple[str, ...] = (),
    base_url: str = "http://shop.test/billing",
) -> list[Check]:
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base_url)
    return run_crawl(client, admin_token, seeds)


def verdicts(checks: list[Check]) -> dict[str, bool]:
    return {check.name: check.ok for check in checks}


def test_documented_refusals_pass_and_undocumented_answers_fail() -> None:
    paths = {
        "/openapi.json": {"get": operation((200,))},
        "/orders/{order_id}": {"get": operation((200, 404), [{"orderToken": []}])},
        "/things": {"post": operation((201, 400), [{}])},
        "/leaky": {"get": operation((200, 401), [{"user": []}])},
        "/broken": {"get": operation((200,))},
    }

    found = verdicts(crawl(site(paths)))

    assert found == {
        "GET /billing/openapi.json": True,
        "GET /billing/orders/{order_id}": True,  # 404 without credentials: refused, as it should
        "POST /billing/things": True,  # an empty body refused: nothing created
        "GET /billing/leaky": False,  # protected, yet 200 to an anonymous caller
        "GET /billing/broken": False,  # 500
    }


def test_a_public_page_of_an_id_may_answer_its_documented_404() -> None:
    documented = {"/orders/{order_id}": {"get": operation((200, 404))}}
    undocumented = {"/orders/{order_id}": {"get": operation((200,))}}

    assert verdicts(crawl(site(documented))) == {"GET /billing/orders/{order_id}": True}
    assert verdicts(crawl(site(undocumented))) == {"GET /billing/orders/{order_id}": False}


def test_an_admin_route_is_also_called_with_the_admin_token() -> None:
    paths = {"/admin/list": {"get": operation((200, 403), [ADMIN])}}

    assert verdicts(crawl(site(paths), "admin-token")) == {
        "GET /billing/admin/list": True,
        "GET /billing/admin/list (admin)": True,
    }
    assert verdicts(crawl(site(paths), "wrong-token"))["GET /billing/admin/list (admin)"] is False


def test_links_of_pages_are_followed_on_the_same_host_only() -> None:
    paths = {"/home": {"get": operation((200,))}}
    app = site(
        paths,
        home='<a href="/billing/about">about</a> <a href="https://elsewhere.test/x">out</a>'
        '<a href="mailto:a@b.c">mail</a> <img src="missing.png"> <a href="#top">top</a>',
        about='<a href="/billing/home">back</a>',
    )

    found = crawl(app)

    assert verdicts(found) == {
        "GET /billing/home": True,
        "link /billing/about": True,
        "link /billing/missing.png": False,
    }
    broken = next(check for check in found if not check.ok)
    assert broken.detail == "404, linked from /billing/home"


def test_seeds_are_crawled_like_linked_pages() -> None:
    app = site({}, page='<a href="/billing/gone">gone</a>')

    found = verdicts(crawl(app, seeds=("/billing/page?token=t",)))

    assert found == {"link /billing/page": True, "link /billing/gone": False}


def test_without_a_document_the_crawl_fails_at_once() -> None:
    app = Flask("empty")

    (only,) = crawl(app)

    assert (only.name, only.ok) == ("GET /billing/openapi.json", False)
    assert only.detail == (
        "404: no billing at http://shop.test/billing: --base-url is billing's address as a "
        "browser opens its storefront, its prefix included (e.g. http://host:8000/shop/billing/), "
        "or, served at the root, its document's (http://host:8000/openapi.json)"
    )


def test_routes_and_links_are_under_the_prefix_the_document_names() -> None:
    paths = {
        "/orders/{order_id}": {"get": operation((200, 404), [{"orderToken": []}])},
        "/home": {"get": operation((200,))},
        "/admin/list": {"get": operation((200, 403), [ADMIN])},
    }
    app = site(paths, prefix="/shop/billing", home='<a href="/shop/billing/about">about</a>')

    found = crawl(app, "admin-token", base_url="http://shop.test/shop/billing/")

    assert verdicts(found) == {
        "GET /shop/billing/orders/{order_id}": True,
        "GET /shop/billing/home": True,
        "GET /shop/billing/admin/list": True,
        "GET /shop/billing/admin/list (admin)": True,
        "link /shop/billing/about": False,  # linked, not served: 404
    }


def test_a_document_without_servers_has_its_paths_from_the_root() -> None:
    app = Flask("bare")

    @app.get("/api/openapi.json")
    def document() -> Response:
        return jsonify(openapi="3.1.0", paths={"/api/openapi.json": {"get": operation((200,))}})

    found = verdicts(crawl(app, base_url="http://shop.test/api"))

    assert found == {"GET /api/openapi.json": True}

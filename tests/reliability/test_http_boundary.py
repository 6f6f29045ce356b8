"""The HTTP trust boundary (``entrypoints/http_security.py``): what a browser, another site or a
hostile client can make the app do.

- Request forgery: the storefront form is refused (403) unless it comes from our own page with
  the CSRF token of the visitor's session, and makes nothing; the JSON API refuses the bodies
  another site's form can send (415) and any state-changing request another site's page sent
  (403), while non-browser clients keep working.
- Headers: every answer of every route of the URL map is ``nosniff``, never framed and names no
  address of ours to another site; every HTML page has a Content-Security-Policy that allows
  nothing but its own stylesheet (by hash), and a stored document is sandboxed.
- Hostile input: JSON nested 50,000 deep on every route, odd digits and 5,000-digit quantities,
  a megabyte of email: 400, never 500, nothing echoed whole; a redirect never names the
  request's ``Host``.
- The sandbox's JSON API answers only to its secret key or the admin token.

Routes come from the app's own ``url_map``, so a route added later is covered.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flask import Flask
from werkzeug.routing import Rule

from billing.entrypoints.views.identity import ORDER_TOKEN_COOKIE

from .conftest import (
    ADMIN,
    QUIET_HTTPX,
    SANDBOX_KEY,
    USER_HEADER,
    StripeShop,
    live_sandbox_app,
    user,
)

pytestmark = QUIET_HTTPX
STOREFRONT = "/billing/"
SHOP_FORM = "/billing/shop/checkout"
WEBHOOK = "/billing/webhooks/stripe/"
DEEP_JSON = b"[" * 50_000 + b"]" * 50_000
#: What an HTML form (or a ``no-cors`` fetch) of another site can send without a preflight.
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, "the page renders no CSRF token"
    return match[1]


def _form(shop: StripeShop, **fields: str) -> dict[str, str]:
    """The storefront's form as the client's own page renders it, with ``fields`` over it."""
    page = shop.client.get(STOREFRONT).get_data(as_text=True)
    form = {"quantity-book": "1", "email": "buyer@example.com", "csrf_token": _csrf_token(page)}
    return {**form, **fields}


# -- request forgery: the storefront form --------------------------------------------------------

FOREIGN = {
    "cross-site-fetch": ({"Sec-Fetch-Site": "cross-site"}, "cross_site_request"),
    "same-site-fetch": ({"Sec-Fetch-Site": "same-site"}, "cross_site_request"),
    "foreign-origin": ({"Origin": "https://evil.example"}, "cross_site_request"),
    "null-origin": ({"Origin": "null"}, "cross_site_request"),
    "lookalike-origin": ({"Origin": "https://shop.test.evil.example"}, "cross_site_request"),
    "no-csrf-token": ({}, "csrf_token_invalid"),
    "forged-csrf-token": ({}, "csrf_token_invalid"),
    "another-sessions-csrf-token": ({}, "csrf_token_invalid"),
}


@pytest.mark.parametrize("case", FOREIGN, ids=FOREIGN)
def test_a_storefront_post_that_is_not_from_our_page_is_refused_and_makes_nothing(
    shop: StripeShop, case: str
) -> None:
    headers, code = FOREIGN[case]
    form = _form(shop)
    if case == "no-csrf-token":
        del form["csrf_token"]
    elif case == "forged-csrf-token":
        form["csrf_token"] = form["csrf_token"][:-4] + "AAAA"
    elif case == "another-sessions-csrf-token":
        stranger = shop.app.test_client()  # the attacker's own session and token
        form["csrf_token"] = _csrf_token(stranger.get(STOREFRONT).get_data(as_text=True))
    before, calls = shop.tables(), len(shop.router.calls)

    answer = shop.client.post(SHOP_FORM, data=form, headers={**user(), **headers})

    assert answer.status_code == 403
    assert answer.json is not None
    assert answer.json["code"] == code
    assert "Reload" in answer.json["message"] or "reload" in answer.json["message"]
    assert ORDER_TOKEN_COOKIE not in answer.headers.get("Set-Cookie", "")
    assert shop.tables() == before
    assert len(shop.router.calls) == calls  # Stripe was asked nothing


OWN = {
    "same-origin-fetch": {"Sec-Fetch-Site": "same-origin"},
    "own-host-origin": {"Origin": "http://localhost"},
    "public-base-origin": {"Origin": "https://shop.test"},
    "browser-without-either-header": {},
}


@pytest.mark.parametrize("headers", OWN.values(), ids=OWN)
def test_a_storefront_post_from_our_own_page_buys(
    shop: StripeShop, headers: dict[str, str]
) -> None:
    answer = shop.client.post(SHOP_FORM, data=_form(shop), headers=headers)

    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"].startswith("https://checkout.stripe.com/")
    assert len(shop.tables().orders) == 1


def _post_rules(app: Flask) -> list[Rule]:
    """The state-changing routes of the JSON API: all but the form and the signed webhook."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or ()) and rule.rule not in (SHOP_FORM, WEBHOOK)
        ),
        key=lambda rule: rule.rule,
    )


def _fill(rule: Rule, values: dict[str, str]) -> str:
    missing = [name for name in rule.arguments if name not in values]
    assert missing == [], f"give {rule.rule}'s {missing} a value in this test"
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", value, path)
    return path


@pytest.mark.parametrize("media_type", sorted(FORM_MEDIA_TYPES))
def test_the_json_api_refuses_every_body_another_sites_form_can_send(
    shop: StripeShop, media_type: str
) -> None:
    order_id, _ = shop.user_order()
    routes = _post_rules(shop.app)
    assert len(routes) >= 5
    before, calls = shop.tables(), len(shop.router.calls)
    values = {"order_id": order_id, "event_id": "evt_anything"}

    for rule in routes:
        # As an administrator and the order's user: only the body's type can refuse it.
        answer = shop.client.post(
            _fill(rule, values),
            data=b"reason=x&email=a@example.com",
            content_type=media_type,
            headers={**ADMIN, **user()},
        )

        assert answer.status_code == 415, rule.rule
        assert answer.json["code"] == "unsupported_media_type"  # type: ignore[index]
    assert shop.tables() == before
    assert len(shop.router.calls) == calls


def test_a_request_another_sites_page_sends_to_the_json_api_is_refused(
    shop: StripeShop,
) -> None:
    order_id, _ = shop.user_order()
    before = shop.tables()

    # A no-cors fetch of another site: no body, the visitor's credentials, its Origin.
    cancel = shop.client.post(
        f"/billing/orders/{order_id}/cancel", headers={**user(), "Origin": "https://evil.test"}
    )
    checkout = shop.client.post(
        "/billing/checkout/",
        json={"items": [{"sku": "book"}]},
        headers={**user(), "Sec-Fetch-Site": "cross-site"},
    )

    assert (cancel.status_code, cancel.json["code"]) == (403, "cross_site_request")  # type: ignore[index]
    assert (checkout.status_code, checkout.json["code"]) == (403, "cross_site_request")  # type: ignore[index]
    assert shop.tables() == before


def test_the_json_api_stays_usable_by_non_browser_clients(shop: StripeShop) -> None:
    order_id, _ = shop.user_order()  # a JSON POST without Origin or Sec-Fetch-Site

    canceled = shop.client.post(f"/billing/orders/{order_id}/cancel", headers=user())
    from_our_page = shop.client.post(
        "/billing/checkout/",
        json={"items": [{"sku": "book"}]},
        headers={**user(), "Sec-Fetch-Site": "same-origin", "Origin": "https://shop.test"},
    )

    assert canceled.status_code == 200, canceled.json
    assert from_our_page.status_code == 201, from_our_page.json


# -- the live sandbox app: every page, its hosted page, its JSON API -----------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    with live_sandbox_app(tmp_path_factory.mktemp("boundary")) as served:
        yield served


def _paid_guest_order(client: httpx.Client) -> dict[str, Any]:
    """A guest's order paid on the hosted page through the storefront, as a browser does it."""
    form = {
        "quantity-ebook-python": "1",
        "email": "guest@example.com",
        "csrf_token": _csrf_token(client.get(STOREFRONT).text),
    }
    hosted = client.post(SHOP_FORM, data=form)
    assert hosted.status_code == 303, hosted.text
    page = client.get(hosted.headers["Location"])
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    paid = client.post(hosted.headers["Location"], data={**fields, "card": "4242424242424242"})
    assert paid.status_code == 303, paid.text
    order_id = paid.headers["Location"].split("order=")[1]
    return {"order_id": order_id, "payment_id": hosted.headers["Location"].rsplit("/", 1)[1]}


def _documents(client: httpx.Client, order_id: str) -> list[dict[str, Any]]:
    for _ in range(200):
        order = client.get(f"/billing/orders/{order_id}").json()
        if order["status"] == "paid" and order["documents"]:
            return list(order["documents"])
        time.sleep(0.05)  # the sandbox's thread delivers the payment events meanwhile
    raise AssertionError(f"order {order_id} not invoiced")


def _answers_of_every_get_route(base: str, app: Flask) -> dict[str, httpx.Response]:
    with httpx.Client(base_url=base, timeout=30) as client:
        bought = _paid_guest_order(client)  # the client now holds the guest's cookie
        [invoice] = _documents(client, bought["order_id"])
        values = {
            "order_id": bought["order_id"],
            "document_id": invoice["id"],
            "fmt": "html",
            "payment_id": bought["payment_id"],
            "object_id": bought["payment_id"],
            "event_id": "evt_anything",
            "filename": "missing.css",
            "font": "DejaVuSans.ttf",
        }
        answers = {}
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" in (rule.methods or ()):
                path = _fill(rule, values)
                query = {"order": bought["order_id"]} if "success" in path else {}
                answers[rule.rule] = client.get(path, params=query, headers=ADMIN)
        return answers


def _hashes(policy: str) -> set[str]:
    return set(re.findall(r"'sha256-([A-Za-z0-9+/=]+)'", policy))


def test_every_answer_and_every_html_page_of_the_url_map_carries_the_security_headers(
    live: tuple[str, Flask],
) -> None:
    answers = _answers_of_every_get_route(*live)
    pages = {
        rule: a for rule, a in answers.items() if a.headers["content-type"].startswith("text/html")
    }

    assert {
        "/billing/",
        "/billing/success/",
        "/billing/cancel/",
        "/billing/sandbox/checkout/<payment_id>",
        "/billing/orders/<order_id>/invoice.<fmt>",
        "/billing/orders/<order_id>/documents/<document_id>.<fmt>",
    } <= set(pages)
    for rule, answer in answers.items():
        assert answer.status_code < 500, rule
        assert answer.headers["X-Content-Type-Options"] == "nosniff", rule
        assert answer.headers["X-Frame-Options"] == "DENY", rule
        assert answer.headers["Referrer-Policy"] == "same-origin", rule
    for rule, answer in pages.items():
        policy = answer.headers["Content-Security-Policy"]
        directives = dict(d.strip().partition(" ")[::2] for d in policy.split(";"))
        assert directives["default-src"] == "'none'", rule
        assert directives["frame-ancestors"] == "'none'", rule
        assert directives["base-uri"] == "'none'", rule
        assert "script-src" not in directives, rule  # default-src 'none': no script at all
        assert "<script" not in answer.text, rule
        assert not re.search(r"\son[a-z]+=", answer.text), rule
        if "/orders/" in rule:  # a stored document: sandboxed, its own inline styles only
            assert "sandbox" in directives, rule
            continue
        assert "unsafe-inline" not in policy, rule
        assert not re.search(r"\sstyle=", answer.text), rule
        styles = re.findall(r"<style>(.*?)</style>", answer.text, re.S)
        assert styles, rule
        digests = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in styles}
        assert digests <= _hashes(directives["style-src"]), rule


def test_the_hosted_pages_form_needs_the_session_and_our_origin(
    live: tuple[str, Flask],
) -> None:
    base, _ = live
    with httpx.Client(base_url=base, timeout=30) as client:
        form = {
            "quantity-ebook-python": "1",
            "email": "guest@example.com",
            "csrf_token": _csrf_token(client.get(STOREFRONT).text),
        }
        hosted = client.post(SHOP_FORM, data=form).headers["Location"]
        page = client.get(hosted).text
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
        pay = {**fields, "card": "4242424242424242"}
        without_session = httpx.post(hosted, data=pay)  # another browser: no session cookie
        cross_site = client.post(hosted, data=pay, headers={"Sec-Fetch-Site": "cross-site"})
        tokenless = client.post(hosted, data={k: v for k, v in pay.items() if k != "csrf_token"})
        still_open = client.get(hosted).text

        paid = client.post(hosted, data=pay, headers={"Sec-Fetch-Site": "same-origin"})

    assert [a.status_code for a in (without_session, cross_site, tokenless)] == [403] * 3
    assert [a.json()["code"] for a in (without_session, cross_site, tokenless)] == [
        "csrf_token_invalid",
        "cross_site_request",
        "csrf_token_invalid",
    ]
    assert 'id="card"' in still_open
    assert paid.status_code == 303


def _basic(key: str) -> str:
    """HTTP Basic credentials with the key as user name, as ``curl -u key:`` sends them."""
    return base64.b64encode(f"{key}:".encode()).decode()


def _sandbox_api_routes(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/billing/sandbox/api/"):
            method = "POST" if "POST" in (rule.methods or ()) else "GET"
            found.append((method, rule.rule.replace("<object_id>", "{object_id}")))
    return sorted(found)


def test_the_sandbox_json_api_answers_only_to_its_secret_key_or_the_admin_token(
    live: tuple[str, Flask],
) -> None:
    base, app = live
    routes = _sandbox_api_routes(app)
    assert {path for _, path in routes} >= {
        "/billing/sandbox/api/pay",
        "/billing/sandbox/api/confirm",
        "/billing/sandbox/api/expire",
        "/billing/sandbox/api/deliver",
        "/billing/sandbox/api/objects/{object_id}",
    }
    with httpx.Client(base_url=base, timeout=30) as client:
        checkout = client.post(
            "/billing/checkout/",
            json={"items": [{"sku": "ebook-python"}], "email": "a@example.com"},
        ).json()
        payment_id, secret = checkout["payment"]["id"], checkout["payment"]["client_secret"]
        strangers = {
            "anonymous": {},
            "a guest's order token": {"Authorization": f"Bearer {checkout['order_token']}"},
            "the client secret": {"Authorization": f"Bearer {secret}"},
            "a wrong key": {"Authorization": f"Bearer {SANDBOX_KEY}x"},
            "a user": {USER_HEADER: "user-1"},
            "basic with a wrong key": {
                "Authorization": "Basic " + base64.b64encode(b"sk_x:").decode()
            },
        }
        bodies = {"pay": {"payment_id": payment_id, "card": "4242424242424242"}}
        for who, headers in strangers.items():
            for method, path in routes:
                url = path.format(object_id=payment_id)
                body = bodies.get(url.rsplit("/", 1)[1], {"payment_id": payment_id})
                answer = client.request(
                    method, url, json=body if method == "POST" else None, headers=headers
                )

                assert answer.status_code == 401, (who, method, path)
                assert answer.json()["code"] == "authentication_required"
                assert secret not in answer.text
        seen = client.get(f"/billing/orders/{checkout['order']['id']}", headers=ADMIN).json()
        assert seen["status"] == "pending_payment"  # nobody paid it

        key = {"Authorization": f"Bearer {SANDBOX_KEY}"}
        basic = {"Authorization": f"Basic {_basic(SANDBOX_KEY)}"}
        as_key = client.get(f"/billing/sandbox/api/objects/{payment_id}", headers=key)
        as_basic = client.get(f"/billing/sandbox/api/objects/{payment_id}", headers=basic)
        as_admin = client.post("/billing/sandbox/api/pay", json=bodies["pay"], headers=ADMIN)

    assert (as_key.status_code, as_basic.status_code, as_admin.status_code) == (200, 200, 200)
    assert as_key.json()["client_secret"] == secret
    assert as_admin.json()["status"] == "succeeded"


# -- hostile input -------------------------------------------------------------------------------


def _every_route(app: Flask, order_id: str) -> list[tuple[str, str]]:
    values = {
        "order_id": order_id,
        "document_id": "doc_x",
        "fmt": "pdf",
        "event_id": "evt_x",
        "filename": "x.css",
        "font": "DejaVuSans.ttf",
    }
    return sorted(
        (method, _fill(rule, values))
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    )


def test_json_nested_fifty_thousand_deep_is_a_400_on_every_route(shop: StripeShop) -> None:
    order_id, _ = shop.user_order()
    routes = _every_route(shop.app, order_id)
    assert ("GET", "/billing/health/") in routes
    before = shop.tables()

    for method, path in routes:
        answer = shop.client.open(
            path,
            method=method,
            data=DEEP_JSON,
            content_type="application/json",
            headers={**ADMIN, **user()},
        )

        where = f"{method} {path}"
        assert answer.status_code == 400, where
        expected = "invalid_signature" if path == WEBHOOK else "invalid_input"
        assert answer.json["code"] == expected, where  # type: ignore[index]
        assert len(answer.get_data()) < 1000, where
    assert shop.tables() == before


QUANTITIES = {
    "superscript-two": "²",
    "arabic-indic-digit": "٣",
    "fullwidth-digit": "\uff11",
    "five-thousand-digits": "9" * 5000,
    "exponent": "1e3",
    "negative": "-1",
    "sign": "+1",
    "hexadecimal": "0x10",
    "decimal": "1.0",
    "over-the-limit": "1001",
}


@pytest.mark.parametrize("quantity", QUANTITIES.values(), ids=QUANTITIES)
def test_a_storefront_quantity_that_is_not_plain_digits_is_a_400(
    shop: StripeShop, quantity: str
) -> None:
    before = shop.tables()

    answer = shop.client.post(SHOP_FORM, data={**_form(shop), "quantity-book": quantity})

    assert answer.status_code == 400
    assert answer.json["code"] == "invalid_input"  # type: ignore[index]
    assert shop.tables() == before


def test_a_megabyte_sent_is_not_a_megabyte_echoed(shop: StripeShop) -> None:
    junk = "x" * 1_000_000
    bodies = {
        "json email": shop.client.post(
            "/billing/checkout/", json={"items": [{"sku": "book"}], "email": junk}
        ),
        "form email": shop.client.post(SHOP_FORM, data={**_form(shop), "email": junk[:400_000]}),
        "form field name": shop.client.post(
            SHOP_FORM, data={**_form(shop), f"quantity-{junk[:400_000]}": "x"}
        ),
    }

    for name, answer in bodies.items():
        assert answer.status_code == 400, name
        assert len(answer.get_data()) < 2000, name
    shown = bodies["json email"].json["message"]  # type: ignore[index]
    assert shown.startswith("not an email address: 'xxx")
    assert shown.endswith("…")


def test_a_trailing_slash_redirect_never_names_the_requests_host(shop: StripeShop) -> None:
    answer = shop.client.get(
        "/billing/health", query_string={"probe": "1"}, headers={"Host": "evil.example"}
    )

    assert answer.status_code == 308
    assert answer.headers["Location"] == "/billing/health/?probe=1"


def test_the_success_page_moves_a_token_from_its_address_into_the_cookie(
    shop: StripeShop,
) -> None:
    order_id, token, _ = shop.guest_order()
    page = f"/billing/success/?order={order_id}&token={token}"

    moved = shop.client.get(page)
    shown = shop.client.get(moved.headers["Location"])
    stranger = shop.app.test_client().get(f"/billing/success/?order={order_id}&token=x")

    assert moved.status_code == 303
    assert moved.headers["Location"] == f"/billing/success/?order={order_id}"
    assert f"{ORDER_TOKEN_COOKIE}={token}" in moved.headers["Set-Cookie"]
    assert "HttpOnly" in moved.headers["Set-Cookie"]
    assert shown.status_code == 200
    assert order_id in shown.get_data(as_text=True)
    assert token not in shown.get_data(as_text=True)  # its links use the cookie
    assert (stranger.status_code, stranger.headers.get("Set-Cookie")) == (200, None)

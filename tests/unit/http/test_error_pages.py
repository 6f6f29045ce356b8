"""Browsers get an error page in a shopper's words with a way back to the shop; API clients
keep the JSON error (content negotiation on ``Accept``)."""

from __future__ import annotations

import re

import attrs

from billing.domain.errors import ProviderMisconfigured

from .conftest import SETTINGS, Shop, make_shop

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {"Accept": "application/json"}


def storefront_form(shop: Shop) -> dict[str, str]:
    page = shop.client.get("/billing/", headers=BROWSER).text
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))


def test_an_empty_cart_is_a_page_for_a_browser(shop: Shop) -> None:
    form = {**storefront_form(shop), "email": "ada@example.com"}

    page = shop.client.post("/billing/shop/checkout", data=form, headers=BROWSER)
    api = shop.client.post("/billing/shop/checkout", data=form, headers=API)

    assert page.status_code == 400
    assert page.mimetype == "text/html"
    assert 'href="/billing/" id="back"' in page.text
    assert "Something in the form needs a second look" in page.text
    assert api.status_code == 400
    assert api.json["code"] == "invalid_input"


def test_billing_disabled_is_a_page_for_a_browser_and_json_for_curl() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, enabled=False))

    page = shop.client.get("/billing/", headers=BROWSER)
    curl = shop.client.get("/billing/", headers={"Accept": "*/*"})

    assert page.status_code == 503
    assert page.mimetype == "text/html"
    assert "The shop is closed for the moment" in page.text
    assert "BILLING_ENABLED" not in page.text
    assert curl.status_code == 503
    assert curl.json["code"] == "billing_disabled"


def test_a_misconfigured_provider_is_a_page_without_the_operators_message(shop: Shop) -> None:
    form = {**storefront_form(shop), "email": "ada@example.com", "quantity-book": "1"}
    shop.provider.fail_next(ProviderMisconfigured("STRIPE_SECRET_KEY was refused by Stripe"))

    page = shop.client.post("/billing/shop/checkout", data=form, headers=BROWSER)

    assert page.status_code == 503
    assert "Payments are not available right now" in page.text
    assert "STRIPE_SECRET_KEY" not in page.text


def test_an_unknown_page_is_a_page_too(shop: Shop) -> None:
    page = shop.client.get("/billing/no-such-page", headers=BROWSER)

    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "This page does not exist" in page.text
    assert shop.client.get("/billing/no-such-page").json["code"] == "not_found"

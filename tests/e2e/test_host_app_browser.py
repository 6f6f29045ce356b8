"""The host example in a real browser: billing inside a host's app, at ``/shop/billing``.

Alice logs in on the host's own page, follows its link to the storefront, buys with the test
card 4242… on the sandbox's hosted page and lands on the success page; her order and what it
bought are hers (the order's JSON, the host's page). Bob, logged in on the same browser
afterwards, gets 404 for her order and holds nothing. Every page fits a phone and a desktop
without a horizontal scroll, and none breaks its Content-Security-Policy; the screenshots are
kept under ``test-artifacts/host_app/``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, WIDTHS, assert_fits, browser_page, policy_refusals

SHOTS = ARTIFACTS.parent / "host_app"  # test-artifacts/host_app/, gitignored
SHOP = "/shop/billing"


def log_in(page: Page, host: str, name: str) -> None:
    page.goto(f"{host}/")
    page.fill("#username", name)
    page.fill("#password", f"{name}-password")
    page.click("#login")
    expect(page.locator("#user")).to_have_text(name.capitalize())


@pytest.mark.parametrize("width", WIDTHS)
def test_a_host_user_buys_sees_the_order_and_the_other_user_does_not(
    live_host_app: str, chromium_path: str, width: int
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    host = live_host_app

    def fits(page: Page, name: str) -> None:
        assert_fits(page, SHOTS / f"{name}-{width}.png", width)

    with browser_page(chromium_path, width) as page:
        refused = policy_refusals(page)

        page.goto(f"{host}/")
        fits(page, "login")
        log_in(page, host, "alice")
        expect(page.locator("#entitlements")).to_contain_text("Nothing yet.")
        shop_link = page.locator("#shop")
        expect(shop_link).to_have_attribute("href", f"{SHOP}/")
        fits(page, "home")

        shop_link.click()
        page.wait_for_url(f"{host}{SHOP}/")
        expect(page.locator("#email")).to_have_count(0)  # signed in: no guest email asked
        fits(page, "storefront")
        page.fill("#quantity-ebook-python", "1")
        page.click("#pay")

        page.wait_for_url(f"**{SHOP}/sandbox/checkout/**")
        expect(page.locator("#payment-status")).to_be_visible()
        fits(page, "sandbox")
        page.fill("#card", "4242 4242 4242 4242")
        page.click("#submit")

        page.wait_for_url(f"**{SHOP}/success/**")
        expect(page.locator("#order-status")).to_have_attribute(
            "data-status", "paid", timeout=60_000
        )
        expect(page.locator("#order-total")).to_be_visible()
        fits(page, "success")
        (order_id,) = parse_qs(urlsplit(page.url).query)["order"]

        order = page.context.request.get(f"{host}{SHOP}/orders/{order_id}")
        assert order.status == 200, order.text()
        assert order.json()["status"] == "paid"
        held = page.context.request.get(f"{host}{SHOP}/entitlements").json()
        assert [e["key"] for e in held["entitlements"]] == ["ebook:python-patterns"]
        page.goto(f"{host}/")
        expect(page.locator("#entitlements")).to_contain_text("ebook:python-patterns")
        fits(page, "home-after-purchase")

        page.click("#logout")
        log_in(page, host, "bob")
        expect(page.locator("#entitlements")).to_contain_text("Nothing yet.")
        hidden = page.context.request.get(f"{host}{SHOP}/orders/{order_id}")
        assert hidden.status == 404
        assert hidden.json()["code"] == "order_not_found"
        held = page.context.request.get(f"{host}{SHOP}/entitlements").json()
        assert held["entitlements"] == []
        page.goto(f"{host}{SHOP}/success/?order={order_id}")  # Alice's order, not shown to Bob
        expect(page.locator("#order-status")).to_have_count(0)
        fits(page, "success-other-user")

        assert refused == []

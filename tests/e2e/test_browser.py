"""A guest buys in a real browser: storefront, the sandbox's hosted page, success, invoice.

The browser enforces the pages' Content-Security-Policy and sends its own ``Sec-Fetch-Site`` and
``Origin`` with the forms: nothing on the way is refused, and no page breaks its policy.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, WIDTHS, assert_fits, browser_page, policy_refusals

PAGES = ARTIFACTS.parent / "pages"  # test-artifacts/pages/, gitignored


def test_a_guest_pays_with_a_test_card_and_opens_the_invoice(
    live_app: str, chromium_path: str
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser_page(chromium_path) as page:
        refused = policy_refusals(page)

        page.goto(f"{live_app}/billing/")
        page.fill("#quantity-ebook-python", "1")
        page.fill("#email", "guest@example.com")
        page.click("#pay")

        page.wait_for_url("**/billing/sandbox/checkout/**")
        page.fill("#card", "4242 4242 4242 4242")
        page.click("#submit")

        page.wait_for_url("**/billing/success/**")
        expect(page.locator("#order-status")).to_have_text("Paid", timeout=60_000)

        invoice = page.locator("a", has_text="(pdf)").first
        expect(invoice).to_be_visible()  # the page reloads itself until the files exist
        page.screenshot(path=str(ARTIFACTS / "success.png"), full_page=True)
        href = invoice.get_attribute("href")
        assert href is not None
        answer = page.context.request.get(f"{live_app}{href}")
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.body().startswith(b"%PDF")

        # The HTML invoice, sandboxed by its policy, is drawn with the PDF's own fonts.
        page.goto(f"{live_app}{page.locator('a', has_text='(html)').first.get_attribute('href')}")
        loaded = page.evaluate(
            "document.fonts.ready.then(() => [...document.fonts]"
            ".filter(f => f.family.includes('Billing Sans') && f.status === 'loaded').length)"
        )
        assert loaded == 2  # regular and bold
        page.screenshot(path=str(ARTIFACTS / "invoice-html.png"), full_page=True)
        assert refused == []


def _fits(page: Page, name: str, width: int) -> None:
    """The page has no horizontal scroll at this width; its screenshot is kept."""
    assert_fits(page, PAGES / f"{name}-{width}.png", width)


def _lines_of_each_test_card(page: Page) -> list[int]:
    """On how many lines the sandbox page draws each test card number (one: not wrapped)."""
    numbers = page.locator("#test-cards .card-number")
    lines: list[int] = numbers.evaluate_all("spans => spans.map(s => s.getClientRects().length)")
    return lines


@pytest.mark.parametrize("width", WIDTHS)
def test_each_page_fits_a_phone_and_a_desktop_and_speaks_to_the_shopper(
    live_app: str, chromium_path: str, width: int
) -> None:
    PAGES.mkdir(parents=True, exist_ok=True)
    with browser_page(chromium_path, width) as page:
        page.goto(f"{live_app}/billing/")
        _fits(page, "storefront", width)
        page.fill("#quantity-ebook-python", "2")
        page.fill("#email", "guest@example.com")
        page.click("#pay")

        page.wait_for_url("**/billing/sandbox/checkout/**")
        expect(page.locator("#payment-status")).to_have_text("Awaiting payment")
        _fits(page, "sandbox", width)
        assert _lines_of_each_test_card(page) == [1, 1, 1, 1]
        hosted = page.url
        page.fill("#card", "4000 0025 0000 3155")
        page.click("#submit")
        page.click("#fail-authentication")
        expect(page.locator("#error")).to_contain_text("3-D Secure")
        expect(page.locator("#error")).not_to_contain_text("PaymentMethod")
        _fits(page, "sandbox-failed", width)

        page.fill("#card", "4242 4242 4242 4242")
        page.click("#submit")
        page.wait_for_url("**/billing/success/**")
        expect(page.locator("#order-status")).to_have_text("Paid", timeout=60_000)
        expect(page.locator("#order-total")).to_be_visible()
        _fits(page, "success", width)

        page.goto(hosted)  # the paid session's page: its way back goes to the shop
        expect(page.locator("#paid")).to_be_visible()
        _fits(page, "sandbox-paid", width)
        page.click("#back")
        page.wait_for_url(f"{live_app}/billing/")

        page.goto(f"{live_app}/billing/cancel/?order=cs_test_{'a1B2c3D4e5' * 6}")
        _fits(page, "cancel", width)
        page.click("#back")
        page.wait_for_url(f"{live_app}/billing/")

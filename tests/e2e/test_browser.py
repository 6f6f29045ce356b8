"""A guest buys in a real browser: storefront, the sandbox's hosted page, success, invoice.

The browser enforces the pages' Content-Security-Policy and sends its own ``Sec-Fetch-Site`` and
``Origin`` with the forms: nothing on the way is refused, and no page breaks its policy.
"""

from __future__ import annotations

from playwright.sync_api import expect, sync_playwright

from .conftest import ARTIFACTS

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_a_guest_pays_with_a_test_card_and_opens_the_invoice(
    live_app: str, chromium_path: str
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(60_000)  # a cold browser and first PDF render on a busy CI
        refused: list[str] = []  # what the browser blocked under a page's policy
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )

        page.goto(f"{live_app}/billing/")
        page.fill("#quantity-ebook-python", "1")
        page.fill("#email", "guest@example.com")
        page.click("#pay")

        page.wait_for_url("**/billing/sandbox/checkout/**")
        page.fill("#card", "4242 4242 4242 4242")
        page.click("#submit")

        page.wait_for_url("**/billing/success/**")
        expect(page.locator("#order-status")).to_have_text("paid", timeout=60_000)

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
        browser.close()

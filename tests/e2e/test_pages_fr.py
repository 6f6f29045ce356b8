"""The shopper's pages in French in a real browser (``BILLING_INVOICE_LOCALE=fr``), at a
phone's and a desktop's width: the words, ``lang``, amounts as French writes them, no sideways
scroll; screenshots under ``test-artifacts/pages/fr-*.png``."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import WIDTHS, browser_page
from .test_browser import PAGES, _fits, _lines_of_each_test_card

EURO = "\N{NO-BREAK SPACE}€"


@pytest.fixture
def live_settings() -> dict[str, object]:
    """Conftest's ``live_app``, in French."""
    return {"invoice_locale": "fr"}


def _french(page: Page, name: str, width: int, heading: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text(heading)
    _fits(page, f"fr-{name}", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_each_page_speaks_french_at_a_phones_and_a_desktops_width(
    live_app: str, chromium_path: str, width: int
) -> None:
    PAGES.mkdir(parents=True, exist_ok=True)
    with browser_page(chromium_path, width) as page:
        page.goto(f"{live_app}/billing/")
        _french(page, "storefront", width, "Boutique")
        expect(page.locator("table")).to_contain_text(EURO)
        expect(page.locator("#pay")).to_have_text("Continuer vers le paiement")
        page.fill("#email", "client@example.com")
        page.click("#pay")  # nothing in the cart: the error page
        _french(page, "error", width, "Un élément du formulaire est à revoir")
        page.click("#back")

        page.fill("#quantity-ebook-python", "2")
        page.fill("#email", "client@example.com")
        page.click("#pay")
        page.wait_for_url("**/billing/sandbox/checkout/**")
        expect(page.locator("#payment-status")).to_have_text("En attente de paiement")
        expect(page.locator("h1")).to_contain_text(EURO)
        _fits(page, "fr-sandbox", width)
        assert _lines_of_each_test_card(page) == [1, 1, 1, 1]
        page.fill("#card", "4000 0025 0000 3155")
        page.click("#submit")
        page.click("#fail-authentication")
        expect(page.locator("#error")).to_contain_text("Votre banque")
        _fits(page, "fr-sandbox-failed", width)

        page.fill("#card", "4242 4242 4242 4242")
        page.click("#submit")
        page.wait_for_url("**/billing/success/**")
        expect(page.locator("#order-status")).to_have_text("Payé", timeout=60_000)
        expect(page.locator("#order-total")).to_contain_text(EURO)
        _french(page, "success", width, "Merci pour votre commande")

        page.goto(f"{live_app}/billing/cancel/?order=cs_test_{'a1B2c3D4e5' * 6}")
        _french(page, "cancel", width, "Paiement annulé")
        expect(page.locator("#back")).to_have_text("Retour à la boutique")

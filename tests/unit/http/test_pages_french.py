"""With ``BILLING_INVOICE_LOCALE=fr`` the shopper's pages speak French: words, ``lang``, amounts
and dates as French writes them; the JSON API keeps English and codes; English stays the
pages' default."""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs
import pytest
from flask import Flask, render_template_string

from billing import Billing
from billing.domain.catalog import Product
from billing.domain.money import Money
from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.container import shutdown
from billing.entrypoints.settings import Settings

from .conftest import SETTINGS, Shop, make_shop

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
EURO = "\N{NO-BREAK SPACE}€"
ENGLISH = ("Back to the shop", "Shop", "Payment", "Thank you", "VAT", "Awaiting")


@pytest.fixture
def french() -> Iterator[Shop]:
    shop = make_shop(attrs.evolve(SETTINGS, invoice_locale="fr"))
    with shop.container.uow_factory()() as uow:
        uow.catalog.put(Product("card", "Une carte", Money(1200, "EUR")))
        uow.commit()
    yield shop
    shop.container.unwire()


def _visible_words(page: str) -> str:
    """The page's text a person reads: no tags, no stylesheet."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", page, flags=re.S))


def _assert_french(page: str) -> None:
    assert '<html lang="fr">' in page
    words = _visible_words(page)
    assert not [english for english in ENGLISH if english in words], words


def test_the_storefront_is_in_french_with_prices_as_french_writes_them(french: Shop) -> None:
    page = french.client.get("/billing/").text

    _assert_french(page)
    assert "<h1>Boutique</h1>" in page
    assert "Continuer vers le paiement" in page
    assert f"12,00{EURO}" in page
    assert f"25,00{EURO}" in page


def test_the_success_page_is_in_french(french: Shop) -> None:
    cart = {"items": [{"sku": "card", "quantity": 1}], "email": "g@e.test"}
    body = french.client.post("/billing/checkout/", json=cart).json
    assert body is not None
    url = f"/billing/success/?order={body['order']['id']}&token={body['order_token']}"

    page = french.client.get(url, follow_redirects=True).text

    _assert_french(page)
    assert "Merci pour votre commande" in page
    assert ">En attente de paiement<" in page
    assert f'id="order-total">12,00{EURO}<' in page
    assert "Passée le " in page
    assert "Retour à la boutique" in page


def test_the_cancel_page_is_in_french(french: Shop) -> None:
    page = french.client.get("/billing/cancel/?order=ord_1").text

    _assert_french(page)
    assert "<h1>Paiement annulé</h1>" in page
    assert 'pour la commande <code class="id">ord_1</code>' in page
    assert '<a href="/billing/" id="back">Retour à la boutique</a>' in page


def test_an_error_page_is_in_french_without_the_errors_english_message(french: Shop) -> None:
    page = french.client.get("/billing/").text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))

    empty = french.client.post(
        "/billing/shop/checkout", data={**form, "email": "ada@example.com"}, headers=BROWSER
    )
    missing = french.client.get("/billing/no-such-page", headers=BROWSER)

    assert empty.status_code == 400
    _assert_french(empty.text)
    assert "Un élément du formulaire est à revoir" in empty.text
    assert "Vérifiez les quantités" in empty.text
    assert missing.status_code == 404
    _assert_french(missing.text)
    assert "Cette page n\N{RIGHT SINGLE QUOTATION MARK}existe pas" in missing.text


def test_a_closed_shop_says_so_in_french() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, invoice_locale="fr", enabled=False))
    try:
        page = shop.client.get("/billing/", headers=BROWSER)
    finally:
        shop.container.unwire()

    assert page.status_code == 503
    _assert_french(page.text)
    assert "La boutique est fermée pour le moment" in page.text


def test_the_json_api_keeps_english_and_codes(french: Shop) -> None:
    answer = french.client.post("/billing/checkout/", json={"items": [], "email": "g@e.test"})

    assert answer.status_code == 400
    assert answer.json is not None
    assert answer.json["code"] == "invalid_input"
    assert answer.json["message"].isascii()  # the service's own English words


def test_english_stays_the_pages_default_while_documents_stay_french(shop: Shop) -> None:
    settings = Settings.from_env({})
    page = shop.client.get("/billing/").text

    assert (settings.page_locale, settings.document_locale) == ("en", "fr")
    assert '<html lang="en">' in page
    assert "<h1>Shop</h1>" in page
    assert "€25.00" in page


def test_one_setting_makes_pages_and_documents_english_and_a_third_language_is_refused() -> None:
    settings = Settings.from_env({"BILLING_INVOICE_LOCALE": "en"})

    assert (settings.page_locale, settings.document_locale) == ("en", "en")
    with pytest.raises(ConfigurationError, match="BILLING_INVOICE_LOCALE: must be one of fr, en,"):
        Settings.from_env({"BILLING_INVOICE_LOCALE": "de"})


def _host_gettext(app: Flask) -> None:
    """The host's own translations, installed as Flask-Babel installs them."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text: text.upper(), lambda one, _many, _n: one.upper(), newstyle=True
    )


@pytest.mark.parametrize("host_first", [True, False])
def test_a_hosts_own_gettext_and_billings_french_pages_leave_each_other_alone(
    host_first: bool,
) -> None:
    app = Flask("host")
    app.config.update(
        BILLING_ENABLED=True,
        BILLING_STORAGE="memory",
        BILLING_PAYMENT_PROVIDER="fake",
        BILLING_INVOICE_LOCALE="fr",
        BILLING_SECRET_KEY="host-secret-for-billing-tests-0123",
    )

    @app.get("/")
    def home() -> str:
        return render_template_string("<p>{{ _('Back to the shop') }}</p>")

    if host_first:
        _host_gettext(app)
    Billing(app)
    if not host_first:
        _host_gettext(app)
    try:
        client = app.test_client()
        host_page = client.get("/").text
        billing_page = client.get("/billing/cancel/").text
    finally:
        shutdown(Billing.container(app))

    assert host_page == "<p>BACK TO THE SHOP</p>"
    assert "Retour à la boutique" in billing_page

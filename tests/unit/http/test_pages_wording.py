"""What a shopper reads on the pages: statuses in words, totals with VAT per rate, a way back
to the shop, and a failed card explained without Stripe's developer message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest

from billing.domain.catalog import Product
from billing.domain.errors import PaymentDeclined
from billing.domain.invoice import TaxCategory
from billing.domain.money import Money
from billing.domain.state import OrderStatus
from billing.domain.tax import TaxRate
from billing.entrypoints.views.translation import LOCALES
from billing.entrypoints.views.wording import (
    STATUS_WORDS,
    moment_text,
    money_text,
    payment_failure,
    rate_text,
    status_words,
)

from .conftest import SETTINGS, Shop, make_shop


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("pending_payment", "Awaiting payment"),
        (OrderStatus.PAID, "Paid"),
        ("partially_refunded", "Partly refunded"),
        ("requires_action", "Awaiting authentication"),
        ("open", "Awaiting payment"),
        ("something_new", "Something new"),  # a code added later still reads as words
    ],
)
def test_a_status_reads_as_words(code: str, words: str) -> None:
    assert status_words(code, "en") == words


def test_every_order_status_has_its_own_words() -> None:
    for status in OrderStatus:
        assert status.value in STATUS_WORDS
        for locale in LOCALES:
            assert "_" not in status_words(status, locale)
            assert not status_words(status, locale).isupper()


def test_amounts_and_rates_read_as_a_person_writes_them_in_english() -> None:
    assert money_text(Money(2500, "EUR"), "en") == "€25.00"
    assert money_text({"amount": 900, "currency": "JPY"}, "en") == "¥900"
    assert rate_text(2000, "en") == "20%"
    assert rate_text(550, "en") == "5.5%"
    assert rate_text(1, "en") == "0.01%"


def test_amounts_rates_and_moments_read_as_french_writes_them() -> None:
    nbsp = "\N{NO-BREAK SPACE}"
    assert money_text(Money(123456, "EUR"), "fr") == f"1\N{NARROW NO-BREAK SPACE}234,56{nbsp}€"
    assert money_text({"amount": 1200, "currency": "EUR"}, "fr") == f"12,00{nbsp}€"
    assert rate_text(550, "fr") == f"5,5{nbsp}%"
    assert moment_text("2026-03-01T09:05:00+00:00", "fr").startswith("1 mars 2026")
    assert moment_text(datetime(2026, 3, 1, 9, 5, tzinfo=UTC), "en").startswith("March 1, 2026")


def test_a_failed_3d_secure_is_explained_without_stripes_developer_message() -> None:
    error = PaymentDeclined(
        "The provided PaymentMethod has failed authentication. You can provide "
        "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent.",
        stripe_code="payment_intent_authentication_failure",
        decline_code=None,
    )

    message = payment_failure(error, "en")

    assert "3-D Secure" in message
    assert "PaymentMethod" not in message


def test_a_decline_code_wins_over_the_generic_code_and_an_unknown_one_is_still_human() -> None:
    funds = PaymentDeclined("x", stripe_code="card_declined", decline_code="insufficient_funds")
    unknown = PaymentDeclined("do_not_honor: raw", stripe_code="weird", decline_code="odd")

    assert "insufficient funds" in payment_failure(funds, "en")
    assert payment_failure(unknown, "en").startswith("The payment did not go through.")


TAXED = (
    Product("ebook", "An e-book", Money(2900, "EUR"), tax=TaxRate(550, TaxCategory.REDUCED)),
    Product("course", "A course", Money(14900, "EUR"), tax=TaxRate(2000)),
)


@pytest.fixture
def taxed() -> Iterator[Shop]:
    shop = make_shop(attrs.evolve(SETTINGS))
    with shop.container.uow_factory()() as uow:
        for product in TAXED:
            uow.catalog.put(product)
        uow.commit()
    yield shop
    shop.container.unwire()


def _success_page(shop: Shop, order_id: str, token: str) -> str:
    url = f"/billing/success/?order={order_id}&token={token}"
    return shop.client.get(url, follow_redirects=True).get_data(as_text=True)


def test_the_success_page_shows_the_total_and_the_vat_of_each_rate(taxed: Shop) -> None:
    cart = [{"sku": "ebook", "quantity": 1}, {"sku": "course", "quantity": 2}]
    answer = taxed.client.post("/billing/checkout/", json={"items": cart, "email": "g@e.test"})
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body is not None

    page = _success_page(taxed, body["order"]["id"], body["order_token"])

    assert 'id="order-total">€327.00<' in page  # 29.00 + 2 x 149.00, VAT included
    assert "VAT 5.5% on €27.49" in page
    assert "VAT 20% on €248.33" in page
    assert "(VAT included)" in page
    assert "Awaiting payment" in page
    assert "PENDING_PAYMENT" not in page


def test_an_untaxed_order_shows_its_total_without_vat_lines(shop: Shop) -> None:
    order_id, token, _ = shop.guest_order()  # 25.00 + 2 x 75.00

    page = _success_page(shop, order_id, token)

    assert 'id="order-total">€175.00<' in page
    assert "VAT" not in page


def test_the_storefront_names_each_products_vat_rate(taxed: Shop) -> None:
    page = taxed.client.get("/billing/").get_data(as_text=True)

    assert "incl. VAT 5.5%" in page
    assert "incl. VAT 20%" in page


def test_the_cancel_and_success_pages_link_back_to_the_shop(shop: Shop) -> None:
    for url in ("/billing/cancel/?order=ord_1", "/billing/success/"):
        page = shop.client.get(url).get_data(as_text=True)
        assert re.search(r'<a href="/billing/" id="back">Back to the shop</a>', page), url


def test_the_pages_stylesheet_wraps_long_ids_and_keeps_codes_out_of_capitals() -> None:
    shop = make_shop()
    try:
        page = shop.client.get("/billing/cancel/?order=cs_test_" + "a" * 60).get_data(as_text=True)
    finally:
        shop.container.unwire()

    assert "overflow-wrap: anywhere" in page
    assert "uppercase" not in page

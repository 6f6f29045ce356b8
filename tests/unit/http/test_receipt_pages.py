"""What the buyer is told about e-mail, and what the e-mail carries: a promise only when mail
is configured, and never the guest's order token (only its own client holds it)."""

from __future__ import annotations

import attrs
from dependency_injector import providers

from billing.adapters.memory import MemoryMailer

from .conftest import SETTINGS, Shop, make_shop

PROMISE = "You will receive a confirmation by e-mail shortly."


def _mail_shop() -> tuple[Shop, MemoryMailer]:
    settings = attrs.evolve(
        SETTINGS, smtp_url="smtp://mail.shop.test", mail_from="receipts@shop.test"
    )
    shop = make_shop(settings)
    mailer = MemoryMailer()
    shop.container.mailer.override(providers.Object(mailer))
    return shop, mailer


def test_without_mail_the_success_page_promises_no_email(shop: Shop) -> None:
    page = shop.client.get("/billing/success/").get_data(as_text=True)

    assert "being confirmed" in page
    assert "e-mail" not in page


def test_with_mail_the_success_page_says_an_email_follows() -> None:
    shop, _ = _mail_shop()
    try:
        page = shop.client.get("/billing/success/").get_data(as_text=True)
    finally:
        shop.container.unwire()

    assert PROMISE in page


def test_the_receipt_names_the_order_and_carries_no_order_token() -> None:
    shop, mailer = _mail_shop()
    try:
        order_id, token, payment_id = shop.guest_order()
        assert shop.pay(payment_id).status_code == 200
    finally:
        shop.container.unwire()

    [message] = mailer.sent
    assert message.recipient == "guest@example.com"
    for body in (message.body.subject, message.body.text, message.body.html):
        assert token not in body
        assert "token" not in body.lower()
        assert "http://" not in body  # no link at all (README: "Receipts by e-mail")
        assert "https://" not in body
    assert order_id in message.body.text
    assert order_id in message.body.html

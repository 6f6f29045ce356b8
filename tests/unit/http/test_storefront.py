"""The storefront: the catalog on a page, a form that buys, the buyer sent to pay."""

from __future__ import annotations

import re

import pytest

from billing.domain.errors import StorageUnavailable
from billing.domain.guest_key import guest_key_weakness
from billing.domain.state import OrderStatus

from .conftest import Shop


def form_key(page: str) -> str:
    match = re.search(r'name="request_key" value="([^"]+)"', page)
    assert match is not None
    return match[1]


def csrf_token(shop: Shop) -> str:
    """The CSRF token of the client's session, as the storefront renders it."""
    match = re.search(
        r'name="csrf_token" value="([^"]+)"', shop.client.get("/billing/").get_data(as_text=True)
    )
    assert match is not None
    return match[1]


def test_the_storefront_lists_the_catalog_with_prices(shop: Shop) -> None:
    answer = shop.client.get("/billing/")

    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "A book" in page
    assert "€25.00" in page
    assert "¥900" in page
    assert 'name="quantity-course"' in page


def test_buying_sends_the_guest_to_the_hosted_page_with_a_private_cookie(shop: Shop) -> None:
    key = form_key(shop.client.get("/billing/").get_data(as_text=True))

    answer = shop.client.post(
        "/billing/shop/checkout",
        data={
            "quantity-book": "2",
            "quantity-course": "0",
            "email": "g@example.com",
            "request_key": key,
            "csrf_token": csrf_token(shop),
        },
    )

    assert answer.status_code == 303
    [payment] = shop.provider.payments.values()
    assert answer.headers["Location"] == payment.checkout_url
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("billing_order_token=")
    assert "HttpOnly" in cookie
    assert "Path=/billing/" in cookie
    order_id = shop.provider.orders_by_payment[payment.id]
    order = shop.order(order_id)
    assert [(i.sku, i.quantity) for i in order.items] == [("book", 2)]
    assert order.status is OrderStatus.PENDING_PAYMENT

    shop.pay(payment.id)
    success = shop.client.get(f"/billing/success/?order={order_id}")  # the cookie rides along
    assert "paid" in success.get_data(as_text=True)


def test_a_double_submitted_form_makes_one_order(shop: Shop) -> None:
    key = form_key(shop.client.get("/billing/").get_data(as_text=True))
    form = {
        "quantity-book": "1",
        "email": "g@example.com",
        "request_key": key,
        "csrf_token": csrf_token(shop),
    }

    first = shop.client.post("/billing/shop/checkout", data=form)
    second = shop.client.post("/billing/shop/checkout", data=form)

    assert first.headers["Location"] == second.headers["Location"]
    assert len(shop.provider.payments) == 1


def test_each_page_render_has_its_own_key(shop: Shop) -> None:
    first = form_key(shop.client.get("/billing/").get_data(as_text=True))
    second = form_key(shop.client.get("/billing/").get_data(as_text=True))

    assert first != second
    assert guest_key_weakness(first) is None  # a guest's key must be a secret: it is one
    assert guest_key_weakness(second) is None


def test_a_form_sent_again_after_a_lost_answer_finds_its_order_and_its_cookie(
    shop: Shop,
) -> None:
    key = form_key(shop.client.get("/billing/").get_data(as_text=True))
    form = {
        "quantity-book": "1",
        "email": "g@example.com",
        "request_key": key,
        "csrf_token": csrf_token(shop),
    }

    first = shop.client.post("/billing/shop/checkout", data=form)
    shop.client.delete_cookie("billing_order_token", path="/billing/")  # the answer was lost
    assert shop.client.get_cookie("billing_order_token", path="/billing/") is None
    again = shop.client.post("/billing/shop/checkout", data=form)

    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    [payment] = shop.provider.payments.values()
    order_id = shop.provider.orders_by_payment[payment.id]
    cookie = shop.client.get_cookie("billing_order_token", path="/billing/")
    assert cookie is not None
    assert shop.client.get(f"/billing/orders/{order_id}").status_code == 200  # the cookie rides
    with shop.container.uow_factory()() as uow:
        assert [o.id for o in uow.orders.list_for_guest("g@example.com")] == [order_id]


def test_a_form_whose_key_was_replaced_by_a_guessable_one_is_refused(shop: Shop) -> None:
    form = {
        "quantity-book": "1",
        "email": "g@example.com",
        "request_key": "cart-1001",
        "csrf_token": csrf_token(shop),
    }

    answer = shop.client.post("/billing/shop/checkout", data=form)

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_input")
    assert shop.provider.payments == {}


def test_a_bad_form_is_refused_and_makes_nothing(shop: Shop) -> None:
    token = csrf_token(shop)
    empty = shop.client.post(
        "/billing/shop/checkout", data={"email": "g@example.com", "csrf_token": token}
    )
    bad = shop.client.post(
        "/billing/shop/checkout",
        data={"quantity-book": "two", "email": "g@example.com", "csrf_token": token},
    )
    nobody = shop.client.post(
        "/billing/shop/checkout", data={"quantity-book": "1", "csrf_token": token}
    )

    assert (empty.status_code, empty.json["code"]) == (400, "invalid_input")
    assert (bad.status_code, bad.json["code"]) == (400, "invalid_input")
    assert (nobody.status_code, nobody.json["code"]) == (400, "invalid_input")
    assert shop.provider.payments == {}


def test_the_success_page_reloads_until_paid_and_invoiced(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.client.post(
        "/billing/shop/checkout",
        data={"quantity-book": "1", "email": "g@example.com", "csrf_token": csrf_token(shop)},
    )
    [payment] = shop.provider.payments.values()
    order_id = shop.provider.orders_by_payment[payment.id]
    page = f"/billing/success/?order={order_id}"
    assert 'http-equiv="refresh"' in shop.client.get(page).get_data(as_text=True)

    store = shop.container.artifact_store()

    def unwritable(key: str, data: bytes) -> str:
        raise StorageUnavailable("media root not writable")

    monkeypatch.setattr(store, "put", unwritable)
    shop.pay(payment.id)
    waiting = shop.client.get(page).get_data(as_text=True)
    assert "Preparing your invoice" in waiting
    assert 'http-equiv="refresh"' in waiting

    monkeypatch.undo()
    shop.container.invoices().render_order(order_id)  # what the retried job does
    done = shop.client.get(page).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done
    assert "INV-2026-000001 (pdf)" in done

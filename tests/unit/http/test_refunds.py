"""``POST /billing/orders/<id>/refunds``: administrators only, within what was paid."""

from __future__ import annotations

import pytest

from billing.domain.state import OrderStatus

from .conftest import ADMIN, Shop, guest, user


@pytest.fixture
def paid(shop: Shop) -> tuple[str, str]:
    order_id, token, payment_id = shop.guest_order()
    assert shop.pay(payment_id).status_code == 200
    return order_id, token


def test_an_admin_refunds_part_then_the_rest(shop: Shop, paid: tuple[str, str]) -> None:
    order_id, _ = paid
    url = f"/billing/orders/{order_id}/refunds"

    part = shop.client.post(url, json={"amount": 2500, "reason": "damaged"}, headers=ADMIN)
    rest = shop.client.post(url, json={"reason": "requested_by_customer"}, headers=ADMIN)

    assert part.status_code == rest.status_code == 201
    assert (part.json["status"], part.json["amount"]) == (
        "succeeded",
        {"amount": 2500, "currency": "EUR"},
    )
    assert rest.json["amount"]["amount"] == 17500 - 2500
    assert shop.order(order_id).status is OrderStatus.REFUNDED
    assert len(shop.provider.refunds) == 2


@pytest.mark.parametrize(
    "headers", [{}, user("user-1"), {"Authorization": "Bearer wrong-admin-token"}]
)
def test_anyone_but_an_admin_gets_404_and_nothing_is_refunded(
    shop: Shop, paid: tuple[str, str], headers: dict[str, str]
) -> None:
    order_id, _ = paid

    answer = shop.client.post(
        f"/billing/orders/{order_id}/refunds", json={"reason": "x"}, headers=headers
    )

    assert (answer.status_code, answer.json["code"]) == (404, "order_not_found")
    assert shop.provider.refunds == {}


def test_even_the_guest_owner_cannot_refund_itself(shop: Shop, paid: tuple[str, str]) -> None:
    order_id, token = paid

    answer = shop.client.post(
        f"/billing/orders/{order_id}/refunds", json={"reason": "x"}, headers=guest(token)
    )

    assert (answer.status_code, answer.json["code"]) == (404, "order_not_found")
    assert shop.provider.refunds == {}


def test_more_than_was_paid_is_refused(shop: Shop, paid: tuple[str, str]) -> None:
    order_id, _ = paid

    answer = shop.client.post(
        f"/billing/orders/{order_id}/refunds", json={"amount": 17501, "reason": "x"}, headers=ADMIN
    )

    assert (answer.status_code, answer.json["code"]) == (409, "refund_exceeds_refundable")
    assert shop.provider.refunds == {}
    assert shop.order(order_id).status is OrderStatus.PAID


def test_an_unpaid_order_is_not_refundable(shop: Shop) -> None:
    order_id, _ = shop.user_order()

    answer = shop.client.post(
        f"/billing/orders/{order_id}/refunds", json={"reason": "x"}, headers=ADMIN
    )

    assert (answer.status_code, answer.json["code"]) == (409, "order_not_refundable")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"amount": "10", "reason": "x"}, "$.amount"),
        ({"amount": 10}, "$.reason"),
        ({"amount": 10, "reason": "x", "currency": "USD"}, "extra fields found (currency)"),
    ],
)
def test_a_malformed_refund_body_gets_field_errors(
    shop: Shop, paid: tuple[str, str], body: dict[str, object], error: str
) -> None:
    order_id, _ = paid

    answer = shop.client.post(f"/billing/orders/{order_id}/refunds", json=body, headers=ADMIN)

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_input")
    assert any(error in e for e in answer.json["details"]["errors"])
    assert shop.provider.refunds == {}


def test_an_unknown_order_is_404_for_an_admin_too(shop: Shop) -> None:
    answer = shop.client.post("/billing/orders/ord_x/refunds", json={"reason": "x"}, headers=ADMIN)

    assert (answer.status_code, answer.json["code"]) == (404, "order_not_found")

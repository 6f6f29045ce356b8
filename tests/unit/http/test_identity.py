"""Who is calling: the trusted user header only when configured, a host callable, the admin."""

from __future__ import annotations

import attrs
from dependency_injector import providers

from .conftest import CART, SETTINGS, Shop, make_shop


def test_the_user_header_is_ignored_unless_configured() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, user_header=""))

    answer = shop.checkout({"X-User-Id": "user-1"})

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_input")
    assert answer.json["details"]["field"] == "email"
    shop.container.unwire()


def test_without_an_admin_token_nobody_is_admin() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, admin_token=""))
    order_id, _, payment_id = shop.guest_order()
    shop.pay(payment_id)

    for header in ("Bearer ", "Bearer  x", "Basic x"):
        answer = shop.client.post(
            f"/billing/orders/{order_id}/refunds",
            json={"reason": "x"},
            headers={"Authorization": header},
        )
        assert (answer.status_code, answer.json["code"]) == (404, "order_not_found")
    assert shop.provider.refunds == {}
    shop.container.unwire()


def test_a_host_callable_names_the_user(shop: Shop) -> None:
    with shop.container.user_loader.override(providers.Object(lambda: "user-5")):
        answer = shop.client.post("/billing/checkout/", json=CART)
        order_id = answer.json["order"]["id"]
        seen = shop.client.get(f"/billing/orders/{order_id}")

    assert answer.status_code == 201
    assert shop.order(order_id).customer.user_id == "user-5"
    assert seen.status_code == 200
    assert shop.client.get(f"/billing/orders/{order_id}").status_code == 404

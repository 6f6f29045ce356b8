"""``GET /billing/entitlements`` and ``POST /billing/customers/merge``."""

from __future__ import annotations

import pytest

from .conftest import ADMIN, Shop, guest, user


def test_a_user_sees_what_its_paid_orders_grant(shop: Shop) -> None:
    _, payment_id = shop.user_order("user-1")
    shop.pay(payment_id)
    shop.user_order("user-1")  # unpaid: grants nothing

    answer = shop.client.get("/billing/entitlements", headers=user("user-1"))
    other = shop.client.get("/billing/entitlements", headers=user("user-2"))

    assert answer.status_code == 200
    assert sorted(e["key"] for e in answer.json["entitlements"]) == [
        "course:stripe",
        "library:book",
    ]
    assert other.json == {"entitlements": []}


def test_entitlements_need_a_logged_in_user(shop: Shop) -> None:
    _, token, _ = shop.guest_order()

    anonymous = shop.client.get("/billing/entitlements")
    a_guest = shop.client.get("/billing/entitlements", headers=guest(token))

    assert (anonymous.status_code, anonymous.json["code"]) == (401, "authentication_required")
    assert (a_guest.status_code, a_guest.json["code"]) == (401, "authentication_required")


def test_the_host_merges_a_guest_into_a_user_once(shop: Shop) -> None:
    order_id, _, payment_id = shop.guest_order("buyer@example.com")
    shop.pay(payment_id)
    body = {"email": "Buyer@Example.com", "user_id": "user-9"}

    first = shop.client.post("/billing/customers/merge", json=body, headers=ADMIN)
    again = shop.client.post("/billing/customers/merge", json=body, headers=ADMIN)

    assert first.status_code == again.status_code == 200
    assert first.json == {"orders": 1, "entitlements": 2}
    assert again.json == {"orders": 0, "entitlements": 0}
    held = shop.client.get("/billing/entitlements", headers=user("user-9")).json
    assert len(held["entitlements"]) == 2
    assert shop.client.get(f"/billing/orders/{order_id}", headers=user("user-9")).status_code == 200


def test_after_a_merge_the_guest_token_opens_nothing(shop: Shop) -> None:
    paid_id, paid_token, payment_id = shop.guest_order("buyer@example.com")
    shop.pay(payment_id)
    unpaid_id, unpaid_token, _ = shop.guest_order("buyer@example.com")
    assert (
        shop.client.get(f"/billing/orders/{paid_id}", headers=guest(paid_token)).status_code == 200
    )

    merged = shop.client.post(
        "/billing/customers/merge",
        json={"email": "buyer@example.com", "user_id": "user-9"},
        headers=ADMIN,
    )

    assert merged.json == {"orders": 2, "entitlements": 2}
    for order_id, token in ((paid_id, paid_token), (unpaid_id, unpaid_token)):
        order = f"/billing/orders/{order_id}"
        assert shop.client.get(order, headers=guest(token)).status_code == 404
        assert shop.client.get(order, query_string={"token": token}).status_code == 404
        assert shop.client.get(order, headers=user("user-9")).status_code == 200
    invoice = f"/billing/orders/{paid_id}/invoice.pdf"
    assert shop.client.get(invoice, headers=guest(paid_token)).status_code == 404
    assert shop.client.get(invoice, headers=user("user-9")).status_code == 200
    cancel = shop.client.post(f"/billing/orders/{unpaid_id}/cancel", headers=guest(unpaid_token))
    assert cancel.status_code == 404
    assert shop.order(unpaid_id).status.value == "pending_payment"
    assert shop.order(paid_id).access_token_sha256 is None


def test_only_the_host_may_merge(shop: Shop) -> None:
    shop.guest_order("buyer@example.com")
    body = {"email": "buyer@example.com", "user_id": "user-9"}

    as_user = shop.client.post("/billing/customers/merge", json=body, headers=user("user-9"))

    assert (as_user.status_code, as_user.json["code"]) == (403, "admin_required")
    with shop.container.uow_factory()() as uow:
        assert uow.orders.list_for_user("user-9") == []


def test_a_merge_body_is_checked(shop: Shop) -> None:
    answer = shop.client.post("/billing/customers/merge", json={"email": "a@b.io"}, headers=ADMIN)

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_input")
    assert any("$.user_id" in e for e in answer.json["details"]["errors"])


@pytest.mark.parametrize("user_id", ["", "x" * 256])
def test_a_merge_into_an_impossible_user_id_is_refused(shop: Shop, user_id: str) -> None:
    body = {"email": "a@b.io", "user_id": user_id}
    answer = shop.client.post("/billing/customers/merge", json=body, headers=ADMIN)

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_input")
    assert answer.json["details"]["field"] == "user_id"

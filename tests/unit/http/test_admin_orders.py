"""The administrators' listings: orders filtered and newest first, a keyset page at a time with
their totals; one order with its payments; refunds. Only for administrators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator

from .conftest import ADMIN, Shop, user


def orders_page(shop: Shop, **params: str) -> dict:  # type: ignore[type-arg]
    answer = shop.client.get("/billing/admin/orders", query_string=params, headers=ADMIN)
    assert answer.status_code == 200, answer.json
    return answer.json  # type: ignore[no-any-return]


def make_orders(shop: Shop, count: int) -> list[str]:
    made = []
    for n in range(count):
        order_id, _ = shop.user_order(f"user-{n % 2}")
        made.append(order_id)
        shop.clock.advance(minutes=1)
    return made


def test_orders_are_listed_newest_first_with_their_totals(shop: Shop) -> None:
    first, second = make_orders(shop, 2)
    paid_id, payment = shop.user_order("user-9")
    assert shop.pay(payment).status_code == 200

    page = orders_page(shop)

    assert [o["id"] for o in page["orders"]] == [paid_id, second, first]
    assert page["next"] is None
    paid = page["orders"][0]
    assert paid["status"] == "paid"
    assert paid["user_id"] == "user-9"
    assert paid["total"] == {"amount": 17500, "currency": "EUR"}  # 25.00 + 2 * 75.00
    assert paid["paid"] == {"amount": 17500, "currency": "EUR"}
    assert paid["refunded"] == {"amount": 0, "currency": "EUR"}
    assert paid["disputed_lost"] == {"amount": 0, "currency": "EUR"}


def test_pages_follow_the_cursor_without_repeating_or_skipping(shop: Shop) -> None:
    made = make_orders(shop, 5)

    one = orders_page(shop, limit="2")
    two = orders_page(shop, limit="2", after=one["next"])
    three = orders_page(shop, limit="2", after=two["next"])

    seen = [o["id"] for page in (one, two, three) for o in page["orders"]]
    assert seen == list(reversed(made))
    assert three["next"] is None


def test_filters_by_status_user_email_and_creation_time(shop: Shop) -> None:
    started = shop.clock.now()
    user0_a, _, user0_b = make_orders(shop, 3)
    guest_id, _, payment = shop.guest_order("guest@example.com")
    shop.pay(payment)

    by_user = orders_page(shop, user_id="user-0")
    by_email = orders_page(shop, email="guest@example.com")
    by_status = orders_page(shop, status="paid")
    window = orders_page(
        shop,
        created_from=(started + timedelta(seconds=30)).isoformat(),
        created_before=(started + timedelta(minutes=2, seconds=30)).isoformat(),
    )

    assert [o["id"] for o in by_user["orders"]] == [user0_b, user0_a]
    assert [o["id"] for o in by_email["orders"]] == [guest_id]
    assert [o["id"] for o in by_status["orders"]] == [guest_id]
    assert len(window["orders"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "201"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"status": "lost"}, "status"),
        ({"after": "not-a-cursor"}, "after"),
        ({"created_from": "yesterday"}, "created_from"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(shop: Shop, params: dict[str, str], field: str) -> None:
    answer = shop.client.get("/billing/admin/orders", query_string=params, headers=ADMIN)

    assert answer.status_code == 400
    assert answer.json["code"] == "invalid_input"
    assert answer.json["details"]["field"] == field


@pytest.mark.parametrize("path", ["/billing/admin/orders", "/billing/admin/refunds"])
def test_only_administrators_may_read_them(shop: Shop, path: str) -> None:
    assert shop.client.get(path).status_code == 403
    assert shop.client.get(path, headers=user("user-1")).status_code == 403


def test_an_order_shown_to_a_non_administrator_is_not_found(shop: Shop) -> None:
    order_id, _ = shop.user_order("user-1")

    for headers in ({}, user("user-1")):
        answer = shop.client.get(f"/billing/admin/orders/{order_id}", headers=headers)
        assert answer.status_code == 404
        assert answer.json["code"] == "order_not_found"


def test_one_order_with_its_payments_and_refunds(shop: Shop) -> None:
    order_id, payment = shop.user_order("user-1")
    shop.pay(payment)
    refunded = shop.client.post(
        f"/billing/orders/{order_id}/refunds",
        json={"amount": 500, "reason": "goodwill"},
        headers=ADMIN,
    )
    assert refunded.status_code in (200, 201), refunded.json

    shown = shop.client.get(f"/billing/admin/orders/{order_id}", headers=ADMIN)
    refunds = shop.client.get("/billing/admin/refunds", headers=ADMIN)

    assert shown.status_code == 200
    body = shown.json
    assert body["id"] == order_id
    assert [p["provider_payment_id"] for p in body["payments"]] == [payment]
    assert [t["to"] for t in body["transitions"]][-1] == "partially_refunded"
    assert [r["amount"]["amount"] for r in body["refunds"]] == [500]
    assert [e["type"] for e in body["events"]] == ["payment.succeeded"]  # the fake's name
    assert "payload" not in body["events"][0]  # the raw body: /billing/admin/webhooks/<id>
    assert [r["order_id"] for r in refunds.json["refunds"]] == [order_id]
    assert shop.client.get("/billing/admin/orders/ord_none", headers=ADMIN).status_code == 404


def test_one_order_answers_exactly_its_documented_schema(shop: Shop) -> None:
    order_id, payment = shop.user_order("user-1")
    shop.pay(payment)
    document = shop.client.get("/billing/openapi.json").json
    answer = document["paths"]["/admin/orders/{order_id}"]["get"]["responses"]["200"]
    schema = {**answer["content"]["application/json"]["schema"], **document}

    body = shop.client.get(f"/billing/admin/orders/{order_id}", headers=ADMIN).json

    Draft202012Validator(schema).validate(body)
    shown = document["components"]["schemas"]["AdminOrder"]
    assert set(body) == set(shown["properties"])
    assert {"transitions", "payments", "refunds", "documents", "events"} <= set(shown["required"])
    assert shown["properties"]["payments"]["items"] == {"$ref": "#/components/schemas/PaymentRow"}


def test_a_journaled_event_shows_the_raw_payload_it_came_with(shop: Shop) -> None:
    _, payment = shop.user_order("user-1")
    delivery = shop.events.payment_succeeded(payment)
    shop.client.post(
        "/billing/webhooks/stripe/",
        data=delivery.payload,
        headers={"Stripe-Signature": delivery.signature},
    )
    [event] = shop.client.get("/billing/admin/webhooks", headers=ADMIN).json["events"]

    shown = shop.client.get(f"/billing/admin/webhooks/{event['id']}", headers=ADMIN)
    anonymous = shop.client.get(f"/billing/admin/webhooks/{event['id']}")
    missing = shop.client.get("/billing/admin/webhooks/evt_none", headers=ADMIN)

    assert shown.status_code == 200
    assert shown.json["payload"].encode() == delivery.payload
    assert shown.json["status"] == "processed"
    assert anonymous.status_code == 403
    assert missing.status_code == 404
    assert missing.json["code"] == "webhook_event_not_found"

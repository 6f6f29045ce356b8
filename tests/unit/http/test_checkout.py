"""``POST /billing/checkout/``: catalog prices only, guests and users, idempotent retries."""

from __future__ import annotations

import pytest

from .conftest import CART, Shop, guest, user

GUEST_KEY = "0b5f3c52-8c0e-4d3a-9a59-6a3e1f27c4d8"  # a UUID4, as a client makes one
OTHER_KEY = "Hq1vZQy3Jd8Wb0sKx7mNcA"  # secrets.token_urlsafe(16)


def test_a_guest_checkout_answers_the_order_the_payment_and_a_token(shop: Shop) -> None:
    answer = shop.checkout(email="Guest@Example.com")

    assert answer.status_code == 201
    body = answer.json
    order, payment = body["order"], body["payment"]
    assert order["status"] == "pending_payment"
    assert order["total"] == {"amount": 2500 + 2 * 7500, "currency": "EUR"}
    assert [(i["sku"], i["quantity"], i["unit_price"]["amount"]) for i in order["items"]] == [
        ("book", 1, 2500),
        ("course", 2, 7500),
    ]
    assert payment["provider"] == "fake"
    assert payment["intent_id"] == payment["id"] == shop.order(order["id"]).provider_payment_id
    assert payment["client_secret"] == shop.provider.payments[payment["id"]].client_secret
    assert payment["checkout_url"] is None
    assert len(body["order_token"]) >= 22  # ≥ 128 bits in URL-safe base64
    assert shop.order(order["id"]).customer.email == "guest@example.com"


def test_a_user_checkout_has_no_guest_token(shop: Shop) -> None:
    answer = shop.checkout(user("user-7"))

    assert answer.status_code == 201
    assert "order_token" not in answer.json
    assert shop.order(answer.json["order"]["id"]).customer.user_id == "user-7"


def test_a_checkout_session_answers_the_hosted_page_url(shop: Shop) -> None:
    answer = shop.checkout(email="guest@example.com", mode="checkout_session")

    assert answer.status_code == 201
    payment = answer.json["payment"]
    assert payment["mode"] == "checkout_session"
    assert payment["checkout_url"].startswith("https://fake.invalid/pay/cs_fake")
    assert payment["client_secret"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"sku": "book", "quantity": 1, "amount": 1}], "email": "g@x.io"}, "amount"),
        ({"items": [{"sku": "book", "unit_price": 1}], "email": "g@x.io"}, "unit_price"),
        ({**CART, "email": "g@x.io", "total": {"amount": 1, "currency": "EUR"}}, "total"),
        ({**CART, "email": "g@x.io", "price": 1}, "price"),
    ],
)
def test_a_price_in_the_body_is_refused_and_nothing_is_created(
    shop: Shop, body: dict[str, object], field: str
) -> None:
    answer = shop.client.post("/billing/checkout/", json=body)

    assert answer.status_code == 400
    assert answer.json["code"] == "invalid_input"
    assert any(f"extra fields found ({field})" in e for e in answer.json["details"]["errors"])
    assert shop.provider.payments == {}
    with shop.container.uow_factory()() as uow:
        assert uow.orders.list_for_guest("g@x.io") == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"items": [{"sku": "book", "quantity": "2"}], "email": "g@x.io"}, "$.items[0].quantity"),
        ({"items": [{"sku": "book", "quantity": True}], "email": "g@x.io"}, "$.items[0].quantity"),
        ({"items": [{"sku": "book", "quantity": 1.5}], "email": "g@x.io"}, "$.items[0].quantity"),
        (
            {"items": [{"sku": "book", "quantity": 2.0**60}], "email": "g@x.io"},
            "$.items[0].quantity",
        ),
        ({"email": "g@x.io"}, "$.items"),
        ({"items": [{"quantity": 1}], "email": "g@x.io"}, "$.items[0].sku"),
        ({**CART, "email": "g@x.io", "mode": "bitcoin"}, "$.mode"),
        ([1, 2], "$"),
    ],
)
def test_a_malformed_body_gets_field_errors(shop: Shop, body: object, error: str) -> None:
    answer = shop.client.post("/billing/checkout/", json=body)

    assert answer.status_code == 400
    assert answer.json["code"] == "invalid_input"
    assert any(error in e for e in answer.json["details"]["errors"])


def test_an_integral_number_is_an_integer_as_in_the_published_schema(shop: Shop) -> None:
    answer = shop.client.post(
        "/billing/checkout/",
        json={"items": [{"sku": "course", "quantity": 2.0}], "email": "g@x.io"},
    )

    assert answer.status_code == 201
    assert [(i["sku"], i["quantity"]) for i in answer.json["order"]["items"]] == [("course", 2)]
    assert answer.json["order"]["total"]["amount"] == 2 * 7500


def test_a_body_that_is_not_json_is_refused(shop: Shop) -> None:
    answer = shop.client.post("/billing/checkout/", data="items=book")

    assert answer.status_code == 400
    assert answer.json["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**CART}, 400, "invalid_input"),  # a guest without an email
        ({**CART, "email": "not-an-email"}, 400, "invalid_input"),
        ({"items": [{"sku": "nope"}], "email": "g@x.io"}, 404, "unknown_product"),
        ({"items": [{"sku": "book", "quantity": 0}], "email": "g@x.io"}, 400, "invalid_input"),
        ({"items": [{"sku": "book"}, {"sku": "manga"}], "email": "g@x.io"}, 400, "invalid_input"),
        ({"items": [], "email": "g@x.io"}, 400, "invalid_input"),
    ],
)
def test_business_rules_are_answered_with_their_code(
    shop: Shop, body: dict[str, object], status: int, code: str
) -> None:
    answer = shop.client.post("/billing/checkout/", json=body)

    assert (answer.status_code, answer.json["code"]) == (status, code)
    assert shop.provider.payments == {}


def test_a_retried_checkout_returns_the_same_order_payment_and_token(shop: Shop) -> None:
    key = {"Idempotency-Key": GUEST_KEY}

    first = shop.checkout(key, email="guest@example.com")
    second = shop.checkout(key, email="guest@example.com")

    assert first.status_code == second.status_code == 201
    assert second.json["order"]["id"] == first.json["order"]["id"]
    assert second.json["payment"] == first.json["payment"]
    assert second.json["order_token"] == first.json["order_token"]
    assert len(shop.provider.payments) == 1
    with shop.container.uow_factory()() as uow:
        assert len(uow.orders.list_for_guest("guest@example.com")) == 1
    token = second.json["order_token"]
    seen = shop.client.get(f"/billing/orders/{first.json['order']['id']}?token={token}")
    assert seen.status_code == 200


def test_other_keys_and_other_callers_get_other_orders(shop: Shop) -> None:
    first = shop.checkout({"Idempotency-Key": "k1", **user("user-1")})
    other_key = shop.checkout({"Idempotency-Key": "k2", **user("user-1")})
    other_user = shop.checkout({"Idempotency-Key": "k1", **user("user-2")})
    without_key = shop.checkout(user("user-1"))

    ids = {r.json["order"]["id"] for r in (first, other_key, other_user, without_key)}
    assert len(ids) == 4
    assert len(shop.provider.payments) == 4


def test_a_key_reused_for_another_cart_is_refused(shop: Shop) -> None:
    key = {"Idempotency-Key": "k1", **user()}
    shop.checkout(key)

    answer = shop.client.post("/billing/checkout/", json={"items": [{"sku": "book"}]}, headers=key)

    assert (answer.status_code, answer.json["code"]) == (409, "idempotency_key_conflict")
    assert len(shop.provider.payments) == 1


def test_a_key_reused_for_another_payment_mode_is_refused(shop: Shop) -> None:
    key = {"Idempotency-Key": "k1", **user()}
    shop.checkout(key)

    answer = shop.checkout(key, mode="checkout_session")

    assert (answer.status_code, answer.json["code"]) == (409, "order_not_payable")
    assert len(shop.provider.payments) == 1


def test_a_retry_after_payment_still_returns_the_paid_order(shop: Shop) -> None:
    key = {"Idempotency-Key": "k1", **user()}
    first = shop.checkout(key)
    shop.pay(first.json["payment"]["id"])

    again = shop.checkout(key)

    assert again.status_code == 201
    assert again.json["order"]["id"] == first.json["order"]["id"]
    assert again.json["order"]["status"] == "paid"
    assert len(shop.provider.payments) == 1


def test_an_unprintable_key_is_refused(shop: Shop) -> None:
    answer = shop.checkout({"Idempotency-Key": "x" * 256}, email="g@x.io")

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_input")
    assert answer.json["details"]["field"] == "Idempotency-Key"


@pytest.mark.parametrize(
    "key", ["try-1", "cart-1001", "my-cart-for-bob", "checkout-request-0001", "aaaa" * 10]
)
def test_a_guest_key_that_can_be_guessed_is_refused_and_makes_nothing(shop: Shop, key: str) -> None:
    answer = shop.checkout({"Idempotency-Key": key}, email="guest@example.com")

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_input")
    assert answer.json["details"]["field"] == "Idempotency-Key"
    message = answer.json["message"]
    assert "Idempotency-Key" in message
    assert "128" in message
    assert "UUID4" in message
    assert "token_urlsafe(16)" in message
    assert key not in message
    assert shop.provider.payments == {}
    with shop.container.uow_factory()() as uow:
        assert uow.orders.list_for_guest("guest@example.com") == []


def test_a_known_email_and_a_guessed_key_learn_nothing(shop: Shop) -> None:
    # The victim's checkout with a guessable key is refused, so there is nothing to replay...
    victim = shop.checkout({"Idempotency-Key": "cart-1001"}, email="victim@example.com")
    # ...and the attacker's guesses get the same 400 whatever the cart: never the victim's
    # order and token (same cart), never a 409 confirming that the email and key were used.
    same_cart = shop.checkout({"Idempotency-Key": "cart-1001"}, email="victim@example.com")
    other_cart = shop.client.post(
        "/billing/checkout/",
        json={"items": [{"sku": "book"}], "email": "victim@example.com"},
        headers={"Idempotency-Key": "cart-1001"},
    )

    for answer in (victim, same_cart, other_cart):
        assert (answer.status_code, answer.json["code"]) == (400, "invalid_input")
        assert "order_token" not in answer.json
    assert shop.provider.payments == {}


def test_a_guest_token_needs_the_guests_key(shop: Shop) -> None:
    first = shop.checkout({"Idempotency-Key": GUEST_KEY}, email="guest@example.com").json
    second = shop.checkout({"Idempotency-Key": OTHER_KEY}, email="guest@example.com").json
    tokens = shop.container.order_tokens()
    order_id = first["order"]["id"]

    assert first["order"]["id"] != second["order"]["id"]
    assert first["order_token"] == tokens.token_for(order_id, GUEST_KEY)
    assert tokens.token_for(order_id, OTHER_KEY) != first["order_token"]
    theirs = shop.client.get(f"/billing/orders/{order_id}", headers=guest(second["order_token"]))
    assert theirs.status_code == 404


def test_a_guest_checkout_without_a_key_gets_a_random_token(shop: Shop) -> None:
    first = shop.checkout(email="guest@example.com").json
    second = shop.checkout(email="guest@example.com").json

    assert first["order"]["id"] != second["order"]["id"]
    assert first["order_token"] != second["order_token"]
    for mine, other in ((first, second), (second, first)):
        url = f"/billing/orders/{mine['order']['id']}"
        assert shop.client.get(url, headers=guest(mine["order_token"])).status_code == 200
        assert shop.client.get(url, headers=guest(other["order_token"])).status_code == 404


def test_a_logged_in_user_may_use_any_key(shop: Shop) -> None:
    first = shop.checkout({"Idempotency-Key": "try-1", **user()})
    again = shop.checkout({"Idempotency-Key": "try-1", **user()})

    assert first.status_code == again.status_code == 201
    assert again.json["order"]["id"] == first.json["order"]["id"]
    assert len(shop.provider.payments) == 1

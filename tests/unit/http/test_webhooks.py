"""``POST /billing/webhooks/stripe/``: signature first, once per event, retry when not ready."""

from __future__ import annotations

from datetime import UTC, datetime

from billing.domain.order import Customer, Order, OrderItem
from billing.domain.state import OrderStatus

from .conftest import Shop

URL = "/billing/webhooks/stripe/"


def _events(shop: Shop) -> list[object]:
    with shop.container.uow_factory()() as uow:
        return list(uow.webhook_events.list())


def test_a_signed_payment_event_marks_the_order_paid(shop: Shop) -> None:
    order_id, _, payment_id = shop.guest_order()

    answer = shop.pay(payment_id)

    assert answer.status_code == 200
    assert answer.json["outcome"] == "processed"
    assert answer.json["retryable"] is False
    assert shop.order(order_id).status is OrderStatus.PAID


def test_a_duplicate_delivery_answers_200_and_changes_nothing(shop: Shop) -> None:
    order_id, _, payment_id = shop.guest_order()
    delivery = shop.events.payment_succeeded(payment_id)
    headers = {"Stripe-Signature": delivery.signature}

    first = shop.client.post(URL, data=delivery.payload, headers=headers)
    after_first = shop.order(order_id)
    second = shop.client.post(URL, data=delivery.payload, headers=headers)

    assert (first.status_code, first.json["outcome"]) == (200, "processed")
    assert (second.status_code, second.json["outcome"]) == (200, "duplicate")
    after_second = shop.order(order_id)
    assert after_second.transitions == after_first.transitions
    assert [t.to_status for t in after_second.transitions].count(OrderStatus.PAID) == 1
    assert after_second.amount_paid == 17500


def test_a_bad_signature_is_refused_and_nothing_is_stored(shop: Shop) -> None:
    order_id, _, payment_id = shop.guest_order()
    delivery = shop.events.payment_succeeded(payment_id)

    forged = shop.client.post(URL, data=delivery.payload, headers={"Stripe-Signature": "sha256=0"})
    unsigned = shop.client.post(URL, data=delivery.payload)

    assert (forged.status_code, forged.json["code"]) == (400, "invalid_signature")
    assert (unsigned.status_code, unsigned.json["code"]) == (400, "invalid_signature")
    assert _events(shop) == []
    assert shop.order(order_id).status is OrderStatus.PENDING_PAYMENT


def test_a_body_over_one_mebibyte_is_refused_with_413(shop: Shop) -> None:
    big = b"{" + b" " * (1024 * 1024) + b"}"

    answer = shop.client.post(URL, data=big, headers={"Stripe-Signature": "sha256=0"})

    assert (answer.status_code, answer.json["code"]) == (413, "payload_too_large")
    assert _events(shop) == []


def test_an_event_for_an_order_we_do_not_have_yet_asks_for_redelivery(shop: Shop) -> None:
    at = datetime(2026, 1, 15, tzinfo=UTC)
    unknown = Order.create(
        id="ord_elsewhere",
        customer=Customer(email="x@example.com"),
        items=[OrderItem("book", "A book", 1, 2500)],
        currency="EUR",
        idempotency_key="k",
        at=at,
    )
    payment = shop.provider.create_payment_intent(unknown, "pi:k")
    delivery = shop.events.payment_succeeded(payment.id)

    answer = shop.client.post(
        URL, data=delivery.payload, headers={"Stripe-Signature": delivery.signature}
    )

    assert answer.status_code == 503
    assert answer.json["retryable"] is True
    assert answer.json["event_id"] == delivery.event_id
    [stored] = _events(shop)
    assert stored.id == delivery.event_id  # type: ignore[attr-defined]


def test_the_processed_counter_is_exposed_after_a_webhook(shop: Shop) -> None:
    _, _, payment_id = shop.guest_order()
    shop.pay(payment_id)
    shop.client.post(URL, data=b"{}", headers={"Stripe-Signature": "sha256=0"})

    answer = shop.client.get("/billing/metrics")

    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    text = answer.get_data(as_text=True)
    assert (
        'billing_webhook_processed_total{code="",outcome="processed",type="payment.succeeded"} 1.0'
        in text
    )
    assert (
        'billing_webhook_processed_total{code="invalid_signature",outcome="rejected",'
        'type="unverified"} 1.0' in text
    )

"""Async webhook mode: the endpoint verifies, journals and queues; the job applies the event."""

from __future__ import annotations

import attrs

from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus

from .conftest import SETTINGS, make_shop


def test_an_event_is_queued_then_applied_once_even_when_delivered_twice() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, webhook_mode="async"))
    order_id, _, payment_id = shop.guest_order()
    delivery = shop.events.payment_succeeded(payment_id)
    headers = {"Stripe-Signature": delivery.signature}

    first = shop.client.post("/billing/webhooks/stripe/", data=delivery.payload, headers=headers)
    second = shop.client.post("/billing/webhooks/stripe/", data=delivery.payload, headers=headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json["outcome"] == "duplicate"
    order = shop.order(order_id)
    assert order.status is OrderStatus.PAID
    assert [t.to_status for t in order.transitions].count(OrderStatus.PAID) == 1
    with shop.container.uow_factory()() as uow:
        event = uow.webhook_events.get(delivery.event_id)
    assert (event.status, event.attempts) == (WebhookStatus.PROCESSED, 1)
    shop.container.unwire()


def test_a_bad_signature_is_refused_before_anything_is_queued() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, webhook_mode="async"))
    _, _, payment_id = shop.guest_order()
    delivery = shop.events.payment_succeeded(payment_id)

    answer = shop.client.post(
        "/billing/webhooks/stripe/", data=delivery.payload, headers={"Stripe-Signature": "x"}
    )

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_signature")
    assert shop.container.job_service().list() == []
    shop.container.unwire()

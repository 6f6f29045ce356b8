"""Whatever order the provider's events arrive in, and however often, the outcome is the same."""

from __future__ import annotations

import itertools

import pytest

from billing.adapters.memory import Delivery
from billing.domain.refund import RefundOrigin
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus

from .conftest import World

EVENTS = ("paid", "partial_refund", "rest_refunded", "stale_failure")


def prepare(world: World) -> tuple[str, dict[str, Delivery]]:
    order, payment_id = world.pending_order()
    stale = world.events.payment_failed(payment_id, "card_declined")
    paid = world.events.payment_succeeded(payment_id)
    partial = world.provider.refund_from_dashboard(payment_id, 3000)
    rest = world.provider.refund_from_dashboard(payment_id, 7000)
    return order.id, {
        "paid": paid,
        "partial_refund": world.events.refund_updated(partial.id),
        "rest_refunded": world.events.refund_updated(rest.id),
        "stale_failure": stale,
    }


@pytest.mark.parametrize("order_of_arrival", list(itertools.permutations(EVENTS)))
def test_every_arrival_order_converges_to_the_same_state(
    world: World, order_of_arrival: tuple[str, ...]
) -> None:
    order_id, deliveries = prepare(world)
    webhooks = world.container.webhooks()

    for name in order_of_arrival:
        delivery = deliveries[name]
        webhooks.receive(delivery.payload, delivery.signature)
        webhooks.receive(delivery.payload, delivery.signature)  # and each one twice

    order = world.order(order_id)
    assert (order.status, order.amount_paid, order.amount_refunded) == (
        OrderStatus.REFUNDED,
        10000,
        10000,
    )
    with world.uow_factory() as uow:
        refunds = uow.refunds.list_for_order(order_id)
        events = [uow.webhook_events.get(d.event_id) for d in deliveries.values()]
        entitlements = uow.entitlements.list_for_order(order_id)
        documents = uow.invoices.list_for_order(order_id)
    assert sorted((r.amount, r.status, r.origin) for r in refunds) == [
        (3000, RefundStatus.SUCCEEDED, RefundOrigin.PROVIDER),
        (7000, RefundStatus.SUCCEEDED, RefundOrigin.PROVIDER),
    ]
    assert all(e.status in {WebhookStatus.PROCESSED, WebhookStatus.IGNORED} for e in events)
    assert entitlements
    assert not any(e.active for e in entitlements)
    assert sorted(d.number for d in documents) == [
        "CN-2026-000001",
        "CN-2026-000002",
        "INV-2026-000001",
    ]
    visited = [t.to_status for t in order.transitions]
    assert visited[:2] == [OrderStatus.PENDING_PAYMENT, OrderStatus.PAID]
    assert visited[-1] is OrderStatus.REFUNDED

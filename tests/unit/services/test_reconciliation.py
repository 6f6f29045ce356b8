"""Reconciliation: events the provider sent but we never received are found, applied once, and
a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from billing.domain.errors import ProviderMisconfigured
from billing.domain.money import Money
from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus
from billing.services.reconciliation import (
    EVENT_WINDOW,
    DriftKind,
    ReconciliationReport,
    ReconciliationService,
)
from billing.services.webhooks import DUPLICATE

from .conftest import World

SINCE = timedelta(hours=72)


def reconcile(world: World, *, apply: bool = False) -> ReconciliationReport:
    return world.container.reconciliation().reconcile(SINCE, apply=apply)


def kinds(report: ReconciliationReport, remaining: bool = False) -> list[DriftKind]:
    return sorted(d.kind for d in (report.remaining if remaining else report.drift))


def snapshot(world: World, order_id: str) -> tuple[object, ...]:
    """Everything reconciliation could change about an order, as plain values."""
    with world.uow_factory() as uow:
        order = uow.orders.get(order_id)
        return (
            attrs.asdict(order),
            [attrs.asdict(r) for r in uow.refunds.list_for_order(order_id)],
            [attrs.asdict(i) for i in uow.invoices.list_for_order(order_id)],
            [attrs.asdict(e) for e in uow.entitlements.list_for_order(order_id)],
            [attrs.asdict(e) for e in uow.webhook_events.list(limit=1000)],
        )


def test_events_never_delivered_are_found_then_applied_once(world: World) -> None:
    order, payment_id = world.pending_order()
    # The provider sends these, but the deliveries never reach us.
    paid = world.events.payment_succeeded(payment_id)
    world.clock.advance(minutes=5)
    refund = world.provider.refund_from_dashboard(payment_id, 1000)
    refunded = world.events.refund_updated(refund.id)
    before = snapshot(world, order.id)

    found = reconcile(world)

    assert found.checked == 2
    assert kinds(found) == sorted(
        [
            DriftKind.MISSED_EVENT,
            DriftKind.MISSED_EVENT,
            DriftKind.UNPAID_ORDER,
            DriftKind.UNKNOWN_REFUND,
        ]
    )
    assert {d.event_id for d in found.drift if d.kind is DriftKind.MISSED_EVENT} == {
        paid.event_id,
        refunded.event_id,
    }
    assert not found.clean
    assert snapshot(world, order.id) == before  # without --apply nothing moves

    applied = reconcile(world, apply=True)

    assert [(o.event_id, o.outcome) for o in applied.applied] == [
        (paid.event_id, "processed"),
        (refunded.event_id, "processed"),
    ]
    assert applied.remaining == ()
    assert applied.clean
    after = world.order(order.id)
    assert after.status is OrderStatus.PARTIALLY_REFUNDED
    assert (after.amount_paid, after.amount_refunded) == (order.total.amount, 1000)
    with world.uow_factory() as uow:
        assert len([i for i in uow.invoices.list_for_order(order.id) if i.refund_id is None]) == 1
        assert uow.refunds.find_by_provider_id(refund.id) is not None
        for event_id in (paid.event_id, refunded.event_id):
            assert uow.webhook_events.get(event_id).status is WebhookStatus.PROCESSED
    settled = snapshot(world, order.id)

    again = reconcile(world, apply=True)

    assert (again.drift, again.applied, again.remaining) == ((), (), ())
    assert snapshot(world, order.id) == settled


def test_a_late_delivery_of_an_applied_event_is_a_duplicate(world: World) -> None:
    order, payment_id = world.pending_order()
    paid = world.events.payment_succeeded(payment_id)
    reconcile(world, apply=True)
    settled = snapshot(world, order.id)

    late = world.container.webhooks().receive(paid.payload, paid.signature)

    assert late.outcome == DUPLICATE
    assert snapshot(world, order.id) == settled


def test_delivered_events_leave_nothing_to_reconcile(world: World) -> None:
    order, _ = world.paid_order()
    refund = world.container.refunds().refund(order.id, 500)
    delivery = world.events.refund_updated(refund.provider_refund_id or "")
    world.container.webhooks().receive(delivery.payload, delivery.signature)

    report = reconcile(world, apply=True)

    assert report.checked == 2
    assert (report.drift, report.applied) == ((), ())


def test_a_wrong_amount_is_reported_and_not_applied(world: World) -> None:
    order, payment_id = world.pending_order()
    wrong = world.events.payment_succeeded(payment_id, amount=Money(1, "EUR"))
    world.container.webhooks().receive(wrong.payload, wrong.signature)  # fails: amount_mismatch
    before = snapshot(world, order.id)

    report = reconcile(world, apply=True)

    assert kinds(report) == sorted(
        [DriftKind.UNSETTLED_EVENT, DriftKind.AMOUNT_MISMATCH, DriftKind.UNPAID_ORDER]
    )
    assert report.applied == ()
    assert kinds(report, remaining=True) == kinds(report)
    assert world.order(order.id).status is OrderStatus.PENDING_PAYMENT
    assert snapshot(world, order.id) == before


def test_a_refund_recorded_otherwise_than_the_provider_says_is_reported(world: World) -> None:
    order, _ = world.paid_order()
    refund = world.container.refunds().refund(order.id, 500)
    with world.uow_factory() as uow:  # our record drifted from the provider's
        stored = uow.refunds.get(refund.id)
        stored.amount = 400
        uow.refunds.save(stored)
        uow.commit()
    delivery = world.events.refund_updated(refund.provider_refund_id or "")
    world.container.webhooks().receive(delivery.payload, delivery.signature)

    report = reconcile(world)

    assert DriftKind.REFUND_MISMATCH in kinds(report)


def test_an_event_naming_an_unknown_order_is_reported(world: World) -> None:
    _, payment_id = world.pending_order()
    world.provider.orders_by_payment[payment_id] = "ord_elsewhere"
    world.events.payment_succeeded(payment_id)

    report = reconcile(world)

    assert kinds(report) == [DriftKind.MISSED_EVENT, DriftKind.UNKNOWN_ORDER]


def test_the_window_is_the_providers_thirty_days(world: World) -> None:
    _, payment_id = world.pending_order()
    world.events.payment_succeeded(payment_id)
    world.clock.advance(days=31)

    report = world.container.reconciliation().reconcile(timedelta(days=90))

    assert report.since == world.clock.now() - EVENT_WINDOW
    assert (report.checked, report.drift) == (0, ())


def test_a_provider_that_cannot_list_its_events_is_refused(world: World) -> None:
    container = world.container
    service = ReconciliationService(world.uow_factory, object(), container.webhooks(), world.clock)  # type: ignore[arg-type]

    with pytest.raises(ProviderMisconfigured):
        service.reconcile(SINCE)

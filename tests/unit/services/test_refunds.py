"""Refunds: never more than was paid, stored before the provider is asked, healed on retry."""

from __future__ import annotations

import pytest

from billing.adapters.memory import FakePaymentProvider
from billing.domain.errors import (
    InvalidInput,
    OrderNotRefundable,
    ProviderRejected,
    ProviderUnavailable,
    RefundExceedsRefundable,
)
from billing.domain.refund import RefundOrigin
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus

from .conftest import World


def test_a_partial_then_a_full_refund(world: World) -> None:
    order, _payment_id = world.paid_order()
    refunds = world.container.refunds()

    first = refunds.refund(order.id, 2500, reason="requested_by_customer")
    assert first.status is RefundStatus.SUCCEEDED
    assert world.order(order.id).status is OrderStatus.PARTIALLY_REFUNDED

    rest = refunds.refund(order.id)
    assert rest.amount == 7500
    final = world.order(order.id)
    assert (final.status, final.amount_refunded) == (OrderStatus.REFUNDED, 10000)
    assert [c.idempotency_key for c in world.provider.calls if c.operation == "refund"] == [
        f"re:{first.id}",
        f"re:{rest.id}",
    ]
    assert sum(r.amount.amount for r in world.provider.refunds.values()) == 10000
    with world.uow_factory() as uow:
        assert not any(e.active for e in uow.entitlements.list_for_order(order.id))


def test_a_refund_above_what_is_left_is_refused_with_a_code(world: World) -> None:
    order, _ = world.paid_order()
    world.container.refunds().refund(order.id, 6000)

    with pytest.raises(RefundExceedsRefundable) as refused:
        world.container.refunds().refund(order.id, 4001)

    assert refused.value.code == "refund_exceeds_refundable"
    assert refused.value.details["refundable"] == 4000
    assert len(world.provider.refunds) == 1
    assert world.order(order.id).amount_refunded == 6000


def test_an_unpaid_order_cannot_be_refunded(world: World) -> None:
    order, _ = world.pending_order()

    with pytest.raises(OrderNotRefundable):
        world.container.refunds().refund(order.id, 100)
    assert world.provider.refunds == {}


def test_a_provider_outage_leaves_the_refund_pending_and_reserved(world: World) -> None:
    order, _ = world.paid_order()
    world.provider.fail_next(ProviderUnavailable("timeout"), after_effect=True)

    with pytest.raises(ProviderUnavailable):
        world.container.refunds().refund(order.id, 4000)
    with world.uow_factory() as uow:
        [pending] = uow.refunds.list_for_order(order.id)
    assert pending.status is RefundStatus.PENDING
    with pytest.raises(RefundExceedsRefundable):  # the pending refund holds its amount
        world.container.refunds().refund(order.id, 6001)

    retried = world.container.refunds().retry(pending.id)

    assert retried.status is RefundStatus.SUCCEEDED
    assert len(world.provider.refunds) == 1  # the same key found the same refund
    assert world.order(order.id).amount_refunded == 4000


def test_a_refund_the_provider_refuses_is_failed_and_releases_its_amount(world: World) -> None:
    order, _ = world.paid_order()
    world.provider.fail_next(ProviderRejected("charge disputed"))

    with pytest.raises(ProviderRejected):
        world.container.refunds().refund(order.id)
    with world.uow_factory() as uow:
        [failed] = uow.refunds.list_for_order(order.id)
    assert (failed.status, failed.failure_reason) == (RefundStatus.FAILED, "provider_rejected")

    again = world.container.refunds().refund(order.id)
    assert again.amount == 10000
    assert world.order(order.id).status is OrderStatus.REFUNDED


def test_a_refund_made_in_the_providers_dashboard_is_recorded(world: World) -> None:
    order, payment_id = world.paid_order()
    dashboard = world.provider.refund_from_dashboard(payment_id, 3000)
    delivery = world.events.refund_updated(dashboard.id)

    world.container.webhooks().receive(delivery.payload, delivery.signature)
    world.container.webhooks().receive(delivery.payload, delivery.signature)

    with world.uow_factory() as uow:
        [recorded] = uow.refunds.list_for_order(order.id)
    assert (recorded.origin, recorded.amount, recorded.provider_refund_id) == (
        RefundOrigin.PROVIDER,
        3000,
        dashboard.id,
    )
    assert world.order(order.id).status is OrderStatus.PARTIALLY_REFUNDED


def test_the_providers_event_for_our_own_refund_does_not_count_it_twice(world: World) -> None:
    order, _ = world.paid_order()
    refund = world.container.refunds().refund(order.id, 1000)
    [provider_refund] = world.provider.refunds.values()
    delivery = world.events.refund_updated(provider_refund.id)

    world.container.webhooks().receive(delivery.payload, delivery.signature)

    with world.uow_factory() as uow:
        assert [r.id for r in uow.refunds.list_for_order(order.id)] == [refund.id]
    assert world.order(order.id).amount_refunded == 1000


def test_an_asynchronous_refund_settles_when_the_provider_reports_it(world: World) -> None:
    provider = world.provider
    assert isinstance(provider, FakePaymentProvider)
    order, _ = world.paid_order()
    provider._refund_status = RefundStatus.PENDING

    refund = world.container.refunds().refund(order.id, 1000)
    assert refund.status is RefundStatus.PENDING
    assert world.order(order.id).status is OrderStatus.PAID

    [provider_refund] = provider.refunds.values()
    provider.report_refund(provider_refund.id, RefundStatus.SUCCEEDED)
    delivery = world.events.refund_updated(provider_refund.id)
    world.container.webhooks().receive(delivery.payload, delivery.signature)

    assert world.order(order.id).status is OrderStatus.PARTIALLY_REFUNDED


def test_a_reason_longer_than_stripe_keeps_is_refused_before_anything_is_stored(
    world: World,
) -> None:
    order, _ = world.paid_order()

    with pytest.raises(InvalidInput) as refused:
        world.container.refunds().refund(order.id, 100, reason="x" * 100_000)

    assert refused.value.details["field"] == "reason"
    assert world.provider.refunds == {}
    with world.uow_factory() as uow:
        assert uow.refunds.list_for_order(order.id) == []
    made = world.container.refunds().refund(order.id, 100, reason="y" * 500)
    assert made.reason == "y" * 500

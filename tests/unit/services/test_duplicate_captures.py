"""A second capture for an already paid order is recorded and refunded once, never absorbed."""

from __future__ import annotations

import logging

import pytest
from dependency_injector import providers

from billing.adapters.memory import Delivery
from billing.domain.duplicate_capture import DuplicateCapturePolicy
from billing.domain.errors import ProviderRejected, ProviderUnavailable
from billing.domain.invoice import DocumentKind
from billing.domain.order import Order
from billing.domain.outbox import OutboxStatus
from billing.domain.payment import PaymentMode
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.services.duplicate_captures import DUPLICATE_CAPTURE_METRIC
from billing.services.jobs import SEND_REFUND
from billing.services.payments import ReturnUrls

from .conftest import World

URLS = ReturnUrls("https://shop.test/ok", "https://shop.test/cancel")


def _second_payment(world: World, order: Order) -> str:
    """Another PaymentIntent for the same order (e.g. made once the first key was forgotten)."""
    return world.provider.create_payment_intent(order, "pi:another-key").id


def _receive(world: World, *deliveries: Delivery) -> list[tuple[str, str | None]]:
    webhooks = world.container.webhooks()
    outcomes = [webhooks.receive(d.payload, d.signature) for d in deliveries]
    return [(o.outcome, o.code) for o in outcomes]


def _duplicate_refund_calls(world: World) -> list[str | None]:
    return [
        c.idempotency_key
        for c in world.provider.calls
        if c.operation == "refund" and (c.idempotency_key or "").startswith("re:dup:")
    ]


def test_a_second_capture_is_recorded_and_refunded_once_with_its_own_key(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    order, first = world.paid_order()
    second = _second_payment(world, order)

    with caplog.at_level(logging.WARNING, logger="billing"):
        outcomes = _receive(world, world.events.payment_succeeded(second))

    assert outcomes == [("processed", "duplicate_capture")]
    stored = world.order(order.id)
    assert (stored.status, stored.provider_payment_id) == (OrderStatus.PAID, first)
    assert (stored.amount_paid, stored.amount_refunded) == (10000, 0)
    with world.uow_factory() as uow:
        [capture] = uow.duplicate_captures.list_for_order(order.id)
        [refund] = uow.refunds.list_for_order(order.id)
        documents = uow.invoices.list_for_order(order.id)
    assert (capture.payment_id, capture.amount, capture.refund_id) == (second, 10000, refund.id)
    assert (refund.extra_payment_id, refund.amount, refund.status) == (
        second,
        10000,
        RefundStatus.SUCCEEDED,
    )
    assert _duplicate_refund_calls(world) == [f"re:dup:{second}"]
    [given_back] = world.provider.refunds.values()
    assert (given_back.payment_id, given_back.amount.amount) == (second, 10000)
    # Nothing was invoiced for it: no credit note; the order's own money is all refundable.
    assert [d.kind for d in documents] == [DocumentKind.INVOICE]
    assert world.container.refunds().refund(order.id).amount == 10000
    assert world.metrics.count(DUPLICATE_CAPTURE_METRIC, policy="refund") == 1
    assert any("paid again" in r.getMessage() for r in caplog.records)


def test_duplicated_deliveries_about_the_extra_payment_refund_it_once(world: World) -> None:
    order, _ = world.paid_order()
    second = _second_payment(world, order)
    succeeded = world.events.payment_succeeded(second)
    other_event = world.events.payment_succeeded(second)  # e.g. a session completed for it

    outcomes = _receive(world, succeeded, succeeded, other_event, succeeded)

    assert [o for o, _ in outcomes] == ["processed", "duplicate", "processed", "duplicate"]
    with world.uow_factory() as uow:
        assert len(uow.duplicate_captures.list_for_order(order.id)) == 1
        assert len(uow.refunds.list_for_order(order.id)) == 1
    assert len(world.provider.refunds) == 1
    assert world.metrics.count(DUPLICATE_CAPTURE_METRIC) == 1


def test_whichever_payment_arrives_second_is_the_one_given_back(world: World) -> None:
    order, first = world.pending_order()
    second = _second_payment(world, order)
    late_first = world.events.payment_succeeded(first)

    _receive(world, world.events.payment_succeeded(second), late_first)

    stored = world.order(order.id)
    assert (stored.status, stored.provider_payment_id) == (OrderStatus.PAID, second)
    assert _duplicate_refund_calls(world) == [f"re:dup:{first}"]
    [call] = [c for c in world.provider.calls if c.operation == "refund"]
    assert call.target == first


def test_the_order_s_own_payment_confirmed_again_is_no_duplicate(world: World) -> None:
    order, payment_id = world.paid_order()

    _receive(world, world.events.payment_succeeded(payment_id))

    with world.uow_factory() as uow:
        assert uow.duplicate_captures.list_for_order(order.id) == []
    assert world.provider.refunds == {}


def test_a_checkout_session_s_payment_is_its_own(world: World) -> None:
    order = world.new_order()
    session = world.container.payments().checkout(order.id, PaymentMode.CHECKOUT_SESSION, URLS)
    paid = world.events.payment_succeeded(session.payment.id)

    _receive(world, paid, world.events.payment_succeeded(session.payment.id))

    assert world.order(order.id).status is OrderStatus.PAID
    assert world.provider.refunds == {}


def test_under_the_flag_policy_it_is_recorded_and_counted_but_not_refunded(world: World) -> None:
    world.container.duplicate_captures.override(
        providers.Object(
            world.container.duplicate_captures.cls(
                DuplicateCapturePolicy.FLAG, world.container.ids(), world.metrics
            )
        )
    )
    order, _ = world.paid_order()
    second = _second_payment(world, order)

    assert _receive(world, world.events.payment_succeeded(second)) == [
        ("processed", "duplicate_capture")
    ]

    with world.uow_factory() as uow:
        [capture] = uow.duplicate_captures.list_for_order(order.id)
        assert uow.refunds.list_for_order(order.id) == []
    assert (capture.payment_id, capture.refund_id) == (second, None)
    assert world.provider.refunds == {}
    assert world.metrics.count(DUPLICATE_CAPTURE_METRIC, policy="flag") == 1


def test_a_provider_outage_keeps_the_refund_pending_and_the_retry_reuses_the_key(
    world: World,
) -> None:
    order, _ = world.paid_order()
    second = _second_payment(world, order)
    world.provider.fail_next(ProviderUnavailable("timeout"), after_effect=True)

    _receive(world, world.events.payment_succeeded(second))

    with world.uow_factory() as uow:
        [refund] = uow.refunds.list_for_order(order.id)
        [job] = [j for j in uow.outbox.list() if j.task == SEND_REFUND]
    assert refund.status is RefundStatus.PENDING
    assert job.status is OutboxStatus.PENDING  # failed once, waiting for its backoff
    world.clock.advance(minutes=5)
    world.relay.relay_all()

    with world.uow_factory() as uow:
        assert uow.refunds.get(refund.id).status is RefundStatus.SUCCEEDED
        assert uow.outbox.get(job.id).status is OutboxStatus.DONE
    assert _duplicate_refund_calls(world) == [f"re:dup:{second}"] * 2
    assert len(world.provider.refunds) == 1  # the same key: one refund at the provider


def test_a_refusal_for_good_fails_the_refund_and_ends_the_job(world: World) -> None:
    order, _ = world.paid_order()
    second = _second_payment(world, order)
    world.provider.fail_next(ProviderRejected("charge already refunded"))

    _receive(world, world.events.payment_succeeded(second))

    with world.uow_factory() as uow:
        [refund] = uow.refunds.list_for_order(order.id)
        [job] = [j for j in uow.outbox.list() if j.task == SEND_REFUND]
    assert (refund.status, refund.failure_reason) == (RefundStatus.FAILED, "provider_rejected")
    assert job.status is OutboxStatus.DONE
    assert world.order(order.id).amount_refunded == 0


def test_the_provider_s_event_about_the_duplicate_refund_leaves_the_order_alone(
    world: World,
) -> None:
    order, _ = world.paid_order()
    second = _second_payment(world, order)
    _receive(world, world.events.payment_succeeded(second))
    [given_back] = world.provider.refunds

    assert _receive(world, world.events.refund_updated(given_back)) == [("processed", None)]

    stored = world.order(order.id)
    assert (stored.status, stored.amount_refunded) == (OrderStatus.PAID, 0)
    with world.uow_factory() as uow:
        assert [d.kind for d in uow.invoices.list_for_order(order.id)] == [DocumentKind.INVOICE]

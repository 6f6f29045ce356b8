"""Provider events: verified, journaled, applied exactly once, in any order."""

from __future__ import annotations

import logging

import pytest

from billing.correlation import request_line
from billing.domain.errors import InvalidSignature
from billing.domain.money import Money
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus
from billing.services.webhooks import DUPLICATE, PROCESSED_METRIC

from .conftest import World


def stored_event(world: World, event_id: str):
    with world.uow_factory() as uow:
        return uow.webhook_events.get(event_id)


def test_the_same_event_twice_changes_the_order_once(world: World) -> None:
    order, payment_id = world.pending_order()
    delivery = world.events.payment_succeeded(payment_id)
    webhooks = world.container.webhooks()

    first = webhooks.receive(delivery.payload, delivery.signature)
    second = webhooks.receive(delivery.payload, delivery.signature)

    assert (first.outcome, second.outcome) == ("processed", DUPLICATE)
    paid = world.order(order.id)
    assert paid.status is OrderStatus.PAID
    assert [t.to_status for t in paid.transitions] == [
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
    ]
    assert paid.amount_paid == order.total.amount
    event = stored_event(world, delivery.event_id)
    assert (event.status, event.attempts, event.order_id) == (WebhookStatus.PROCESSED, 1, order.id)
    assert world.metrics.count(PROCESSED_METRIC, outcome="processed") == 1
    assert world.metrics.count(PROCESSED_METRIC, outcome=DUPLICATE) == 1
    with world.uow_factory() as uow:
        assert len(uow.invoices.list_for_order(order.id)) == 1
        assert len(uow.entitlements.list_for_order(order.id)) == 2


def test_a_payment_reported_before_our_checkout_committed_still_pays_the_order(
    world: World,
) -> None:
    order, payment_id = world.pending_order()
    with world.uow_factory() as uow:  # as if the checkout's last commit never happened
        stored = uow.lock_order(order.id)
        stored.status, stored.transitions, stored.provider_payment_id = OrderStatus.DRAFT, [], None
        uow.orders.save(stored)
        uow.commit()

    delivery = world.events.payment_succeeded(payment_id)
    world.container.webhooks().receive(delivery.payload, delivery.signature)

    paid = world.order(order.id)
    assert paid.status is OrderStatus.PAID
    assert paid.provider_payment_id == payment_id


def test_a_wrong_amount_fails_the_event_for_good_and_leaves_the_order_alone(
    world: World,
) -> None:
    order, payment_id = world.pending_order()
    delivery = world.events.payment_succeeded(payment_id, amount=Money(1, "EUR"))

    outcome = world.container.webhooks().receive(delivery.payload, delivery.signature)

    # Not retryable: the same body would fail the same way for the three days of retries.
    assert (outcome.outcome, outcome.code, outcome.retryable) == (
        "failed",
        "amount_mismatch",
        False,
    )
    assert world.order(order.id).status is OrderStatus.PENDING_PAYMENT
    event = stored_event(world, delivery.event_id)
    assert event.status is WebhookStatus.FAILED
    assert event.last_error
    assert event.last_error.startswith("amount_mismatch")
    assert world.metrics.count(PROCESSED_METRIC, outcome="failed") == 1
    with world.uow_factory() as uow:
        assert uow.invoices.list_all() == []
        assert uow.entitlements.list_for_order(order.id) == []


def test_an_event_for_an_order_we_do_not_have_yet_is_parked_and_retryable(world: World) -> None:
    order, payment_id = world.pending_order()
    world.provider.orders_by_payment[payment_id] = "ord_not_yet_committed"
    delivery = world.events.payment_succeeded(payment_id)

    outcome = world.container.webhooks().receive(delivery.payload, delivery.signature)

    assert (outcome.outcome, outcome.code, outcome.retryable) == (
        "parked",
        "order_not_found",
        True,
    )
    assert stored_event(world, delivery.event_id).status is WebhookStatus.PARKED
    assert world.order(order.id).status is OrderStatus.PENDING_PAYMENT


def test_an_event_about_a_payment_that_is_not_ours_is_ignored(world: World) -> None:
    _, payment_id = world.pending_order()
    world.provider.payments["pi_elsewhere"] = world.provider.payments[payment_id]
    delivery = world.events.payment_succeeded("pi_elsewhere", with_order=False)

    outcome = world.container.webhooks().receive(delivery.payload, delivery.signature)

    assert (outcome.outcome, outcome.code) == ("ignored", "unknown_payment")


def test_a_refund_reported_before_the_payment_waits_for_it(world: World) -> None:
    order, payment_id = world.pending_order()
    paid = world.events.payment_succeeded(payment_id)
    refund = world.provider.refund_from_dashboard(payment_id, 1000)
    early = world.events.refund_updated(refund.id)
    webhooks = world.container.webhooks()

    parked = webhooks.receive(early.payload, early.signature)
    assert (parked.outcome, parked.retryable) == ("parked", False)
    assert world.order(order.id).status is OrderStatus.PENDING_PAYMENT

    webhooks.receive(paid.payload, paid.signature)

    after = world.order(order.id)
    assert (after.status, after.amount_refunded) == (OrderStatus.PARTIALLY_REFUNDED, 1000)
    assert stored_event(world, early.event_id).status is WebhookStatus.PROCESSED


def test_a_delivery_is_logged_on_its_request_line_and_what_it_ran_again_on_a_line_of_its_own(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    order, payment_id = world.pending_order()
    paid = world.events.payment_succeeded(payment_id)
    refund = world.provider.refund_from_dashboard(payment_id, 1000)
    early = world.events.refund_updated(refund.id)
    webhooks = world.container.webhooks()

    with caplog.at_level(logging.INFO, logger="billing.services.webhooks"):
        webhooks.receive(early.payload, early.signature)  # outside a request: a line of its own
        token = request_line.set({})  # what the request hooks do around a request
        try:
            webhooks.receive(paid.payload, paid.signature)  # runs the parked refund again
            line = request_line.get()
        finally:
            request_line.reset(token)

    own = [
        (r.event_id, r.outcome)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "billing.services.webhooks"
    ]
    assert own == [(early.event_id, "parked"), (early.event_id, "processed")]
    assert line is not None
    assert (line["event_id"], line["outcome"], line["order_id"]) == (
        paid.event_id,
        "processed",
        order.id,
    )


def test_a_failed_payment_is_recorded_and_the_order_stays_payable(world: World) -> None:
    order, payment_id = world.pending_order()
    delivery = world.events.payment_failed(payment_id, "insufficient_funds")

    world.container.webhooks().receive(delivery.payload, delivery.signature)

    assert world.order(order.id).status is OrderStatus.PENDING_PAYMENT
    with world.uow_factory() as uow:
        [attempt] = uow.payment_attempts.list_for_order(order.id)
    assert (attempt.status, attempt.error_code) == ("failed", "insufficient_funds")


def test_a_canceled_payment_cancels_an_unpaid_order(world: World) -> None:
    order, payment_id = world.pending_order()
    delivery = world.events.payment_canceled(payment_id)

    world.container.webhooks().receive(delivery.payload, delivery.signature)

    assert world.order(order.id).status is OrderStatus.CANCELED


def test_late_failure_and_cancel_events_never_pull_a_paid_order_back(world: World) -> None:
    order, payment_id = world.pending_order()
    failed = world.events.payment_failed(payment_id)
    canceled = world.events.payment_canceled(payment_id)
    paid = world.events.payment_succeeded(payment_id)
    webhooks = world.container.webhooks()

    webhooks.receive(paid.payload, paid.signature)
    outcomes = [webhooks.receive(d.payload, d.signature) for d in (failed, canceled)]

    assert [(o.outcome, o.code) for o in outcomes] == [("ignored", "stale"), ("ignored", "stale")]
    assert world.order(order.id).status is OrderStatus.PAID


def test_unhandled_event_types_are_journaled_and_ignored(world: World) -> None:
    delivery = world.events.unhandled("customer.created")

    outcome = world.container.webhooks().receive(delivery.payload, delivery.signature)

    assert outcome.outcome == "ignored"
    assert stored_event(world, delivery.event_id).status is WebhookStatus.IGNORED


@pytest.mark.parametrize("signature", [None, "", "sha256=00", "sha256=deadbeef"])
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    world: World, signature: str | None
) -> None:
    _, payment_id = world.pending_order()
    delivery = world.events.payment_succeeded(payment_id)

    with pytest.raises(InvalidSignature):
        world.container.webhooks().receive(delivery.payload, signature)
    with world.uow_factory() as uow:
        assert uow.webhook_events.find(delivery.event_id) is None
    assert world.metrics.count(PROCESSED_METRIC, outcome="rejected", code="invalid_signature") == 1


def test_a_tampered_body_is_refused(world: World) -> None:
    _, payment_id = world.pending_order()
    delivery = world.events.payment_succeeded(payment_id)
    tampered = delivery.payload.replace(b'"amount": 10000', b'"amount": 1')
    assert tampered != delivery.payload

    with pytest.raises(InvalidSignature):
        world.container.webhooks().receive(tampered, delivery.signature)


def test_a_failed_event_can_be_replayed_once_the_cause_is_fixed(world: World) -> None:
    order, payment_id = world.pending_order()
    world.provider.orders_by_payment[payment_id] = "ord_unknown"
    delivery = world.events.payment_succeeded(payment_id, with_order=True)
    webhooks = world.container.webhooks()
    assert webhooks.receive(delivery.payload, delivery.signature).outcome == "parked"

    # The provider's retry of the same event, now that the order exists under that id.
    with world.uow_factory() as uow:
        moved = uow.orders.get(order.id)
        moved.id = "ord_unknown"
        uow.orders.add(moved)
        uow.commit()
    outcome = webhooks.replay(delivery.event_id)

    assert outcome.outcome == "processed"
    assert world.order("ord_unknown").status is OrderStatus.PAID
    assert stored_event(world, delivery.event_id).attempts == 2


def test_a_refund_failing_after_success_gives_the_entitlements_back(world: World) -> None:
    order, _ = world.paid_order()
    refund = world.container.refunds().refund(order.id)
    assert world.order(order.id).status is OrderStatus.REFUNDED
    [provider_refund_id] = [r.id for r in world.provider.refunds.values()]

    world.provider.report_refund(provider_refund_id, RefundStatus.FAILED)
    delivery = world.events.refund_updated(provider_refund_id)
    world.container.webhooks().receive(delivery.payload, delivery.signature)

    after = world.order(order.id)
    assert (after.status, after.amount_refunded) == (OrderStatus.PAID, 0)
    with world.uow_factory() as uow:
        assert uow.refunds.get(refund.id).status is RefundStatus.FAILED
        assert all(e.active for e in uow.entitlements.list_for_order(order.id))

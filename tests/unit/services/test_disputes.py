"""Disputes through the webhook service: a lifecycle, not a flag; in any order, at least once."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from billing.adapters.memory import Delivery
from billing.domain.dispute_status import DisputeStatus
from billing.domain.errors import RefundExceedsRefundable
from billing.domain.invoice import DocumentKind
from billing.domain.money import Money
from billing.domain.order import Order
from billing.domain.state import OrderStatus

from .conftest import World

D = DisputeStatus


def _receive(world: World, *deliveries: Delivery) -> list[str]:
    webhooks = world.container.webhooks()
    return [webhooks.receive(d.payload, d.signature).outcome for d in deliveries]


def _state(world: World, order: Order) -> tuple[object, ...]:
    """What the order, its disputes, entitlements and documents say (ids aside)."""
    with world.uow_factory() as uow:
        stored = uow.orders.get(order.id)
        disputes = [(d.id, d.status, d.amount) for d in uow.disputes.list_for_order(order.id)]
        active = sorted(e.key for e in uow.entitlements.list_for_order(order.id) if e.active)
        documents = sorted((d.number, str(d.kind)) for d in uow.invoices.list_for_order(order.id))
    amounts = (stored.amount_paid, stored.amount_refunded, stored.amount_disputed_lost)
    return stored.status, stored.disputed, amounts, disputes, active, documents


def test_an_opened_dispute_flags_the_order_warns_and_is_listed_with_its_due_date(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    order, payment_id = world.paid_order()
    due = world.clock.now() + timedelta(days=7)

    with caplog.at_level(logging.WARNING, logger="billing"):
        outcomes = _receive(world, world.events.dispute(payment_id, evidence_due_by=due))

    assert outcomes == ["processed"]
    stored = world.order(order.id)
    assert (stored.disputed, stored.status, stored.amount_disputed_lost) == (
        True,
        OrderStatus.PAID,
        0,
    )
    [listed] = world.container.disputes().list(open_only=True)
    assert (listed.order_id, listed.status, listed.evidence_due_by) == (
        order.id,
        D.NEEDS_RESPONSE,
        due,
    )
    assert world.container.disputes().open_count() == 1
    assert world.metrics.count("billing_dispute_total", state="opened") == 1
    [warning] = [r for r in caplog.records if r.getMessage().startswith("dispute dp_")]
    assert warning.levelno == logging.WARNING
    assert order.id in warning.getMessage()
    assert due.isoformat() in warning.getMessage()


def test_a_lost_dispute_records_the_loss_revokes_and_issues_a_credit_note(world: World) -> None:
    order, payment_id = world.paid_order()
    _receive(world, world.events.dispute(payment_id), world.events.dispute(payment_id, D.LOST))

    status, disputed, amounts, _, active, documents = _state(world, order)
    assert (status, disputed, amounts) == (OrderStatus.PAID, False, (10000, 0, 10000))
    assert active == []  # what the chargeback took back is no longer held
    assert documents == [("CN-2026-000001", "credit_note"), ("INV-2026-000001", "invoice")]
    with world.uow_factory() as uow:
        note = uow.invoices.find(order.id, DocumentKind.CREDIT_NOTE, dispute_id="dp_fake000001")
    assert note is not None
    assert note.rendered
    content = world.container.invoices().document(note.id)
    assert (content.total, content.refers_to) == (10000, "INV-2026-000001")
    assert "dp_fake000001" in content.reason  # the lines are the order's, credited
    assert world.container.disputes().list(open_only=True) == []
    assert world.metrics.count("billing_dispute_total", state="lost") == 1


def test_after_a_lost_dispute_no_refund_can_exceed_what_is_still_held(world: World) -> None:
    order, payment_id = world.paid_order()
    part = world.events.dispute(payment_id, D.LOST, amount=Money(7500, "EUR"))
    _receive(world, part)

    with pytest.raises(RefundExceedsRefundable) as refused:
        world.container.refunds().refund(order.id, 2501)
    assert refused.value.details["refundable"] == 2500
    world.container.refunds().refund(order.id)  # everything left: the 25.00 still held

    assert [r.amount.amount for r in world.provider.refunds.values()] == [2500]
    stored = world.order(order.id)
    assert (stored.amount_refunded, stored.amount_disputed_lost) == (2500, 7500)
    assert stored.refundable == 0


def test_a_won_dispute_clears_the_flag_and_revokes_nothing(world: World) -> None:
    order, payment_id = world.paid_order()
    before = _state(world, order)

    _receive(world, world.events.dispute(payment_id), world.events.dispute(payment_id, D.WON))

    status, disputed, amounts, disputes, active, documents = _state(world, order)
    assert (status, disputed, amounts) == (OrderStatus.PAID, False, (10000, 0, 0))
    assert disputes == [("dp_fake000001", D.WON, 10000)]
    assert (active, documents) == (before[4], before[5])
    assert world.container.refunds().refund(order.id).amount == 10000  # all still held


@pytest.mark.parametrize("outcome", [D.LOST, D.WON])
def test_a_close_before_its_creation_converges_to_the_same_state(
    world: World, outcome: DisputeStatus
) -> None:
    in_order, first = world.paid_order()
    reordered, second = world.paid_order()
    steps = (D.WARNING_NEEDS_RESPONSE, D.NEEDS_RESPONSE, D.UNDER_REVIEW, outcome)

    _receive(world, *(world.events.dispute(first, s, dispute_id="dp_a") for s in steps))
    _receive(world, *(world.events.dispute(second, s, dispute_id="dp_b") for s in steps[::-1]))

    expected, got = _state(world, in_order), _state(world, reordered)
    assert got[:3] == expected[:3]
    assert [d[1:] for d in got[3]] == [d[1:] for d in expected[3]]
    assert got[4] == expected[4]
    assert [kind for _, kind in got[5]] == [kind for _, kind in expected[5]]


def test_a_stale_update_never_reopens_a_closed_dispute(world: World) -> None:
    order, payment_id = world.paid_order()
    stale = world.events.dispute(payment_id, D.UNDER_REVIEW)  # sent first, delivered last
    _receive(world, world.events.dispute(payment_id), world.events.dispute(payment_id, D.LOST))
    closed = _state(world, order)

    assert _receive(world, stale) == ["processed"]

    assert _state(world, order) == closed
    assert world.container.disputes().open_count() == 0


def test_a_lost_dispute_delivered_twice_gives_one_credit_note(world: World) -> None:
    order, payment_id = world.paid_order()
    lost = world.events.dispute(payment_id, D.LOST)
    again = world.events.dispute(payment_id, D.LOST)  # another event saying the same

    assert _receive(world, lost, lost, again) == ["processed", "duplicate", "processed"]

    documents = _state(world, order)[5]
    assert [kind for _, kind in documents].count("credit_note") == 1
    assert world.order(order.id).amount_disputed_lost == 10000


def test_a_dispute_before_its_payment_waits_then_applies(world: World) -> None:
    order, payment_id = world.pending_order()
    early = world.events.dispute(payment_id, D.LOST)
    paid = world.events.payment_succeeded(payment_id)

    assert _receive(world, early) == ["parked"]
    assert _receive(world, paid) == ["processed"]  # the parked dispute runs again after it

    status, _, amounts, disputes, active, documents = _state(world, order)
    assert (status, amounts, active) == (OrderStatus.PAID, (10000, 0, 10000), [])
    assert disputes == [("dp_fake000001", D.LOST, 10000)]
    assert [kind for _, kind in documents] == ["credit_note", "invoice"]


def test_a_dispute_in_another_currency_fails_for_good(world: World) -> None:
    order, payment_id = world.paid_order()
    wrong = world.events.dispute(payment_id, amount=Money(10000, "USD"))

    outcome = world.container.webhooks().receive(wrong.payload, wrong.signature)

    assert (outcome.outcome, outcome.code, outcome.retryable) == (
        "failed",
        "amount_mismatch",
        False,
    )
    assert world.order(order.id).disputed is False

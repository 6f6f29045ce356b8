"""The order state machine: the one transition table, idempotent re-application, Order moves."""

from __future__ import annotations

import copy
from itertools import product

import pytest

from billing.domain.errors import AmountMismatch, IllegalTransition, InvalidInput, OrderNotPayable
from billing.domain.events import OrderStatusChanged
from billing.domain.money import Money
from billing.domain.state import (
    ENTITLED_STATES,
    FORWARD,
    PAID_STATES,
    PAYABLE_STATES,
    REFUND_REVERSALS,
    OrderStatus,
    OrderTransition,
    apply_transition,
    is_allowed,
    rank,
)

from .builders import AT, LATER, new_order, order_in, paid_order

S = OrderStatus

# The table of ARCHITECTURE §2, written out by hand so that a change to FORWARD shows up here.
EXPECTED_FORWARD = {
    (S.DRAFT, S.PENDING_PAYMENT),
    (S.DRAFT, S.CANCELED),
    (S.PENDING_PAYMENT, S.PAID),
    (S.PENDING_PAYMENT, S.CANCELED),
    (S.PAID, S.PARTIALLY_REFUNDED),
    (S.PAID, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED),
}
EXPECTED_REVERSALS = {
    (S.REFUNDED, S.PARTIALLY_REFUNDED),
    (S.REFUNDED, S.PAID),
    (S.PARTIALLY_REFUNDED, S.PAID),
}
ALL_PAIRS = list(product(OrderStatus, OrderStatus))
MOVES = [(a, b) for a, b in ALL_PAIRS if a != b]
FORBIDDEN = [pair for pair in MOVES if pair not in EXPECTED_FORWARD]
FORBIDDEN_EVEN_AS_REVERSAL = [pair for pair in FORBIDDEN if pair not in EXPECTED_REVERSALS]


def test_the_table_is_the_documented_one() -> None:
    assert {(a, b) for a, targets in FORWARD.items() for b in targets} == EXPECTED_FORWARD
    assert {(a, b) for a, targets in REFUND_REVERSALS.items() for b in targets} == (
        EXPECTED_REVERSALS
    )
    assert set(FORWARD) == set(OrderStatus)


def test_status_sets() -> None:
    assert {S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED} == PAID_STATES
    assert {S.PAID, S.PARTIALLY_REFUNDED} == ENTITLED_STATES
    assert {S.DRAFT, S.PENDING_PAYMENT} == PAYABLE_STATES


@pytest.mark.parametrize(("current", "to"), sorted(EXPECTED_FORWARD))
def test_forward_edges_move_forward_in_rank(current: OrderStatus, to: OrderStatus) -> None:
    assert rank(to) > rank(current)


@pytest.mark.parametrize(("current", "to"), sorted(EXPECTED_REVERSALS))
def test_reversal_edges_move_backward_in_rank(current: OrderStatus, to: OrderStatus) -> None:
    assert rank(to) < rank(current)


@pytest.mark.parametrize(("current", "to"), sorted(EXPECTED_FORWARD))
def test_every_allowed_transition_is_recorded(current: OrderStatus, to: OrderStatus) -> None:
    assert is_allowed(current, to)
    assert is_allowed(current, to, reversal=True)
    step = apply_transition(current, [], to, "cause-1", AT)
    assert step == OrderTransition(from_status=current, to_status=to, cause="cause-1", at=AT)


@pytest.mark.parametrize(("current", "to"), sorted(EXPECTED_FORWARD))
def test_order_transition_applies_an_allowed_move(current: OrderStatus, to: OrderStatus) -> None:
    order = order_in(current)

    events = order.transition(to, "cause-1", LATER)

    assert events == [OrderStatusChanged(order.id, current, to, "cause-1", LATER)]
    assert order.status is to
    assert order.updated_at == LATER
    assert order.transitions == [OrderTransition(current, to, "cause-1", LATER)]


@pytest.mark.parametrize(("current", "to"), FORBIDDEN)
def test_every_forbidden_transition_raises(current: OrderStatus, to: OrderStatus) -> None:
    assert not is_allowed(current, to)
    with pytest.raises(IllegalTransition) as refused:
        apply_transition(current, [], to, "cause-1", AT)
    assert refused.value.code == "illegal_transition"
    assert refused.value.details["from_status"] == str(current)
    assert refused.value.details["to_status"] == str(to)


@pytest.mark.parametrize(("current", "to"), FORBIDDEN)
def test_a_forbidden_order_transition_changes_nothing(
    current: OrderStatus, to: OrderStatus
) -> None:
    order = order_in(current, history=[OrderTransition(S.DRAFT, current, "earlier", AT)])
    before = copy.deepcopy(order)

    with pytest.raises(IllegalTransition):
        order.transition(to, "cause-1", LATER)

    assert order == before


@pytest.mark.parametrize(("current", "to"), sorted(EXPECTED_REVERSALS))
def test_refund_reversals_need_the_reversal_flag(current: OrderStatus, to: OrderStatus) -> None:
    assert not is_allowed(current, to)
    assert is_allowed(current, to, reversal=True)
    order = order_in(current)
    with pytest.raises(IllegalTransition):
        order.transition(to, "refund-failed", LATER)
    assert order.status is current

    events = order.transition(to, "refund-failed", LATER, reversal=True)

    assert events == [OrderStatusChanged(order.id, current, to, "refund-failed", LATER)]
    assert order.status is to


@pytest.mark.parametrize(("current", "to"), FORBIDDEN_EVEN_AS_REVERSAL)
def test_the_reversal_flag_opens_no_other_edge(current: OrderStatus, to: OrderStatus) -> None:
    assert not is_allowed(current, to, reversal=True)
    order = order_in(current)
    with pytest.raises(IllegalTransition):
        order.transition(to, "cause-1", LATER, reversal=True)
    assert order.status is current
    assert order.transitions == []


@pytest.mark.parametrize("status", list(OrderStatus))
def test_moving_to_the_current_state_is_a_no_op(status: OrderStatus) -> None:
    assert apply_transition(status, [], status, "any", AT) is None
    order = order_in(status)
    before = copy.deepcopy(order)

    assert order.transition(status, "any", LATER) == []
    assert order == before


def test_replaying_a_transition_with_the_same_cause_is_a_no_op() -> None:
    history = [
        OrderTransition(S.DRAFT, S.PENDING_PAYMENT, "checkout:1", AT),
        OrderTransition(S.PENDING_PAYMENT, S.PAID, "event:paid", AT),
        OrderTransition(S.PAID, S.PARTIALLY_REFUNDED, "event:refund-1", AT),
        OrderTransition(S.PARTIALLY_REFUNDED, S.PAID, "event:refund-1-failed", AT),
    ]
    # Back in PAID after a reversal: the old refund event, replayed, must not move it again.
    assert apply_transition(S.PAID, history, S.PARTIALLY_REFUNDED, "event:refund-1", LATER) is None
    order = order_in(S.PAID, history=history)
    before = copy.deepcopy(order)
    assert order.transition(S.PARTIALLY_REFUNDED, "event:refund-1", LATER) == []
    assert order == before

    # A new cause for the same target is a new transition.
    step = apply_transition(S.PAID, history, S.PARTIALLY_REFUNDED, "event:refund-2", LATER)
    assert step == OrderTransition(S.PAID, S.PARTIALLY_REFUNDED, "event:refund-2", LATER)


def test_a_replayed_cause_is_a_no_op_even_where_the_move_is_now_forbidden() -> None:
    history = [
        OrderTransition(S.DRAFT, S.PENDING_PAYMENT, "checkout:1", AT),
        OrderTransition(S.PENDING_PAYMENT, S.PAID, "event:paid", AT),
        OrderTransition(S.PAID, S.REFUNDED, "event:refund", AT),
    ]
    assert apply_transition(S.REFUNDED, history, S.PAID, "event:paid", LATER) is None
    assert apply_transition(S.REFUNDED, history, S.PENDING_PAYMENT, "checkout:1", LATER) is None
    with pytest.raises(IllegalTransition):
        apply_transition(S.REFUNDED, history, S.PAID, "event:other", LATER)


def test_a_full_lifecycle_records_every_step_in_order() -> None:
    order = new_order()
    order.start_payment("pi_1", "checkout:1", AT)
    order.mark_paid(order.total, "pi_1", "event:paid", AT)
    order.settle_refunds(1000, "event:r1", AT)
    order.settle_refunds(order.amount_paid, "event:r2", LATER)

    assert [(t.from_status, t.to_status, t.cause) for t in order.transitions] == [
        (S.DRAFT, S.PENDING_PAYMENT, "checkout:1"),
        (S.PENDING_PAYMENT, S.PAID, "event:paid"),
        (S.PAID, S.PARTIALLY_REFUNDED, "event:r1"),
        (S.PARTIALLY_REFUNDED, S.REFUNDED, "event:r2"),
    ]
    assert order.status is S.REFUNDED


# start_payment -------------------------------------------------------------------------------


def test_start_payment_moves_a_draft_to_pending() -> None:
    order = new_order()

    events = order.start_payment("pi_1", "checkout:1", LATER)

    assert events == [OrderStatusChanged(order.id, S.DRAFT, S.PENDING_PAYMENT, "checkout:1", LATER)]
    assert order.status is S.PENDING_PAYMENT
    assert order.provider_payment_id == "pi_1"


def test_start_payment_again_while_pending_moves_nothing() -> None:
    order = new_order()
    order.start_payment("pi_1", "checkout:1", AT)

    assert order.start_payment("pi_1", "checkout:2", LATER) == []
    assert order.status is S.PENDING_PAYMENT
    assert len(order.transitions) == 1


@pytest.mark.parametrize("status", sorted(set(OrderStatus) - PAYABLE_STATES))
def test_start_payment_is_refused_once_paid_or_canceled(status: OrderStatus) -> None:
    order = order_in(status)
    before = copy.deepcopy(order)

    with pytest.raises(OrderNotPayable) as refused:
        order.start_payment("pi_2", "checkout:2", LATER)

    assert refused.value.code == "order_not_payable"
    assert order == before


# mark_paid -----------------------------------------------------------------------------------


def test_mark_paid_from_pending() -> None:
    order = new_order()
    order.start_payment("pi_1", "checkout:1", AT)

    events = order.mark_paid(Money(12500, "EUR"), "pi_1", "event:paid", LATER)

    assert events == [OrderStatusChanged(order.id, S.PENDING_PAYMENT, S.PAID, "event:paid", LATER)]
    assert order.status is S.PAID
    assert order.amount_paid == 12500
    assert order.amount_refunded == 0


def test_mark_paid_goes_from_draft_to_paid_in_one_go() -> None:
    order = new_order()

    events = order.mark_paid(order.total, "pi_9", "event:paid", LATER)

    assert [(e.previous, e.current, e.cause) for e in events] == [
        (S.DRAFT, S.PENDING_PAYMENT, "event:paid"),
        (S.PENDING_PAYMENT, S.PAID, "event:paid"),
    ]
    assert order.status is S.PAID
    assert order.provider_payment_id == "pi_9"
    assert order.amount_paid == order.total.amount


def test_mark_paid_without_a_payment_id_keeps_the_known_one() -> None:
    order = new_order()
    order.start_payment("pi_1", "checkout:1", AT)

    order.mark_paid(order.total, None, "event:paid", LATER)

    assert order.provider_payment_id == "pi_1"


@pytest.mark.parametrize(
    "amount",
    [Money(12499, "EUR"), Money(12501, "EUR"), Money(12500, "USD"), Money(0, "EUR")],
    ids=str,
)
@pytest.mark.parametrize("status", [S.DRAFT, S.PENDING_PAYMENT, S.PAID])
def test_mark_paid_requires_the_exact_total(amount: Money, status: OrderStatus) -> None:
    order = paid_order() if status is S.PAID else new_order()
    if status is S.PENDING_PAYMENT:
        order.start_payment("pi_1", "checkout:1", AT)
    before = copy.deepcopy(order)

    with pytest.raises(AmountMismatch) as refused:
        order.mark_paid(amount, "pi_2", "event:paid-2", LATER)

    assert refused.value.code == "amount_mismatch"
    assert refused.value.details["expected"] == 12500
    assert refused.value.details["received"] == amount.amount
    assert order == before


@pytest.mark.parametrize("cause", ["event:paid", "event:another-event-of-the-same-payment"])
@pytest.mark.parametrize("refunded", [0, 1000, 12500])
def test_mark_paid_on_a_paid_order_is_a_no_op(cause: str, refunded: int) -> None:
    order = paid_order()
    order.settle_refunds(refunded, "event:refund", AT)
    before = copy.deepcopy(order)

    assert order.mark_paid(order.total, "pi_1", cause, LATER) == []
    assert order == before


def test_mark_paid_on_a_canceled_order_is_illegal_and_changes_nothing() -> None:
    order = new_order()
    order.cancel("canceled_by_customer", AT)
    before = copy.deepcopy(order)

    with pytest.raises(IllegalTransition):
        order.mark_paid(order.total, "pi_1", "event:late-paid", LATER)

    assert order == before


# cancel --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(PAYABLE_STATES))
def test_cancel_a_payable_order(status: OrderStatus) -> None:
    order = order_in(status)

    events = order.cancel("event:expired", LATER)

    assert events == [OrderStatusChanged(order.id, status, S.CANCELED, "event:expired", LATER)]
    assert order.status is S.CANCELED


def test_cancel_twice_is_a_no_op() -> None:
    order = new_order()
    order.cancel("event:expired", AT)
    before = copy.deepcopy(order)

    assert order.cancel("event:expired", LATER) == []
    assert order.cancel("canceled_by_customer", LATER) == []
    assert order == before


@pytest.mark.parametrize("status", sorted(PAID_STATES))
def test_cancel_never_pulls_a_paid_order_back(status: OrderStatus) -> None:
    order = order_in(status)
    before = copy.deepcopy(order)

    with pytest.raises(IllegalTransition):
        order.cancel("event:late-cancel", LATER)

    assert order == before


# settle_refunds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refunded", "status"),
    [(0, S.PAID), (1, S.PARTIALLY_REFUNDED), (12499, S.PARTIALLY_REFUNDED), (12500, S.REFUNDED)],
)
def test_settle_refunds_sets_the_amount_and_the_state_it_implies(
    refunded: int, status: OrderStatus
) -> None:
    order = paid_order()

    events = order.settle_refunds(refunded, "event:refund", LATER)

    assert order.amount_refunded == refunded
    assert order.status is status
    expected = [] if status is S.PAID else [(S.PAID, status)]
    assert [(e.previous, e.current) for e in events] == expected


def test_settle_refunds_partial_then_full() -> None:
    order = paid_order()
    order.settle_refunds(3000, "event:r1", AT)

    events = order.settle_refunds(12500, "event:r2", LATER)

    assert [(e.previous, e.current) for e in events] == [(S.PARTIALLY_REFUNDED, S.REFUNDED)]
    assert order.amount_refunded == 12500


def test_settle_refunds_twice_with_the_same_cause_is_a_no_op() -> None:
    order = paid_order()
    order.settle_refunds(3000, "event:r1", AT)
    before = copy.deepcopy(order)

    assert order.settle_refunds(3000, "event:r1", LATER) == []
    assert order.status is before.status
    assert order.amount_refunded == before.amount_refunded
    assert order.transitions == before.transitions


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [
        (12500, 3000, S.PARTIALLY_REFUNDED),
        (12500, 0, S.PAID),
        (3000, 0, S.PAID),
    ],
)
def test_a_failed_refund_reverses_the_state(first: int, then: int, status: OrderStatus) -> None:
    order = paid_order()
    order.settle_refunds(first, "event:r1-succeeded", AT)
    previous = order.status

    events = order.settle_refunds(then, "event:r1-failed", LATER)

    assert events == [OrderStatusChanged(order.id, previous, status, "event:r1-failed", LATER)]
    assert order.status is status
    assert order.amount_refunded == then


def test_a_lower_partial_refund_total_stays_partially_refunded() -> None:
    order = paid_order()
    order.settle_refunds(5000, "event:r1", AT)

    assert order.settle_refunds(3000, "event:r2-failed", LATER) == []
    assert order.status is S.PARTIALLY_REFUNDED
    assert order.amount_refunded == 3000


@pytest.mark.parametrize("refunded", [-1, 12501])
def test_settle_refunds_outside_what_was_paid_is_refused(refunded: int) -> None:
    order = paid_order()
    before = copy.deepcopy(order)

    with pytest.raises(InvalidInput):
        order.settle_refunds(refunded, "event:bad", LATER)

    assert order == before


@pytest.mark.parametrize("status", [S.DRAFT, S.PENDING_PAYMENT, S.CANCELED])
def test_settle_refunds_on_an_unpaid_order_changes_nothing(status: OrderStatus) -> None:
    order = order_in(status)
    before = copy.deepcopy(order)

    # Settling 0 must not be a back door to PAID (PENDING_PAYMENT → PAID is a forward edge).
    for refunded in (0, 100):
        with pytest.raises(IllegalTransition):
            order.settle_refunds(refunded, "event:refund", LATER)

    assert order == before
    assert order.status is status

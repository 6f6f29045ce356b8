"""Property test: any sequence of payment, cancel, refund and dispute events keeps the order's
invariants.

A provider emits events (payment succeeded, possibly several times under different ids; payment
canceled; each refund's path of statuses; each dispute's path, for at most what is still held);
they are delivered in any order, and any delivered event may be delivered again. The order is
driven the way the services drive it: ``mark_paid``, ``cancel``, ``check_refund`` before a refund
is created, ``Refund.report`` followed by ``settle_refunds(refunded_amount(refunds), ...)`` for
every refund event, ``Dispute.report`` followed by ``settle_disputes`` for every dispute event.
No refund is ever granted beyond what is still held: paid, less reserved refunds, less lost.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Literal

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from billing.domain.dispute import Dispute, DisputeReport, any_open, lost_amount
from billing.domain.dispute_status import DisputeStatus
from billing.domain.entitlement import should_hold
from billing.domain.errors import (
    IllegalTransition,
    InvalidInput,
    OrderNotPayable,
    OrderNotRefundable,
    RefundExceedsRefundable,
)
from billing.domain.money import Money
from billing.domain.order import Order, OrderItem
from billing.domain.refund import Refund, RefundOrigin, check_refund, refunded_amount
from billing.domain.refund_status import RESERVING, RefundStatus
from billing.domain.state import (
    FORWARD,
    PAID_STATES,
    PAYABLE_STATES,
    REFUND_REVERSALS,
    OrderStatus,
    OrderTransition,
    is_allowed,
)

from .builders import AT, GUEST

S = OrderStatus
R = RefundStatus

# What the provider may say about one refund, in the order it happens on its side.
REFUND_PATHS = [
    (),
    (R.SUCCEEDED,),
    (R.PENDING, R.SUCCEEDED),
    (R.REQUIRES_ACTION, R.SUCCEEDED),
    (R.SUCCEEDED, R.FAILED),  # the money came back: the documented reversal
    (R.FAILED,),
    (R.REQUIRES_ACTION, R.CANCELED),
]
D = DisputeStatus
# What the provider may say about one dispute, in the order it happens on its side.
DISPUTE_PATHS = [
    (D.WARNING_NEEDS_RESPONSE, D.WARNING_CLOSED),
    (D.NEEDS_RESPONSE,),
    (D.NEEDS_RESPONSE, D.UNDER_REVIEW, D.WON),
    (D.NEEDS_RESPONSE, D.UNDER_REVIEW, D.LOST),
    (D.LOST,),
]

items_strategy = st.lists(
    st.builds(
        OrderItem,
        sku=st.just("sku"),
        name=st.just("item"),
        quantity=st.integers(min_value=1, max_value=3),
        unit_amount=st.integers(min_value=1, max_value=5000),
        entitlement_key=st.sampled_from([None, "library:book", "course:stripe"]),
    ),
    min_size=1,
    max_size=3,
).map(lambda items: [attrs.evolve(item, sku=f"sku-{i}") for i, item in enumerate(items)])


@attrs.frozen
class ProviderEvent:
    id: str
    kind: Literal["paid", "canceled", "refund", "dispute"]
    refund_id: str = ""
    status: RefundStatus = R.PENDING
    dispute: DisputeReport | None = None


def is_forward(step: OrderTransition) -> bool:
    return step.to_status in FORWARD[step.from_status]


def is_reversal_edge(step: OrderTransition) -> bool:
    return step.to_status in REFUND_REVERSALS.get(step.from_status, frozenset())


class OrderLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.order: Order
        self.refunds: list[Refund] = []
        self.disputes: dict[str, Dispute] = {}
        self.dispute_amounts: dict[str, int] = {}
        self.outbox: list[ProviderEvent] = []
        self.delivered: list[ProviderEvent] = []
        self.payment_outcome: Literal["succeeded", "canceled"] | None = None
        self.cancels = False
        self.confirmations = 0
        self.ticks = 0
        self.ids = 0

    # helpers ---------------------------------------------------------------------------------

    def now(self) -> datetime:
        self.ticks += 1
        return AT + timedelta(seconds=self.ticks)

    def new_id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}_{self.ids}"

    @property
    def total(self) -> int:
        return self.order.total.amount

    def check_new_transitions(self, before: Order, *, reversal_allowed: bool) -> None:
        """Transitions are append-only, and a backward one only comes from a refund reversal."""
        assert self.order.transitions[: len(before.transitions)] == before.transitions
        for step in self.order.transitions[len(before.transitions) :]:
            if not is_forward(step):
                assert reversal_allowed, f"backward move {step} without a refund reversal"
                assert is_reversal_edge(step), step

    # setup -----------------------------------------------------------------------------------

    @initialize(
        items=items_strategy,
        currency=st.sampled_from(["EUR", "JPY", "KWD"]),
        # Cancels end most runs early; let a quarter of them cancel so the rest reach refunds.
        cancels=st.sampled_from([True, False, False, False]),
    )
    def create(self, items: list[OrderItem], currency: str, cancels: bool) -> None:
        self.cancels = cancels
        self.order = Order.create(
            id="ord-1",
            customer=GUEST,
            items=items,
            currency=currency,
            idempotency_key="key-1",
            at=AT,
        )

    # what our application does ---------------------------------------------------------------

    @rule()
    def checkout(self) -> None:
        before = copy.deepcopy(self.order)
        try:
            self.order.start_payment("pi_1", self.new_id("checkout"), self.now())
        except OrderNotPayable:
            assert before.status not in PAYABLE_STATES
            assert self.order == before
            return
        assert before.status in PAYABLE_STATES
        assert self.order.status is S.PENDING_PAYMENT
        self.check_new_transitions(before, reversal_allowed=False)

    @precondition(lambda self: self.cancels)
    @rule()
    def customer_cancels(self) -> None:
        before = copy.deepcopy(self.order)
        try:
            self.order.cancel("canceled_by_customer", self.now())
        except IllegalTransition:
            assert before.status in PAID_STATES
            assert self.order == before
            return
        assert before.status not in PAID_STATES
        assert self.order.status is S.CANCELED
        self.check_new_transitions(before, reversal_allowed=False)

    @precondition(lambda self: self.order.status not in PAID_STATES)
    @rule()
    def refund_before_payment(self) -> None:
        before = copy.deepcopy(self.order)
        try:
            check_refund(self.order, self.refunds, None)
        except OrderNotRefundable:
            assert self.order == before
        else:
            raise AssertionError(f"a {before.status} order was refundable")

    @precondition(lambda self: self.order.status in PAID_STATES)
    @rule(data=st.data())
    def request_refund(self, data: st.DataObject) -> None:
        reserved = sum(r.amount for r in self.refunds if r.status in RESERVING)
        held = self.order.amount_paid - reserved - self.order.amount_disputed_lost
        available = max(0, held)
        amount = data.draw(
            st.one_of(
                st.none(),
                st.integers(min_value=-1, max_value=self.total + 1),
                st.sampled_from([available, available + 1, 1, max(available // 2, 1)]),
            ),
            label="amount",
        )
        before = copy.deepcopy(self.order)
        try:
            granted = check_refund(self.order, self.refunds, amount)
        except OrderNotRefundable:
            assert before.status is S.REFUNDED
            return
        except InvalidInput:
            assert amount is not None
            assert amount <= 0
            return
        except RefundExceedsRefundable:
            assert (available if amount is None else amount) > available or available == 0
            return
        finally:
            assert self.order == before  # the policy only reads
        assert before.status in {S.PAID, S.PARTIALLY_REFUNDED}
        assert 0 < granted <= available
        assert granted == (available if amount is None else amount)
        at = self.now()
        refund = Refund(
            id=self.new_id("ref"),
            order_id=self.order.id,
            amount=granted,
            currency=self.order.currency,
            status=R.PENDING,
            origin=RefundOrigin.APP,
            created_at=at,
            updated_at=at,
        )
        self.refunds.append(refund)
        left_at_provider = self.order.amount_paid - reserved - sum(self.dispute_amounts.values())
        if granted > left_at_provider:
            # A dispute we have not heard of yet holds part of the charge: the provider refuses
            # the refund at once, and the service records it failed.
            refund.report(R.FAILED, at)
            return
        path = data.draw(st.sampled_from(REFUND_PATHS), label="refund path")
        for status in path:
            self.outbox.append(ProviderEvent(self.new_id("evt"), "refund", refund.id, status))

    # what the provider does ------------------------------------------------------------------

    @precondition(lambda self: self.payment_outcome != "canceled" and self.confirmations < 3)
    @rule()
    def provider_confirms_payment(self) -> None:
        self.confirmations += 1
        # Several events may confirm one payment (e.g. session completed and intent succeeded).
        self.payment_outcome = "succeeded"
        self.outbox.append(ProviderEvent(self.new_id("evt"), "paid"))

    @precondition(lambda self: self.order.status in PAID_STATES and len(self.dispute_amounts) < 3)
    @rule(data=st.data())
    def cardholder_disputes(self, data: st.DataObject) -> None:
        """A dispute of at most what the payment still holds (Stripe's limit), on any path."""
        reserved = sum(r.amount for r in self.refunds if r.status in RESERVING)
        disputed = sum(self.dispute_amounts.values())
        left = self.order.amount_paid - reserved - disputed
        if left <= 0:
            return
        amount = data.draw(st.integers(min_value=1, max_value=left), label="disputed")
        dispute_id = self.new_id("dp")
        self.dispute_amounts[dispute_id] = amount
        money = Money(amount, self.order.currency)
        for status in data.draw(st.sampled_from(DISPUTE_PATHS), label="dispute path"):
            report = DisputeReport(dispute_id, "pi_1", money, status, AT)
            self.outbox.append(ProviderEvent(self.new_id("evt"), "dispute", dispute=report))

    @precondition(lambda self: self.cancels and self.payment_outcome != "succeeded")
    @rule()
    def provider_cancels_payment(self) -> None:
        self.payment_outcome = "canceled"
        self.outbox.append(ProviderEvent(self.new_id("evt"), "canceled"))

    @precondition(lambda self: bool(self.outbox))
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(min_value=0, max_value=len(self.outbox) - 1), label="event")
        event = self.outbox.pop(index)
        self.apply(event)
        self.delivered.append(event)

    @precondition(lambda self: bool(self.delivered))
    @rule(data=st.data())
    def deliver_again(self, data: st.DataObject) -> None:
        before = copy.deepcopy(self.order)
        self.apply(data.draw(st.sampled_from(self.delivered), label="duplicate"))
        assert self.order.status is before.status
        assert self.order.amount_paid == before.amount_paid
        assert self.order.amount_refunded == before.amount_refunded
        assert self.order.transitions == before.transitions

    def apply(self, event: ProviderEvent) -> None:
        cause = f"event:{event.id}"
        before = copy.deepcopy(self.order)
        if event.kind == "paid":
            try:
                self.order.mark_paid(self.order.total, "pi_1", cause, self.now())
            except IllegalTransition:
                # Paid after the customer canceled: the domain refuses, the service must refund.
                assert before.status is S.CANCELED
                assert self.order == before
                return
            assert self.order.status in PAID_STATES
            if before.status in PAID_STATES:
                assert self.order == before  # a late or repeated confirmation changes nothing
            else:
                assert self.order.amount_paid == self.total
            self.check_new_transitions(before, reversal_allowed=False)
        elif event.kind == "dispute":
            assert before.status in PAID_STATES
            assert event.dispute is not None
            at = self.now()
            found = self.disputes.get(event.dispute.id)
            if found is None:
                self.disputes[event.dispute.id], _ = Dispute.from_report(
                    event.dispute, self.order.id, at
                )
            else:
                found.report(event.dispute, at)
            self.order.settle_disputes(list(self.disputes.values()), at)
            assert self.order.status is before.status  # a dispute never moves the state
            assert self.order.transitions == before.transitions
        elif event.kind == "canceled":
            if before.status not in PAYABLE_STATES:  # the service ignores a stale cancel
                return
            self.order.cancel(cause, self.now())
            assert self.order.status is S.CANCELED
            self.check_new_transitions(before, reversal_allowed=False)
        else:
            assert before.status in PAID_STATES  # refunds only exist on paid orders
            refund = next(r for r in self.refunds if r.id == event.refund_id)
            was = refund.status
            at = self.now()
            refund.report(event.status, at)
            self.order.settle_refunds(refunded_amount(self.refunds), cause, at)
            money_came_back = was is R.SUCCEEDED and refund.status is not R.SUCCEEDED
            self.check_new_transitions(before, reversal_allowed=money_came_back)

    # invariants ------------------------------------------------------------------------------

    @invariant()
    def amounts_are_consistent(self) -> None:
        order = self.order
        assert order.amount_paid in (0, self.total)
        assert (order.amount_paid > 0) == (order.status in PAID_STATES)
        assert 0 <= order.amount_refunded <= order.amount_paid
        assert order.amount_refunded == refunded_amount(self.refunds)
        reserved = sum(r.amount for r in self.refunds if r.status in RESERVING)
        assert reserved + order.amount_disputed_lost <= order.amount_paid  # never give back more
        assert order.refundable == max(
            0, order.amount_paid - order.amount_refunded - order.amount_disputed_lost
        )
        if order.status in PAID_STATES:
            assert self.payment_outcome == "succeeded"

    @invariant()
    def status_follows_the_amounts(self) -> None:
        order = self.order
        fully = order.amount_paid > 0 and order.amount_refunded == order.amount_paid
        partly = 0 < order.amount_refunded < order.amount_paid
        assert (order.status is S.REFUNDED) == fully
        assert (order.status is S.PARTIALLY_REFUNDED) == partly
        assert (order.status is S.PAID) == (order.amount_paid > 0 and order.amount_refunded == 0)

    @invariant()
    def disputes_settle_the_flag_and_the_lost_amount(self) -> None:
        disputes = list(self.disputes.values())
        assert self.order.disputed == any_open(disputes)
        assert self.order.amount_disputed_lost == lost_amount(disputes)
        assert all(d.amount == self.dispute_amounts[d.id] for d in disputes)

    @invariant()
    def entitlements_exactly_while_paid_not_fully_refunded_and_no_dispute_lost(self) -> None:
        order = self.order
        held = order.amount_paid > 0 and order.amount_refunded < order.amount_paid
        lost = order.amount_disputed_lost > 0
        assert should_hold(order) == (held and not lost)
        assert should_hold(order) == (order.status in {S.PAID, S.PARTIALLY_REFUNDED} and not lost)

    @invariant()
    def history_is_a_chain_of_allowed_transitions(self) -> None:
        steps = self.order.transitions
        expected_from = S.DRAFT
        for step in steps:
            assert step.from_status is expected_from
            assert is_allowed(step.from_status, step.to_status, reversal=True), step
            expected_from = step.to_status
        assert self.order.status is expected_from
        assert len({(t.to_status, t.cause) for t in steps}) == len(steps)


OrderLifecycle.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOrderLifecycle = OrderLifecycle.TestCase

"""Refund policy: refundable = paid - pending/succeeded refunds; statuses only move up in rank."""

from __future__ import annotations

import attrs
import pytest

from billing.domain.errors import (
    InvalidInput,
    OrderNotRefundable,
    RefundExceedsRefundable,
    RefundRefused,
)
from billing.domain.events import RefundStatusChanged
from billing.domain.refund import (
    MAX_REASON_LENGTH,
    check_reason,
    check_refund,
    refundable_amount,
    refunded_amount,
    reserved_amount,
)
from billing.domain.refund_status import RESERVING, RefundStatus, supersedes
from billing.domain.state import OrderStatus

from .builders import AT, LATER, new_order, order_in, paid_order, refund

R = RefundStatus
PAID_TOTAL = 12500


def test_none_refunds_everything_left() -> None:
    assert check_refund(paid_order(), [], None) == PAID_TOTAL


@pytest.mark.parametrize("amount", [1, 3000, PAID_TOTAL])
def test_a_partial_or_full_amount_up_to_what_was_paid(amount: int) -> None:
    assert check_refund(paid_order(), [], amount) == amount


def test_above_the_refundable_amount_is_refused_with_a_code() -> None:
    with pytest.raises(RefundExceedsRefundable) as refused:
        check_refund(paid_order(), [], PAID_TOTAL + 1)

    assert refused.value.code == "refund_exceeds_refundable"
    assert isinstance(refused.value, RefundRefused)
    assert refused.value.details["requested"] == PAID_TOTAL + 1
    assert refused.value.details["refundable"] == PAID_TOTAL


@pytest.mark.parametrize("status", sorted(RESERVING))
def test_pending_and_succeeded_refunds_reserve_their_amount(status: RefundStatus) -> None:
    order = paid_order()
    if status is R.SUCCEEDED:
        order.settle_refunds(5000, "event:r1", AT)
    refunds = [refund(5000, status)]

    assert check_refund(order, refunds, None) == 7500
    assert check_refund(order, refunds, 7500) == 7500
    with pytest.raises(RefundExceedsRefundable) as refused:
        check_refund(order, refunds, 7501)
    assert refused.value.details["refundable"] == 7500


@pytest.mark.parametrize("status", [R.FAILED, R.CANCELED])
def test_failed_or_canceled_refunds_release_their_amount(status: RefundStatus) -> None:
    refunds = [refund(5000, status)]
    assert check_refund(paid_order(), refunds, None) == PAID_TOTAL
    assert check_refund(paid_order(), refunds, PAID_TOTAL) == PAID_TOTAL


def test_amounts_of_a_mixed_history() -> None:
    order = paid_order()
    refunds = [
        refund(1000, R.SUCCEEDED, refund_id="a"),
        refund(2000, R.PENDING, refund_id="b"),
        refund(3000, R.REQUIRES_ACTION, refund_id="c"),
        refund(4000, R.FAILED, refund_id="d"),
        refund(500, R.CANCELED, refund_id="e"),
    ]
    order.settle_refunds(refunded_amount(refunds), "event:a", AT)

    assert refunded_amount(refunds) == 1000
    assert reserved_amount(refunds) == 6000
    assert refundable_amount(order, refunds) == PAID_TOTAL - 6000
    assert check_refund(order, refunds, None) == PAID_TOTAL - 6000


def test_nothing_left_to_refund_is_refused_with_a_reason() -> None:
    order = paid_order()
    refunds = [refund(PAID_TOTAL, R.PENDING)]

    with pytest.raises(RefundExceedsRefundable) as everything:
        check_refund(order, refunds, None)
    assert everything.value.details["refundable"] == 0
    with pytest.raises(RefundExceedsRefundable):
        check_refund(order, refunds, 1)


@pytest.mark.parametrize(
    "status", [OrderStatus.DRAFT, OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELED]
)
@pytest.mark.parametrize("amount", [None, 1])
def test_an_unpaid_order_is_not_refundable(status: OrderStatus, amount: int | None) -> None:
    with pytest.raises(OrderNotRefundable) as refused:
        check_refund(order_in(status), [], amount)
    assert refused.value.code == "order_not_refundable"
    assert isinstance(refused.value, RefundRefused)


def test_a_fully_refunded_order_is_not_refundable() -> None:
    order = paid_order()
    order.settle_refunds(PAID_TOTAL, "event:r1", AT)
    with pytest.raises(OrderNotRefundable):
        check_refund(order, [refund(PAID_TOTAL, R.SUCCEEDED)], None)


def test_a_partially_refunded_order_is_refundable() -> None:
    order = paid_order()
    order.settle_refunds(2500, "event:r1", AT)
    assert check_refund(order, [refund(2500, R.SUCCEEDED)], None) == 10000


@pytest.mark.parametrize("amount", [0, -1, -PAID_TOTAL, True, False, 1.0, 10.5, "100"], ids=repr)
def test_a_refund_amount_must_be_a_positive_integer(amount: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_refund(paid_order(), [], amount)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_input"


def test_the_draft_order_checked_before_the_amount() -> None:
    # An unpaid order is refused as such, whatever the amount looks like.
    with pytest.raises(OrderNotRefundable):
        check_refund(new_order(), [], -5)


# Refund.report -------------------------------------------------------------------------------

RANKED = [
    (R.PENDING, R.REQUIRES_ACTION),
    (R.PENDING, R.SUCCEEDED),
    (R.PENDING, R.FAILED),
    (R.PENDING, R.CANCELED),
    (R.REQUIRES_ACTION, R.SUCCEEDED),
    (R.REQUIRES_ACTION, R.FAILED),
    (R.REQUIRES_ACTION, R.CANCELED),
    (R.SUCCEEDED, R.FAILED),
    (R.SUCCEEDED, R.CANCELED),
]


@pytest.mark.parametrize(("old", "new"), RANKED)
def test_a_higher_rank_report_replaces_the_status(old: RefundStatus, new: RefundStatus) -> None:
    item = refund(1000, old)

    events = item.report(new, LATER, failure_reason="expired_or_canceled_card")

    assert events == [RefundStatusChanged("ref-1", "ord-1", old, new, LATER)]
    assert item.status is new
    assert item.updated_at == LATER
    assert item.failure_reason == "expired_or_canceled_card"


@pytest.mark.parametrize(("old", "new"), RANKED)
def test_a_stale_lower_rank_report_is_ignored(old: RefundStatus, new: RefundStatus) -> None:
    item = refund(1000, new)

    assert item.report(old, LATER) == []
    assert item.status is new
    assert item.updated_at == AT


@pytest.mark.parametrize("status", list(RefundStatus))
def test_the_same_report_twice_changes_nothing(status: RefundStatus) -> None:
    item = refund(1000, status)
    assert item.report(status, LATER) == []
    assert item.updated_at == AT


def test_final_statuses_do_not_replace_each_other() -> None:
    item = refund(1000, R.FAILED)
    assert item.report(R.CANCELED, LATER) == []
    assert item.status is R.FAILED
    assert not supersedes(R.FAILED, R.CANCELED)
    assert not supersedes(R.CANCELED, R.FAILED)


def test_a_succeeded_refund_reported_failed_releases_its_amount() -> None:
    order = paid_order()
    item = refund(4000, R.PENDING)
    item.report(R.SUCCEEDED, AT)
    order.settle_refunds(refunded_amount([item]), "event:succeeded", AT)
    after_success = order.status
    assert after_success is OrderStatus.PARTIALLY_REFUNDED
    assert check_refund(order, [item], None) == PAID_TOTAL - 4000

    item.report(R.FAILED, LATER)
    order.settle_refunds(refunded_amount([item]), "event:failed", LATER)

    assert order.status is OrderStatus.PAID
    assert order.amount_refunded == 0
    assert check_refund(order, [item], None) == PAID_TOTAL
    # A stale "succeeded" arriving last does not take the money again.
    assert item.report(R.SUCCEEDED, LATER) == []
    assert refunded_amount([item]) == 0


def test_money_lost_to_a_dispute_is_not_refundable() -> None:
    order = paid_order()
    order.amount_disputed_lost = 10000
    refunds = [refund(2000, R.SUCCEEDED)]

    assert refundable_amount(order, refunds) == 500
    assert check_refund(order, refunds, None) == 500
    with pytest.raises(RefundExceedsRefundable) as refused:
        check_refund(order, refunds, 501)
    assert refused.value.details["refundable"] == 500


def test_when_disputes_took_everything_nothing_is_refundable_and_never_below_zero() -> None:
    order = paid_order()
    order.amount_disputed_lost = PAID_TOTAL
    refunds = [refund(3000, R.PENDING)]

    assert refundable_amount(order, refunds) == 0
    with pytest.raises(RefundExceedsRefundable):
        check_refund(order, refunds, None)


def test_a_duplicate_capture_s_refund_reserves_nothing_of_the_order() -> None:
    extra = attrs.evolve(refund(PAID_TOTAL, R.SUCCEEDED), extra_payment_id="pi_2")

    assert (reserved_amount([extra]), refunded_amount([extra])) == (0, 0)
    assert check_refund(paid_order(), [extra], None) == PAID_TOTAL


@pytest.mark.parametrize("length", [MAX_REASON_LENGTH, MAX_REASON_LENGTH + 1, 100_000])
def test_a_reason_over_500_characters_is_refused(length: int) -> None:
    reason = "x" * length
    if length <= MAX_REASON_LENGTH:
        assert check_reason(reason) == reason
        return
    with pytest.raises(InvalidInput) as refused:
        check_reason(reason)
    assert refused.value.details == {"field": "reason", "length": length}

"""Disputes only move forward, whatever order their reports arrive in; lost money is not held."""

from __future__ import annotations

import itertools

import pytest

from billing.domain.dispute import Dispute, DisputeReport
from billing.domain.dispute_status import CLOSED, OPEN, DisputeStatus, supersedes
from billing.domain.entitlement import should_hold
from billing.domain.money import Money

from .builders import AT, LATER, paid_order

D = DisputeStatus
#: Stripe's paths: an inquiry closing or escalating, a chargeback decided either way.
PATHS = [
    (D.WARNING_NEEDS_RESPONSE, D.WARNING_UNDER_REVIEW, D.WARNING_CLOSED),
    (D.WARNING_NEEDS_RESPONSE, D.NEEDS_RESPONSE, D.UNDER_REVIEW, D.WON),
    (D.NEEDS_RESPONSE, D.UNDER_REVIEW, D.LOST),
    (D.NEEDS_RESPONSE, D.LOST),
    (D.WARNING_NEEDS_RESPONSE, D.PREVENTED),
]


def report(status: DisputeStatus, amount: int = 12500) -> DisputeReport:
    return DisputeReport("dp_1", "pi_1", Money(amount, "EUR"), status, AT, "fraudulent")


def test_open_and_closed_cover_every_status_once() -> None:
    assert set(DisputeStatus) == OPEN | CLOSED
    assert not OPEN & CLOSED


@pytest.mark.parametrize("closed", sorted(CLOSED))
def test_nothing_moves_a_closed_dispute(closed: DisputeStatus) -> None:
    assert not any(supersedes(status, closed) for status in DisputeStatus)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: "-".join(p))
def test_every_arrival_order_of_a_path_ends_in_its_last_status(
    path: tuple[DisputeStatus, ...],
) -> None:
    for arrival in itertools.permutations(path):
        dispute, _ = Dispute.from_report(report(arrival[0]), "ord-1", AT)
        for status in arrival[1:]:
            dispute.report(report(status), LATER)
        assert dispute.status is path[-1], arrival
        assert (dispute.closed_at is not None) == (path[-1] in CLOSED)


def test_a_report_gives_one_event_and_a_repeat_none() -> None:
    dispute, created = Dispute.from_report(report(D.NEEDS_RESPONSE), "ord-1", AT)

    moved = dispute.report(report(D.LOST, amount=9000), LATER)
    again = dispute.report(report(D.LOST), LATER)

    assert [(e.previous, e.current) for e in created + moved] == [
        (None, D.NEEDS_RESPONSE),
        (D.NEEDS_RESPONSE, D.LOST),
    ]
    assert again == []
    assert (dispute.amount, dispute.closed_at, dispute.lost) == (9000, LATER, True)


def test_a_lost_dispute_shrinks_what_is_held_and_ends_the_entitlements() -> None:
    order = paid_order()
    lost, _ = Dispute.from_report(report(D.LOST, amount=5000), order.id, AT)
    open_, _ = Dispute.from_report(
        DisputeReport("dp_2", "pi_1", Money(1000, "EUR"), D.NEEDS_RESPONSE, AT), order.id, AT
    )

    order.settle_disputes([lost, open_], LATER)

    assert (order.disputed, order.amount_disputed_lost) == (True, 5000)
    assert order.refundable == 7500
    assert not should_hold(order)


def test_a_won_dispute_leaves_everything_held() -> None:
    order = paid_order()
    won, _ = Dispute.from_report(report(D.WON), order.id, AT)

    order.settle_disputes([won], LATER)

    assert (order.disputed, order.amount_disputed_lost, order.refundable) == (False, 0, 12500)
    assert should_hold(order)

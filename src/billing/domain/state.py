"""The order state machine: one table of allowed transitions and the function that applies them.

``DRAFT → PENDING_PAYMENT → PAID → PARTIALLY_REFUNDED → REFUNDED``, and ``DRAFT | PENDING_PAYMENT →
CANCELED``. States move forward only; the one exception is a refund that the provider reports as
failed after it had succeeded (the money came back), which moves a refunded order back to the
state its remaining refunds justify. No payment event ever pulls a paid order back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Final

import attrs

from billing.domain.errors import IllegalTransition


class OrderStatus(StrEnum):
    DRAFT = "draft"
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELED = "canceled"


S = OrderStatus

FORWARD: Final[Mapping[OrderStatus, frozenset[OrderStatus]]] = {
    S.DRAFT: frozenset({S.PENDING_PAYMENT, S.CANCELED}),
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELED}),
    S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
    S.CANCELED: frozenset(),
}

#: Backward edges, allowed only for a refund reversal (see the module docstring).
REFUND_REVERSALS: Final[Mapping[OrderStatus, frozenset[OrderStatus]]] = {
    S.REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.PAID}),
    S.PARTIALLY_REFUNDED: frozenset({S.PAID}),
}

#: States in which money has been received.
PAID_STATES: Final = frozenset({S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED})
#: States in which the customer holds what they bought.
ENTITLED_STATES: Final = frozenset({S.PAID, S.PARTIALLY_REFUNDED})
#: States from which a payment may still be started or completed.
PAYABLE_STATES: Final = frozenset({S.DRAFT, S.PENDING_PAYMENT})

_RANK: Final = {
    S.DRAFT: 0,
    S.PENDING_PAYMENT: 1,
    S.CANCELED: 2,
    S.PAID: 2,
    S.PARTIALLY_REFUNDED: 3,
    S.REFUNDED: 4,
}


def rank(status: OrderStatus) -> int:
    """Position of ``status`` along the forward path (CANCELED and PAID are both ends of 1)."""
    return _RANK[status]


@attrs.frozen
class OrderTransition:
    """One recorded move of an order: from, to, why (a stable cause such as an event id), when."""

    from_status: OrderStatus
    to_status: OrderStatus
    cause: str
    at: datetime


def is_allowed(current: OrderStatus, to: OrderStatus, *, reversal: bool = False) -> bool:
    if to in FORWARD[current]:
        return True
    return reversal and to in REFUND_REVERSALS.get(current, frozenset())


def apply_transition(
    current: OrderStatus,
    history: Sequence[OrderTransition],
    to: OrderStatus,
    cause: str,
    at: datetime,
    *,
    reversal: bool = False,
) -> OrderTransition | None:
    """The transition to record for moving ``current`` to ``to`` because of ``cause``.

    Returns None when there is nothing to do: the order is already in ``to``, or this very
    transition (same target, same cause) was applied before. Raises IllegalTransition, changing
    nothing, when the table does not allow the move.
    """
    if to == current or any(t.to_status == to and t.cause == cause for t in history):
        return None
    if not is_allowed(current, to, reversal=reversal):
        raise IllegalTransition(
            f"an order cannot go from {current} to {to}",
            from_status=str(current),
            to_status=str(to),
            cause=cause,
        )
    return OrderTransition(from_status=current, to_status=to, cause=cause, at=at)

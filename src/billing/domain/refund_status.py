"""Refund statuses, as Stripe names them, and the order in which they may follow each other."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class RefundStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


#: Statuses whose amount is reserved against what was paid.
RESERVING: Final = frozenset(
    {RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION, RefundStatus.SUCCEEDED}
)

# Stripe may report a refund as failed after it succeeded, never the reverse; events for one
# refund can arrive in any order, so a status only replaces one of lower rank.
_RANK: Final = {
    RefundStatus.PENDING: 0,
    RefundStatus.REQUIRES_ACTION: 1,
    RefundStatus.SUCCEEDED: 2,
    RefundStatus.FAILED: 3,
    RefundStatus.CANCELED: 3,
}


def supersedes(new: RefundStatus, old: RefundStatus) -> bool:
    """Whether a report of ``new`` should replace the recorded ``old`` status."""
    return _RANK[new] > _RANK[old]

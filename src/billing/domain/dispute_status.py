"""Dispute statuses, as Stripe names them, and the order in which they may follow each other.

An inquiry (``warning_*``) may close or become a chargeback (``needs_response`` →
``under_review``), which the bank decides: ``won`` (the money comes back) or ``lost`` (it stays
with the cardholder). A status only replaces one of lower rank, and a closed dispute is final.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class DisputeStatus(StrEnum):
    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"
    PREVENTED = "prevented"


D = DisputeStatus

#: Disputes still being decided: the order is flagged ``disputed`` while one is.
OPEN: Final = frozenset(
    {D.WARNING_NEEDS_RESPONSE, D.WARNING_UNDER_REVIEW, D.NEEDS_RESPONSE, D.UNDER_REVIEW}
)
#: Final statuses; only ``lost`` takes money away.
CLOSED: Final = frozenset({D.WARNING_CLOSED, D.WON, D.LOST, D.PREVENTED})

_RANK: Final = {
    D.WARNING_NEEDS_RESPONSE: 0,
    D.WARNING_UNDER_REVIEW: 1,
    D.NEEDS_RESPONSE: 2,
    D.UNDER_REVIEW: 3,
    D.WARNING_CLOSED: 4,
    D.WON: 4,
    D.LOST: 4,
    D.PREVENTED: 4,
}


def supersedes(new: DisputeStatus, old: DisputeStatus) -> bool:
    """Whether a report of ``new`` moves a dispute that is ``old`` (never out of a closed one)."""
    return old not in CLOSED and _RANK[new] > _RANK[old]

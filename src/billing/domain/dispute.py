"""Disputes (chargebacks): a cardholder contests a payment with their bank.

Statuses are Stripe's (``dispute_status.py``). Events about one dispute arrive in any order and
more than once, so a report only moves a dispute forward: a status replaces one of lower rank,
and a closed dispute never changes again. A ``closed`` that arrives before its ``created``
therefore gives the same dispute as the two in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from billing.domain.dispute_status import CLOSED, OPEN, DisputeStatus, supersedes
from billing.domain.events import DisputeStatusChanged
from billing.domain.money import Money


@attrs.frozen
class DisputeReport:
    """What the provider says about a dispute now (one event's snapshot of it)."""

    id: str
    payment_id: str | None
    amount: Money
    status: DisputeStatus
    opened_at: datetime
    reason: str | None = None
    evidence_due_by: datetime | None = None


@attrs.define
class Dispute:
    """One dispute of an order's payment, as far as the provider's reports took it."""

    id: str
    order_id: str
    amount: int
    currency: str
    status: DisputeStatus
    opened_at: datetime
    updated_at: datetime
    reason: str | None = None
    evidence_due_by: datetime | None = None
    #: When a report first showed it closed (our clock).
    closed_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN

    @property
    def lost(self) -> bool:
        return self.status is DisputeStatus.LOST

    @classmethod
    def from_report(
        cls, report: DisputeReport, order_id: str, at: datetime
    ) -> tuple[Dispute, list[DisputeStatusChanged]]:
        """The dispute as first reported (maybe already closed), and its event."""
        dispute = cls(
            id=report.id,
            order_id=order_id,
            amount=report.amount.amount,
            currency=report.amount.currency,
            status=report.status,
            opened_at=report.opened_at,
            updated_at=at,
            reason=report.reason,
            evidence_due_by=report.evidence_due_by,
            closed_at=at if report.status in CLOSED else None,
        )
        return dispute, [DisputeStatusChanged(dispute.id, order_id, None, dispute.status, at)]

    def report(self, report: DisputeReport, at: datetime) -> list[DisputeStatusChanged]:
        """Take a newer status with what it says (amount, reason, due date); a stale report,
        or any report about a closed dispute, changes nothing."""
        if not supersedes(report.status, self.status):
            return []
        previous = self.status
        self.status = report.status
        self.amount = report.amount.amount
        self.reason = report.reason or self.reason
        self.evidence_due_by = report.evidence_due_by or self.evidence_due_by
        self.updated_at = at
        if report.status in CLOSED:
            self.closed_at = at
        return [DisputeStatusChanged(self.id, self.order_id, previous, self.status, at)]


def any_open(disputes: Iterable[Dispute]) -> bool:
    return any(d.open for d in disputes)


def lost_amount(disputes: Iterable[Dispute]) -> int:
    """The money lost to the cardholder: the sum of the lost disputes' amounts."""
    return sum(d.amount for d in disputes if d.lost)

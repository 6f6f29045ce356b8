"""Recording what the provider says about a dispute, inside the transaction that locks its order.

The dispute is created from its first report (whatever its status: a ``closed`` may arrive
before its ``created``) or moved forward by a newer one; then the order takes its flag and its
lost amount from all its disputes. What follows (entitlements revoked, a credit note for a
lost dispute) is for ``Reactions``, from the ``DisputeStatusChanged`` events returned.
"""

from __future__ import annotations

import logging
from datetime import datetime

import attrs

from billing.domain.dispute import Dispute, DisputeReport
from billing.domain.dispute_status import CLOSED, OPEN
from billing.domain.errors import AmountMismatch
from billing.domain.events import DisputeStatusChanged
from billing.domain.order import Order
from billing.ports.metrics import Metrics
from billing.ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DISPUTE_METRIC = "billing_dispute_total"


@attrs.frozen
class DisputeLedger:
    _metrics: Metrics

    def record(
        self, uow: UnitOfWork, order: Order, report: DisputeReport, at: datetime
    ) -> list[DisputeStatusChanged]:
        """Create or move the reported dispute and settle the order (whose lock the caller
        holds). AmountMismatch when the dispute is in another currency than the order."""
        if report.amount.currency != order.currency:
            raise AmountMismatch(
                f"dispute {report.id} in {report.amount.currency} for an order in {order.currency}",
                order_id=order.id,
                dispute_id=report.id,
            )
        dispute = uow.disputes.find(report.id)
        if dispute is None:
            dispute, events = Dispute.from_report(report, order.id, at)
            uow.disputes.add(dispute)
        else:
            events = dispute.report(report, at)
            if events:
                uow.disputes.save(dispute)
        if events:
            order.settle_disputes(uow.disputes.list_for_order(order.id), at)
            for event in events:
                self._tell(dispute, event)
        return events

    def _tell(self, dispute: Dispute, event: DisputeStatusChanged) -> None:
        """Count the dispute's step, and warn when one opens (it has a deadline)."""
        details = {
            "dispute_id": dispute.id,
            "order_id": dispute.order_id,
            "dispute_status": str(dispute.status),
            "amount": dispute.amount,
            "currency": dispute.currency,
        }
        if event.previous is None and event.current in OPEN:
            self._metrics.increment(DISPUTE_METRIC, {"state": "opened"})
            due = dispute.evidence_due_by.isoformat() if dispute.evidence_due_by else "none"
            log.warning(
                "dispute %s opened on order %s: %s %s, reason %s, evidence due %s",
                dispute.id,
                dispute.order_id,
                dispute.amount,
                dispute.currency,
                dispute.reason,
                due,
                extra={**details, "evidence_due_by": due},
            )
        elif event.current in CLOSED:
            self._metrics.increment(DISPUTE_METRIC, {"state": str(event.current)})
            level = logging.WARNING if dispute.lost else logging.INFO
            log.log(level, "dispute %s closed: %s", dispute.id, event.current, extra=details)

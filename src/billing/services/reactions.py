"""What follows from a change of state, inside the transaction that made it.

Paid → entitlements granted and the invoice numbered; fully refunded → entitlements revoked;
a refund succeeded → a credit note numbered; a refund that failed after it succeeded → its
credit note canceled by a document of the invoice series (numbers are never deleted); a dispute
lost → entitlements revoked and a credit note numbered for the lost amount; a duplicate capture
→ the job that refunds it. Rendering and refunding are returned as jobs for after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import attrs

from billing.domain.dispute_status import DisputeStatus
from billing.domain.events import (
    DisputeStatusChanged,
    DomainEvent,
    DuplicateCaptureRecorded,
    OrderStatusChanged,
    RefundStatusChanged,
)
from billing.domain.invoice import DocumentKind
from billing.domain.order import Order
from billing.domain.outbox import Job
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.ports.unit_of_work import UnitOfWork

from .entitlements import EntitlementService
from .invoices import InvoiceService
from .jobs import RENDER_DOCUMENT, SEND_REFUND

log = logging.getLogger(__name__)


@attrs.frozen
class Reactions:
    _entitlements: EntitlementService
    _invoices: InvoiceService

    def apply(self, uow: UnitOfWork, order: Order, events: Iterable[DomainEvent]) -> list[Job]:
        jobs: list[Job] = []
        for event in events:
            if isinstance(event, OrderStatusChanged):
                self._entitlements.sync(uow, order, event.at)
                if _newly_paid(event):
                    artifact = self._invoices.allocate(uow, order, DocumentKind.INVOICE, event.at)
                    jobs.append(_render(artifact.id))
            elif isinstance(event, RefundStatusChanged):
                jobs += self._refund_changed(uow, order, event)
            elif isinstance(event, DisputeStatusChanged):
                self._entitlements.sync(uow, order, event.at)
                if event.current is DisputeStatus.LOST:
                    dispute = uow.disputes.find(event.dispute_id)
                    assert dispute is not None  # recorded in this transaction
                    artifact = self._invoices.allocate(
                        uow, order, DocumentKind.CREDIT_NOTE, event.at, dispute=dispute
                    )
                    jobs.append(_render(artifact.id))
            elif isinstance(event, DuplicateCaptureRecorded) and event.refund_id is not None:
                jobs.append(Job.of(SEND_REFUND, refund_id=event.refund_id))
        return jobs

    def _refund_changed(
        self, uow: UnitOfWork, order: Order, event: RefundStatusChanged
    ) -> list[Job]:
        refund = uow.refunds.get(event.refund_id)
        if not refund.of_the_order:  # a duplicate capture's: nothing was invoiced for it
            if event.current in (RefundStatus.FAILED, RefundStatus.CANCELED):
                log.error(
                    "the refund %s of order %s's second capture %s failed (%s): unless it "
                    "was given back in the provider's dashboard already, the customer is "
                    "still charged twice; give it back by hand",
                    refund.id,
                    order.id,
                    refund.extra_payment_id,
                    refund.failure_reason or "no reason given",
                    extra={"refund_id": refund.id, "order_id": order.id},
                )
            return []
        kind = DocumentKind.CREDIT_NOTE
        if event.current is not RefundStatus.SUCCEEDED:
            money_came_back = event.previous is RefundStatus.SUCCEEDED
            credited = uow.invoices.find(order.id, kind, refund.id)
            if not money_came_back or credited is None:
                return []
            kind = DocumentKind.CREDIT_NOTE_CANCELLATION
        artifact = self._invoices.allocate(uow, order, kind, event.at, refund)
        return [_render(artifact.id)]


def _newly_paid(event: OrderStatusChanged) -> bool:
    return event.current is OrderStatus.PAID and event.previous is OrderStatus.PENDING_PAYMENT


def _render(artifact_id: str) -> Job:
    return Job.of(RENDER_DOCUMENT, artifact_id=artifact_id)

"""What follows from a change of state, inside the transaction that made it.

Paid → entitlements granted and the invoice numbered; fully refunded → entitlements revoked;
a refund succeeded → a credit note numbered. Rendering is returned as jobs for after commit.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from billing.domain.events import DomainEvent, OrderStatusChanged, RefundStatusChanged
from billing.domain.invoice import DocumentKind
from billing.domain.order import Order
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.ports.unit_of_work import UnitOfWork

from .entitlements import EntitlementService
from .invoices import InvoiceService
from .jobs import RENDER_DOCUMENT, Job


@attrs.frozen
class Reactions:
    _entitlements: EntitlementService
    _invoices: InvoiceService

    def apply(self, uow: UnitOfWork, order: Order, events: Iterable[DomainEvent]) -> list[Job]:
        jobs: list[Job] = []
        for event in events:
            if isinstance(event, OrderStatusChanged):
                self._entitlements.sync(uow, order, event.at)
                if (
                    event.current is OrderStatus.PAID
                    and event.previous is OrderStatus.PENDING_PAYMENT
                ):
                    artifact = self._invoices.allocate(uow, order, DocumentKind.INVOICE, event.at)
                    jobs.append(Job.of(RENDER_DOCUMENT, artifact_id=artifact.id))
            elif isinstance(event, RefundStatusChanged) and event.current is RefundStatus.SUCCEEDED:
                refund = uow.refunds.get(event.refund_id)
                artifact = self._invoices.allocate(
                    uow, order, DocumentKind.CREDIT_NOTE, event.at, refund
                )
                jobs.append(Job.of(RENDER_DOCUMENT, artifact_id=artifact.id))
        return jobs


def _newly_paid(event: OrderStatusChanged) -> bool:
    return event.current is OrderStatus.PAID and event.previous is OrderStatus.PENDING_PAYMENT

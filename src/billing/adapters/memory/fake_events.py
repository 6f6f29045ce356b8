"""The fake provider's event format: provider-neutral JSON, signed with HMAC-SHA256.

``FakeEvents`` builds signed deliveries for tests and the demo, the way Stripe would send them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from billing.domain.dispute import DisputeReport
from billing.domain.dispute_status import DisputeStatus
from billing.domain.money import Money
from billing.domain.payment import ProviderRefund
from billing.domain.provider_event import EventKind, ProviderEvent
from billing.domain.refund_status import RefundStatus

if TYPE_CHECKING:
    from .payments import FakePaymentProvider

SIGNATURE_HEADER_PREFIX = "sha256="


@attrs.frozen
class Delivery:
    """One webhook delivery: the raw body and its signature header."""

    payload: bytes
    signature: str
    event_id: str


def _refund_json(refund: ProviderRefund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "payment_id": refund.payment_id,
        "amount": refund.amount.amount,
        "currency": refund.amount.currency,
        "status": str(refund.status),
        "reference": refund.reference,
        "failure_reason": refund.failure_reason,
    }


def _dispute_json(dispute: DisputeReport) -> dict[str, Any]:
    due_by = dispute.evidence_due_by
    return {
        "id": dispute.id,
        "payment_id": dispute.payment_id,
        "amount": dispute.amount.amount,
        "currency": dispute.amount.currency,
        "status": str(dispute.status),
        "reason": dispute.reason,
        "opened_at": dispute.opened_at.isoformat(),
        "evidence_due_by": due_by.isoformat() if due_by is not None else None,
    }


def _dispute_from(data: dict[str, Any] | None) -> DisputeReport | None:
    if data is None:
        return None
    due_by = data.get("evidence_due_by")
    return DisputeReport(
        id=data["id"],
        payment_id=data.get("payment_id"),
        amount=Money(data["amount"], data["currency"]),
        status=DisputeStatus(data["status"]),
        opened_at=datetime.fromisoformat(data["opened_at"]),
        reason=data.get("reason"),
        evidence_due_by=datetime.fromisoformat(due_by) if due_by else None,
    )


def event_from_json(payload: bytes) -> ProviderEvent:
    data = json.loads(payload)
    amount = data.get("amount")
    return ProviderEvent(
        id=data["id"],
        type=data["type"],
        kind=EventKind(data["kind"]),
        created_at=datetime.fromisoformat(data["created"]),
        payload=payload.decode(),
        livemode=False,
        order_id=data.get("order_id"),
        payment_id=data.get("payment_id"),
        amount=Money(amount["amount"], amount["currency"]) if amount else None,
        refunds=tuple(
            ProviderRefund(
                id=r["id"],
                payment_id=r["payment_id"],
                amount=Money(r["amount"], r["currency"]),
                status=RefundStatus(r["status"]),
                reference=r.get("reference"),
                failure_reason=r.get("failure_reason"),
            )
            for r in data.get("refunds", ())
        ),
        failure_code=data.get("failure_code"),
        dispute=_dispute_from(data.get("dispute")),
    )


class FakeEvents:
    """Signed deliveries about the fake provider's payments and refunds."""

    def __init__(self, provider: FakePaymentProvider) -> None:
        self._provider = provider

    def _deliver(self, kind: EventKind, type_: str, **fields: Any) -> Delivery:
        event_id = self._provider.next_event_id()
        body = {
            "id": event_id,
            "type": type_,
            "kind": str(kind),
            "created": self._provider._clock.now().isoformat(),
            **fields,
        }
        payload = json.dumps(body, sort_keys=True).encode()
        return Delivery(payload, self._provider.publish(payload), event_id)

    def _payment_fields(self, payment_id: str, with_order: bool) -> dict[str, Any]:
        payment = self._provider.payments[payment_id]
        fields: dict[str, Any] = {"payment_id": payment_id}
        if with_order:
            fields["order_id"] = self._provider.orders_by_payment[payment_id]
        fields["amount"] = {"amount": payment.amount.amount, "currency": payment.amount.currency}
        return fields

    def payment_succeeded(
        self, payment_id: str, *, amount: Money | None = None, with_order: bool = True
    ) -> Delivery:
        payment = self._provider.complete(payment_id)
        fields = self._payment_fields(payment_id, with_order)
        paid = amount or payment.amount
        fields["amount"] = {"amount": paid.amount, "currency": paid.currency}
        return self._deliver(EventKind.PAYMENT_SUCCEEDED, "payment.succeeded", **fields)

    def payment_failed(self, payment_id: str, code: str = "card_declined") -> Delivery:
        fields = self._payment_fields(payment_id, True)
        return self._deliver(
            EventKind.PAYMENT_FAILED, "payment.failed", failure_code=code, **fields
        )

    def payment_canceled(self, payment_id: str) -> Delivery:
        fields = self._payment_fields(payment_id, True)
        return self._deliver(EventKind.PAYMENT_CANCELED, "payment.canceled", **fields)

    def refund_updated(self, refund_id: str) -> Delivery:
        refund = self._provider.refunds[refund_id]
        assert refund.payment_id is not None
        return self._deliver(
            EventKind.REFUND_UPDATED,
            f"refund.{refund.status}",
            payment_id=refund.payment_id,
            order_id=self._provider.orders_by_payment[refund.payment_id],
            refunds=[_refund_json(refund)],
        )

    def dispute(
        self,
        payment_id: str,
        status: DisputeStatus = DisputeStatus.NEEDS_RESPONSE,
        *,
        dispute_id: str = "dp_fake000001",
        amount: Money | None = None,
        evidence_due_by: datetime | None = None,
        reason: str = "fraudulent",
    ) -> Delivery:
        """The dispute of a payment as it stands now (by default the whole payment, needing a
        response): created, updated or closed, the provider sends the dispute itself."""
        payment = self._provider.payments[payment_id]
        if status is DisputeStatus.LOST:
            lost = (amount or payment.amount).amount
            self._provider.lost_disputes[dispute_id] = (payment_id, lost)
        now = self._provider._clock.now()
        report = DisputeReport(
            id=dispute_id,
            payment_id=payment_id,
            amount=amount or payment.amount,
            status=status,
            opened_at=now,
            reason=reason,
            evidence_due_by=evidence_due_by,
        )
        return self._deliver(
            EventKind.DISPUTE_UPDATED,
            f"dispute.{status}",
            payment_id=payment_id,
            amount={"amount": report.amount.amount, "currency": report.amount.currency},
            dispute=_dispute_json(report),
        )

    def unhandled(self, type_: str = "customer.created") -> Delivery:
        return self._deliver(EventKind.UNHANDLED, type_)

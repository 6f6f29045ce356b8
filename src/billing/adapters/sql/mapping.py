"""Records ↔ domain objects: the one place that knows how each entity is laid out in tables.

``*_record`` functions turn an entity into the column values of its row; ``*_from`` functions
build a fresh domain object from rows. Nothing else in the adapter touches column names of a
domain field, and no row object leaves the adapter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from billing.domain.buyer import BillingDetails
from billing.domain.catalog import Product
from billing.domain.customer import CustomerProfile
from billing.domain.dispute import Dispute
from billing.domain.dispute_status import DisputeStatus
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement
from billing.domain.errors import InvalidInput
from billing.domain.invoice import DocumentKind, DocumentNumber, InvoiceArtifact, TaxCategory
from billing.domain.mail import SentMessage, SentStatus
from billing.domain.money import Money
from billing.domain.order import Customer, Order, OrderItem
from billing.domain.outbox import OutboxJob, OutboxStatus
from billing.domain.payment import PaymentAttempt, PaymentMode
from billing.domain.refund import Refund, RefundOrigin
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus, OrderTransition
from billing.domain.tax import TaxRate
from billing.domain.webhook import WebhookEvent, WebhookStatus

Row = Mapping[Any, Any]  # a RowMapping, keyed by column name
Record = dict[str, Any]


# -- orders -----------------------------------------------------------------------------------


def order_record(order: Order) -> Record:
    return {
        "id": order.id,
        "customer_user_id": order.customer.user_id,
        "customer_email": order.customer.email,
        "currency": order.currency,
        "idempotency_key": order.idempotency_key,
        "status": str(order.status),
        "provider_payment_id": order.provider_payment_id,
        "amount_paid": order.amount_paid,
        "amount_refunded": order.amount_refunded,
        "disputed": order.disputed,
        "amount_disputed_lost": order.amount_disputed_lost,
        "access_token_sha256": order.access_token_sha256,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        **buyer_record(order.billing),
        "payment_method": order.payment_method,
    }


def buyer_record(billing: BillingDetails | None) -> Record:
    billing = billing or BillingDetails()
    return {
        "buyer_name": billing.name,
        "buyer_address": billing.address,
        "buyer_country": billing.country,
        "buyer_tax_id": billing.tax_id,
    }


def buyer_from(row: Row) -> BillingDetails | None:
    billing = BillingDetails(
        name=row["buyer_name"],
        address=row["buyer_address"],
        country=(row["buyer_country"] or "").strip(),
        tax_id=row["buyer_tax_id"],
    )
    return None if billing.empty else billing


def tax_record(rate: TaxRate) -> Record:
    return {
        "tax_rate_bp": rate.rate_bp,
        "tax_category": rate.kind.value,
        "exemption_reason": rate.exemption_reason,
    }


def tax_from(row: Row) -> TaxRate:
    return TaxRate(
        row["tax_rate_bp"], TaxCategory(row["tax_category"].strip()), row["exemption_reason"]
    )


def item_records(order: Order) -> list[Record]:
    return [
        {
            "order_id": order.id,
            "position": position,
            "sku": item.sku,
            "name": item.name,
            "quantity": item.quantity,
            "unit_amount": item.unit_amount,
            "entitlement_key": item.entitlement_key,
            **tax_record(item.tax_rate),
            "net": item.net,
            "tax": item.tax,
            "unit_includes_tax": item.unit_includes_tax,
        }
        for position, item in enumerate(order.items)
    ]


def transition_record(order_id: str, seq: int, transition: OrderTransition) -> Record:
    return {
        "order_id": order_id,
        "seq": seq,
        "from_status": str(transition.from_status),
        "to_status": str(transition.to_status),
        "cause": transition.cause,
        "at": transition.at,
    }


def item_from(row: Row) -> OrderItem:
    return OrderItem(
        sku=row["sku"],
        name=row["name"],
        quantity=row["quantity"],
        unit_amount=row["unit_amount"],
        entitlement_key=row["entitlement_key"],
        tax_rate=tax_from(row),
        net=row["net"],
        tax=row["tax"],
        unit_includes_tax=row["unit_includes_tax"],
    )


def transition_from(row: Row) -> OrderTransition:
    return OrderTransition(
        from_status=OrderStatus(row["from_status"]),
        to_status=OrderStatus(row["to_status"]),
        cause=row["cause"],
        at=row["at"],
    )


def customer_from(row: Row) -> Customer:
    return Customer(user_id=row["customer_user_id"], email=row["customer_email"])


def order_from(row: Row, items: Sequence[Row], transitions: Sequence[Row]) -> Order:
    """``items`` ordered by position, ``transitions`` by sequence."""
    return Order(
        id=row["id"],
        customer=customer_from(row),
        items=tuple(item_from(i) for i in items),
        currency=row["currency"].strip(),
        idempotency_key=row["idempotency_key"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=OrderStatus(row["status"]),
        provider_payment_id=row["provider_payment_id"],
        amount_paid=row["amount_paid"],
        amount_refunded=row["amount_refunded"],
        disputed=row["disputed"],
        amount_disputed_lost=row["amount_disputed_lost"],
        access_token_sha256=row["access_token_sha256"],
        transitions=[transition_from(t) for t in transitions],
        billing=buyer_from(row),
        payment_method=row["payment_method"],
    )


# -- payments and refunds ---------------------------------------------------------------------


def attempt_record(attempt: PaymentAttempt) -> Record:
    return {
        "id": attempt.id,
        "order_id": attempt.order_id,
        "mode": str(attempt.mode),
        "idempotency_key": attempt.idempotency_key,
        "provider_payment_id": attempt.provider_payment_id,
        "status": attempt.status,
        "error_code": attempt.error_code,
        "created_at": attempt.created_at,
    }


def attempt_from(row: Row) -> PaymentAttempt:
    return PaymentAttempt(
        id=row["id"],
        order_id=row["order_id"],
        mode=PaymentMode(row["mode"]),
        idempotency_key=row["idempotency_key"],
        created_at=row["created_at"],
        provider_payment_id=row["provider_payment_id"],
        status=row["status"],
        error_code=row["error_code"],
    )


def refund_record(refund: Refund) -> Record:
    return {
        "id": refund.id,
        "order_id": refund.order_id,
        "amount": refund.amount,
        "currency": refund.currency,
        "status": str(refund.status),
        "origin": str(refund.origin),
        "reason": refund.reason,
        "provider_refund_id": refund.provider_refund_id,
        "failure_reason": refund.failure_reason,
        "created_at": refund.created_at,
        "updated_at": refund.updated_at,
        "extra_payment_id": refund.extra_payment_id,
    }


def refund_from(row: Row) -> Refund:
    return Refund(
        id=row["id"],
        order_id=row["order_id"],
        amount=row["amount"],
        currency=row["currency"].strip(),
        status=RefundStatus(row["status"]),
        origin=RefundOrigin(row["origin"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        reason=row["reason"],
        provider_refund_id=row["provider_refund_id"],
        failure_reason=row["failure_reason"],
        extra_payment_id=row["extra_payment_id"],
    )


# -- disputes and duplicate captures -----------------------------------------------------------


def dispute_record(dispute: Dispute) -> Record:
    return {
        "id": dispute.id,
        "order_id": dispute.order_id,
        "amount": dispute.amount,
        "currency": dispute.currency,
        "status": str(dispute.status),
        "reason": dispute.reason,
        "evidence_due_by": dispute.evidence_due_by,
        "opened_at": dispute.opened_at,
        "updated_at": dispute.updated_at,
        "closed_at": dispute.closed_at,
    }


def dispute_from(row: Row) -> Dispute:
    return Dispute(
        id=row["id"],
        order_id=row["order_id"],
        amount=row["amount"],
        currency=row["currency"].strip(),
        status=DisputeStatus(row["status"]),
        opened_at=row["opened_at"],
        updated_at=row["updated_at"],
        reason=row["reason"],
        evidence_due_by=row["evidence_due_by"],
        closed_at=row["closed_at"],
    )


def duplicate_capture_record(capture: DuplicateCapture) -> Record:
    return {
        "payment_id": capture.payment_id,
        "order_id": capture.order_id,
        "amount": capture.amount,
        "currency": capture.currency,
        "cause": capture.cause,
        "refund_id": capture.refund_id,
        "detected_at": capture.detected_at,
    }


def duplicate_capture_from(row: Row) -> DuplicateCapture:
    return DuplicateCapture(
        payment_id=row["payment_id"],
        order_id=row["order_id"],
        amount=row["amount"],
        currency=row["currency"].strip(),
        detected_at=row["detected_at"],
        cause=row["cause"],
        refund_id=row["refund_id"],
    )


# -- customers and entitlements ---------------------------------------------------------------


def customer_record(profile: CustomerProfile) -> Record:
    return {
        "id": profile.id,
        "user_id": profile.user_id,
        "email": profile.email,
        "provider_customer_id": profile.provider_customer_id,
        "created_at": profile.created_at,
    }


def profile_from(row: Row) -> CustomerProfile:
    return CustomerProfile(
        id=row["id"],
        created_at=row["created_at"],
        user_id=row["user_id"],
        email=row["email"],
        provider_customer_id=row["provider_customer_id"],
    )


def entitlement_record(entitlement: Entitlement) -> Record:
    return {
        "id": entitlement.id,
        "key": entitlement.key,
        "order_id": entitlement.order_id,
        "customer_user_id": entitlement.customer.user_id,
        "customer_email": entitlement.customer.email,
        "granted_at": entitlement.granted_at,
        "revoked_at": entitlement.revoked_at,
    }


def entitlement_from(row: Row) -> Entitlement:
    return Entitlement(
        id=row["id"],
        key=row["key"],
        order_id=row["order_id"],
        customer=customer_from(row),
        granted_at=row["granted_at"],
        revoked_at=row["revoked_at"],
    )


# -- invoices ---------------------------------------------------------------------------------


def invoice_record(artifact: InvoiceArtifact) -> Record:
    try:
        number = DocumentNumber.parse(artifact.number)
    except ValueError:  # a malformed text, on domain versions that do not raise InvalidInput
        raise InvalidInput(f"not a document number: {artifact.number!r}") from None
    return {
        "id": artifact.id,
        "number": artifact.number,
        "series": number.series,
        "year": number.year,
        "sequence": number.sequence,
        "kind": str(artifact.kind),
        "order_id": artifact.order_id,
        "refund_id": artifact.refund_id,
        "template_version": artifact.template_version,
        "html_key": artifact.html_key,
        "html_sha256": artifact.html_sha256,
        "pdf_key": artifact.pdf_key,
        "pdf_sha256": artifact.pdf_sha256,
        "created_at": artifact.created_at,
        "rendered_at": artifact.rendered_at,
        "dispute_id": artifact.dispute_id,
    }


def invoice_from(row: Row) -> InvoiceArtifact:
    return InvoiceArtifact(
        id=row["id"],
        number=row["number"],
        kind=DocumentKind(row["kind"]),
        order_id=row["order_id"],
        created_at=row["created_at"],
        refund_id=row["refund_id"],
        template_version=row["template_version"],
        html_key=row["html_key"],
        html_sha256=row["html_sha256"],
        pdf_key=row["pdf_key"],
        pdf_sha256=row["pdf_sha256"],
        rendered_at=row["rendered_at"],
        dispute_id=row["dispute_id"],
    )


# -- webhook events ---------------------------------------------------------------------------


def _parsed(payload: str) -> Any:
    """The payload as JSON for queries, or None when the raw text is not JSON (or holds an
    escaped NUL, which JSONB refuses)."""
    if "\\u0000" in payload:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return None


def webhook_record(event: WebhookEvent) -> Record:
    if "\x00" in event.payload:  # PostgreSQL text cannot hold NUL: refuse it everywhere alike
        raise InvalidInput("a webhook payload cannot contain NUL characters", event_id=event.id)
    return {
        "id": event.id,
        "type": event.type,
        "status": str(event.status),
        "payload": event.payload,
        "payload_json": _parsed(event.payload),
        "livemode": event.livemode,
        "api_version": event.api_version,
        "attempts": event.attempts,
        "last_error": event.last_error,
        "order_id": event.order_id,
        "received_at": event.received_at,
        "processed_at": event.processed_at,
    }


def webhook_state_record(event: WebhookEvent) -> Record:
    """The columns a ``save`` may change (the journaled payload never changes, so it is
    neither checked nor parsed again)."""
    return {
        "type": event.type,
        "status": str(event.status),
        "livemode": event.livemode,
        "api_version": event.api_version,
        "attempts": event.attempts,
        "last_error": event.last_error,
        "order_id": event.order_id,
        "processed_at": event.processed_at,
    }


def webhook_from(row: Row) -> WebhookEvent:
    return WebhookEvent(
        id=row["id"],
        type=row["type"],
        payload=row["payload"],
        received_at=row["received_at"],
        status=WebhookStatus(row["status"]),
        livemode=row["livemode"],
        api_version=row["api_version"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        order_id=row["order_id"],
        processed_at=row["processed_at"],
    )


# -- catalog ----------------------------------------------------------------------------------


def product_record(product: Product) -> Record:
    return {
        "sku": product.sku,
        "name": product.name,
        "unit_amount": product.price.amount,
        "currency": product.price.currency,
        "entitlement_key": product.entitlement_key,
        "active": product.active,
        **tax_record(product.tax),
    }


def product_from(row: Row) -> Product:
    return Product(
        sku=row["sku"],
        name=row["name"],
        price=Money(row["unit_amount"], row["currency"].strip()),
        entitlement_key=row["entitlement_key"],
        active=row["active"],
        tax=tax_from(row),
    )


def group_by_order(rows: Iterable[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row["order_id"], []).append(row)
    return grouped


# -- outbox -----------------------------------------------------------------------------------


def outbox_record(job: OutboxJob) -> Record:
    return {
        "id": job.id,
        "task": job.task,
        "params": json.dumps(job.params, sort_keys=True, separators=(",", ":")),
        "status": str(job.status),
        "attempts": job.attempts,
        "available_at": job.available_at,
        "created_at": job.created_at,
        "published_at": job.published_at,
        "finished_at": job.finished_at,
        "last_error": job.last_error,
    }


def outbox_from(row: Row) -> OutboxJob:
    params = json.loads(row["params"])
    return OutboxJob(
        id=row["id"],
        task=row["task"],
        params={str(key): str(value) for key, value in params.items()},
        created_at=row["created_at"],
        available_at=row["available_at"],
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        published_at=row["published_at"],
        finished_at=row["finished_at"],
        last_error=row["last_error"],
    )


# -- sent messages ----------------------------------------------------------------------------


def sent_message_record(message: SentMessage) -> Record:
    return {
        "document_id": message.document_id,
        "message_id": message.message_id,
        "recipient": message.recipient,
        "status": str(message.status),
        "attempts": message.attempts,
        "claimed_at": message.claimed_at,
        "sent_at": message.sent_at,
        "last_error": message.last_error,
    }


def sent_message_from(row: Row) -> SentMessage:
    return SentMessage(
        document_id=row["document_id"],
        message_id=row["message_id"],
        recipient=row["recipient"],
        status=SentStatus(row["status"]),
        attempts=row["attempts"],
        claimed_at=row["claimed_at"],
        sent_at=row["sent_at"],
        last_error=row["last_error"],
    )

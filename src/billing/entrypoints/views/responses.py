"""JSON shapes of the answers: one function per domain value, matching ``openapi.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from billing.domain.dispute import Dispute
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement
from billing.domain.invoice import InvoiceArtifact
from billing.domain.order import Order
from billing.domain.payment import ProviderPayment
from billing.domain.refund import Refund
from billing.services.access import OrderDetails
from billing.services.checkout import CheckoutReceipt


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": str(order.status),
        "total": _money(order.total.amount, order.currency),
        "amount_paid": _money(order.amount_paid, order.currency),
        "amount_refunded": _money(order.amount_refunded, order.currency),
        "items": [
            {
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": _money(item.unit_amount, order.currency),
                "amount": _money(item.line_amount, order.currency),
                "tax_rate_bp": item.tax_rate.rate_bp,
                "net": _money(item.net_amount, order.currency),
                "tax": _money(item.tax_amount, order.currency),
            }
            for item in order.items
        ],
        "taxes": taxes_json(order),
        "guest": order.customer.is_guest,
        "disputed": order.disputed,
        "amount_disputed_lost": _money(order.amount_disputed_lost, order.currency),
        "created_at": _time(order.created_at),
        "updated_at": _time(order.updated_at),
        "transitions": [
            {
                "from": str(t.from_status),
                "to": str(t.to_status),
                "cause": t.cause,
                "at": _time(t.at),
            }
            for t in order.transitions
        ],
    }


def taxes_json(order: Order) -> list[dict[str, Any]]:
    """Per rate: net, VAT and gross (their grosses add up to the total)."""
    return [
        {
            "rate_bp": line.rate_bp,
            "category": line.category.value,
            "net": _money(line.net, order.currency),
            "tax": _money(line.tax, order.currency),
            "gross": _money(line.gross, order.currency),
        }
        for line in order.taxes()
    ]


def refund_json(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "order_id": refund.order_id,
        "status": str(refund.status),
        "amount": _money(refund.amount, refund.currency),
        "reason": refund.reason,
        "failure_reason": refund.failure_reason,
        "extra_payment_id": refund.extra_payment_id,
        "created_at": _time(refund.created_at),
    }


def dispute_json(dispute: Dispute) -> dict[str, Any]:
    return {
        "id": dispute.id,
        "order_id": dispute.order_id,
        "status": str(dispute.status),
        "open": dispute.open,
        "amount": _money(dispute.amount, dispute.currency),
        "reason": dispute.reason,
        "evidence_due_by": _time(dispute.evidence_due_by),
        "opened_at": _time(dispute.opened_at),
        "closed_at": _time(dispute.closed_at),
    }


def duplicate_capture_json(capture: DuplicateCapture) -> dict[str, Any]:
    return {
        "payment_id": capture.payment_id,
        "amount": _money(capture.amount, capture.currency),
        "refund_id": capture.refund_id,
        "detected_at": _time(capture.detected_at),
    }


def document_json(document: InvoiceArtifact) -> dict[str, Any]:
    links = {
        fmt: url_for(
            "billing_documents.document",
            order_id=document.order_id,
            document_id=document.id,
            fmt=fmt,
        )
        for fmt, key in (("html", document.html_key), ("pdf", document.pdf_key))
        if key is not None
    }
    return {
        "id": document.id,
        "number": document.number,
        "kind": str(document.kind),
        "refund_id": document.refund_id,
        "links": links,
    }


def order_details_json(details: OrderDetails) -> dict[str, Any]:
    return {
        **order_json(details.order),
        "refunds": [refund_json(r) for r in details.refunds],
        "documents": [document_json(d) for d in details.documents],
        "disputes": [dispute_json(d) for d in details.disputes],
        "duplicate_captures": [duplicate_capture_json(c) for c in details.duplicate_captures],
    }


def payment_json(
    payment: ProviderPayment, provider: str, publishable_key: str | None
) -> dict[str, Any]:
    return {
        "provider": provider,
        "id": payment.id,
        "mode": str(payment.mode),
        "intent_id": payment.payment_intent_id or payment.id,
        "status": payment.status,
        "client_secret": payment.client_secret,
        "checkout_url": payment.checkout_url,
        "publishable_key": publishable_key,
    }


def checkout_json(receipt: CheckoutReceipt) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order": order_json(receipt.order),
        "payment": payment_json(receipt.payment, receipt.provider, receipt.publishable_key),
    }
    if receipt.order_token is not None:
        body["order_token"] = receipt.order_token
    return body


def entitlement_json(entitlement: Entitlement) -> dict[str, Any]:
    return {
        "key": entitlement.key,
        "order_id": entitlement.order_id,
        "granted_at": _time(entitlement.granted_at),
    }

"""JSON shapes of the answers: attrs read models, unstructured by the one converter
(``json_converter``) and described in the OpenAPI document by the same classes
(``json_schema``).

A read model lists what a client may see of a domain value; ``_copy`` fills each of its fields
from the attribute of the same name, so making one more attribute public is one field here.
What is written out below is a real decision: an amount shown with its order's currency, links
built from routes, a guest token shown once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

import attrs
from flask import url_for

from billing.domain.dispute import Dispute
from billing.domain.dispute_status import DisputeStatus
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement
from billing.domain.invoice import DocumentKind, InvoiceArtifact, TaxCategory, TaxLine
from billing.domain.money import Money
from billing.domain.order import Order, OrderItem
from billing.domain.payment import PaymentMode, ProviderPayment
from billing.domain.refund import Refund
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookEvent, WebhookStatus
from billing.services.access import OrderDetails
from billing.services.checkout import CheckoutReceipt
from billing.services.entitlements import MergeResult
from billing.services.health import HealthReport, HealthStatus
from billing.services.webhooks import Delivery, WebhookOutcome

from ..json_schema import meta

R = TypeVar("R")


def _copy(cls: type[R], source: object, **decided: Any) -> R:
    """``cls`` with ``decided`` values, and every other field read from ``source``."""
    values = {
        a.name: decided[a.name] if a.name in decided else getattr(source, a.name)
        for a in attrs.fields(cast(Any, cls))
    }
    return cls(**values)


@attrs.frozen
class ErrorJson:
    code: str = attrs.field(metadata=meta(description="Stable machine-readable code"))
    message: str
    details: dict[str, Any] = attrs.field(default=attrs.Factory(dict))
    retryable: bool = False


@attrs.frozen
class OrderItemJson:
    sku: str
    name: str
    quantity: int
    unit_price: Money
    amount: Money = attrs.field(metadata=meta(description="The line's gross amount"))
    tax_rate_bp: int = attrs.field(
        metadata=meta(description="VAT rate in basis points: 2000 is 20 %")
    )
    net: Money
    tax: Money

    @classmethod
    def of(cls, item: OrderItem, currency: str) -> OrderItemJson:
        return _copy(
            cls,
            item,
            unit_price=Money(item.unit_amount, currency),
            amount=Money(item.line_amount, currency),
            tax_rate_bp=item.tax_rate.rate_bp,
            net=Money(item.net_amount, currency),
            tax=Money(item.tax_amount, currency),
        )


@attrs.frozen
class TaxJson:
    """One rate's totals: net + VAT = gross; the grosses add up to the order's total."""

    rate_bp: int
    category: TaxCategory
    net: Money
    tax: Money
    gross: Money

    @classmethod
    def of(cls, line: TaxLine, currency: str) -> TaxJson:
        money = {name: Money(getattr(line, name), currency) for name in ("net", "tax", "gross")}
        return cls(line.rate_bp, line.category, **money)


@attrs.frozen
class TransitionJson:
    from_status: OrderStatus = attrs.field(metadata=meta(json_name="from"))
    to_status: OrderStatus = attrs.field(metadata=meta(json_name="to"))
    cause: str
    at: datetime


@attrs.frozen
class OrderJson:
    id: str
    status: OrderStatus
    total: Money
    amount_paid: Money
    amount_refunded: Money
    items: list[OrderItemJson]
    taxes: list[TaxJson] = attrs.field(metadata=meta(description="Per VAT rate"))
    guest: bool
    disputed: bool = attrs.field(metadata=meta(description="A dispute is open"))
    amount_disputed_lost: Money = attrs.field(
        metadata=meta(description="Lost to disputes: no longer refundable")
    )
    created_at: datetime
    updated_at: datetime
    transitions: list[TransitionJson]

    @staticmethod
    def decided(order: Order) -> dict[str, Any]:
        """The fields that are not an attribute of ``Order`` read as it is."""
        currency = order.currency
        return {
            "total": order.total,
            "amount_paid": Money(order.amount_paid, currency),
            "amount_refunded": Money(order.amount_refunded, currency),
            "amount_disputed_lost": Money(order.amount_disputed_lost, currency),
            "items": [OrderItemJson.of(item, currency) for item in order.items],
            "taxes": [TaxJson.of(line, currency) for line in order.taxes()],
            "guest": order.customer.is_guest,
            "transitions": [_copy(TransitionJson, t) for t in order.transitions],
        }

    @classmethod
    def of(cls, order: Order) -> OrderJson:
        return _copy(cls, order, **cls.decided(order))


@attrs.frozen
class RefundJson:
    id: str
    order_id: str
    status: RefundStatus
    amount: Money
    reason: str | None
    failure_reason: str | None
    extra_payment_id: str | None = attrs.field(
        metadata=meta(description="Set when it gives back a duplicate capture, not the order's")
    )
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundJson:
        return _copy(cls, refund, amount=Money(refund.amount, refund.currency))


@attrs.frozen
class DisputeJson:
    id: str
    order_id: str
    status: DisputeStatus
    open: bool
    amount: Money
    reason: str | None
    evidence_due_by: datetime | None
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, dispute: Dispute) -> DisputeJson:
        return _copy(cls, dispute, amount=Money(dispute.amount, dispute.currency))


@attrs.frozen
class DuplicateCaptureJson:
    payment_id: str
    amount: Money
    refund_id: str | None = attrs.field(metadata=meta(description="None: flagged only"))
    detected_at: datetime

    @classmethod
    def of(cls, capture: DuplicateCapture) -> DuplicateCaptureJson:
        return _copy(cls, capture, amount=Money(capture.amount, capture.currency))


@attrs.frozen
class DocumentLinksJson:
    """The document's files, once rendered."""

    html: str | None = attrs.field(default=None, metadata=meta(omit_if_default=True))
    pdf: str | None = attrs.field(default=None, metadata=meta(omit_if_default=True))


@attrs.frozen
class DocumentJson:
    id: str
    number: str
    kind: DocumentKind
    refund_id: str | None
    links: DocumentLinksJson

    @classmethod
    def of(cls, document: InvoiceArtifact) -> DocumentJson:
        def link(fmt: str, key: str | None) -> str | None:
            if key is None:
                return None
            return url_for(
                "billing_documents.document",
                order_id=document.order_id,
                document_id=document.id,
                fmt=fmt,
            )

        links = DocumentLinksJson(link("html", document.html_key), link("pdf", document.pdf_key))
        return _copy(cls, document, links=links)


@attrs.frozen
class OrderDetailsJson(OrderJson):
    refunds: list[RefundJson]
    documents: list[DocumentJson]
    disputes: list[DisputeJson]
    duplicate_captures: list[DuplicateCaptureJson]

    @classmethod
    def of_details(cls, details: OrderDetails) -> OrderDetailsJson:
        return _copy(
            cls,
            details.order,
            **OrderJson.decided(details.order),
            refunds=[RefundJson.of(r) for r in details.refunds],
            documents=[DocumentJson.of(d) for d in details.documents],
            disputes=[DisputeJson.of(d) for d in details.disputes],
            duplicate_captures=[DuplicateCaptureJson.of(c) for c in details.duplicate_captures],
        )


@attrs.frozen
class PaymentJson:
    provider: str
    id: str
    mode: PaymentMode
    intent_id: str
    status: str
    client_secret: str | None
    checkout_url: str | None
    publishable_key: str | None


@attrs.frozen
class CheckoutJson:
    order: OrderJson
    payment: PaymentJson
    order_token: str | None = attrs.field(
        default=None,
        metadata=meta(omit_if_default=True, description="Guests only: proves ownership"),
    )

    @classmethod
    def of(cls, receipt: CheckoutReceipt) -> CheckoutJson:
        payment: ProviderPayment = receipt.payment
        shown = _copy(
            PaymentJson,
            payment,
            provider=receipt.provider,
            intent_id=payment.payment_intent_id or payment.id,
            publishable_key=receipt.publishable_key,
        )
        return cls(OrderJson.of(receipt.order), shown, receipt.order_token)


@attrs.frozen
class EntitlementJson:
    key: str
    order_id: str
    granted_at: datetime


@attrs.frozen
class EntitlementsJson:
    entitlements: list[EntitlementJson]

    @classmethod
    def of(cls, held: list[Entitlement]) -> EntitlementsJson:
        return cls([_copy(EntitlementJson, e) for e in held])


@attrs.frozen
class MergedJson:
    """How many were attached."""

    orders: int
    entitlements: int

    @classmethod
    def of(cls, merged: MergeResult) -> MergedJson:
        return _copy(cls, merged)


@attrs.frozen
class DisputesJson:
    disputes: list[DisputeJson]


@attrs.frozen
class WebhookOutcomeJson:
    event_id: str
    outcome: Delivery
    code: str | None
    retryable: bool
    order_id: str | None = attrs.field(
        default=None, metadata=meta(omit_if_default=True, description="Admin replay answers only")
    )

    @classmethod
    def of(cls, outcome: WebhookOutcome, *, with_order: bool) -> WebhookOutcomeJson:
        """``with_order``: an administrator's replay; a provider's delivery is told no id."""
        return _copy(cls, outcome, order_id=outcome.order_id if with_order else None)


@attrs.frozen
class WebhookEventJson:
    id: str
    type: str
    status: WebhookStatus
    attempts: int
    last_error: str | None
    order_id: str | None
    livemode: bool
    api_version: str | None
    received_at: datetime
    processed_at: datetime | None


@attrs.frozen
class WebhookEventDetailJson(WebhookEventJson):
    """One event with the body the provider signed, as text (administrators only)."""

    payload: str

    @classmethod
    def of(cls, event: WebhookEvent) -> WebhookEventDetailJson:
        return _copy(cls, event)


@attrs.frozen
class WebhookEventsJson:
    """The events, without their payloads."""

    events: list[WebhookEventJson]

    @classmethod
    def of(cls, events: list[WebhookEvent]) -> WebhookEventsJson:
        return cls([_copy(WebhookEventJson, event) for event in events])


@attrs.frozen
class DatabaseHealthJson:
    ok: bool
    latency_ms: float | None


@attrs.frozen
class ProviderHealthJson:
    name: str
    configured: bool
    webhook_secret_configured: bool


@attrs.frozen
class WebhooksHealthJson:
    by_status: dict[str, int]
    failed: int | None = attrs.field(
        metadata=meta(description="Failed events: more than 0 makes the status degraded")
    )
    oldest_unprocessed_age_s: float | None
    last_received_at: datetime | None


@attrs.frozen
class TasksHealthJson:
    dead: int | None
    backlog: int | None


@attrs.frozen
class HealthJson:
    status: HealthStatus
    billing_enabled: bool
    version: str
    database: DatabaseHealthJson
    provider: ProviderHealthJson
    webhooks: WebhooksHealthJson
    tasks: TasksHealthJson

    @classmethod
    def of(cls, report: HealthReport) -> HealthJson:
        stats = report.webhooks
        webhooks = WebhooksHealthJson(
            by_status=stats.by_status if stats else {},
            failed=report.failed_webhooks,
            oldest_unprocessed_age_s=report.oldest_unprocessed_age_s,
            last_received_at=stats.last_received_at if stats else None,
        )
        return _copy(
            cls,
            report,
            database=DatabaseHealthJson(report.database_ok, report.database_latency_ms),
            provider=_copy(ProviderHealthJson, report.provider),
            webhooks=webhooks,
            tasks=TasksHealthJson(report.dead_jobs, report.job_backlog),
        )

"""The administrators' listings' answer shapes: attrs classes unstructured by cattrs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from billing.domain.order import Order
from billing.domain.payment import PaymentAttempt, PaymentMode
from billing.domain.refund import Refund
from billing.services.admin_orders import AdminOrderDetails, Page, RefundPage

from ..json_converter import to_json
from ..json_schema import meta
from .admin_query import encode_cursor
from .catalog_responses import MoneyView
from .responses import OrderDetailsJson, WebhookEventJson, WebhookEventsJson


@attrs.frozen
class OrderRow:
    id: str
    status: str
    email: str | None
    user_id: str | None
    total: MoneyView
    paid: MoneyView
    refunded: MoneyView
    disputed_lost: MoneyView
    disputed: bool
    created_at: datetime


@attrs.frozen
class OrderPage:
    orders: list[OrderRow]
    #: The ``?after=`` of the next page; null on the last one.
    next: str | None


@attrs.frozen
class RefundRow:
    id: str
    order_id: str
    status: str
    amount: MoneyView
    reason: str | None
    created_at: datetime


@attrs.frozen
class RefundList:
    refunds: list[RefundRow]
    next: str | None


@attrs.frozen
class PaymentRow:
    id: str
    mode: PaymentMode
    status: str = attrs.field(metadata=meta(description="The provider's own status"))
    provider_payment_id: str | None
    error_code: str | None
    created_at: datetime


def _row(order: Order) -> OrderRow:
    currency = order.currency
    return OrderRow(
        id=order.id,
        status=str(order.status),
        email=order.customer.email,
        user_id=order.customer.user_id,
        total=MoneyView(order.total.amount, currency),
        paid=MoneyView(order.amount_paid, currency),
        refunded=MoneyView(order.amount_refunded, currency),
        disputed_lost=MoneyView(order.amount_disputed_lost, currency),
        disputed=order.disputed,
        created_at=order.created_at,
    )


def _refund(refund: Refund) -> RefundRow:
    return RefundRow(
        id=refund.id,
        order_id=refund.order_id,
        status=str(refund.status),
        amount=MoneyView(refund.amount, refund.currency),
        reason=refund.reason,
        created_at=refund.created_at,
    )


def _payment(attempt: PaymentAttempt) -> PaymentRow:
    return PaymentRow(
        id=attempt.id,
        mode=attempt.mode,
        status=attempt.status,
        provider_payment_id=attempt.provider_payment_id,
        error_code=attempt.error_code,
        created_at=attempt.created_at,
    )


def order_page_json(page: Page) -> dict[str, Any]:
    shown = OrderPage([_row(o) for o in page.orders], encode_cursor(page.next_after))
    document: dict[str, Any] = to_json(shown)
    return document


def refund_page_json(page: RefundPage) -> dict[str, Any]:
    shown = RefundList([_refund(r) for r in page.refunds], encode_cursor(page.next_after))
    document: dict[str, Any] = to_json(shown)
    return document


@attrs.frozen
class AdminOrder(OrderDetailsJson):
    """The order as its owner sees it, with its payment attempts and the provider's events
    journaled for it (oldest first, without their payloads)."""

    payments: list[PaymentRow]
    events: list[WebhookEventJson]

    @classmethod
    def of_admin(cls, found: AdminOrderDetails) -> AdminOrder:
        owner = attrs.asdict(OrderDetailsJson.of_details(found.details), recurse=False)
        payments = [_payment(p) for p in found.payments]
        return cls(**owner, payments=payments, events=WebhookEventsJson.of(found.events).events)


def admin_order_json(found: AdminOrderDetails) -> dict[str, Any]:
    document: dict[str, Any] = to_json(AdminOrder.of_admin(found))
    return document

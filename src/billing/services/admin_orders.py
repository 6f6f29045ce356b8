"""What administrators read: pages of orders and refunds, one order with its payments, and
one journaled webhook event with the raw payload the provider sent.

Every method checks the caller is an administrator (403 ``admin_required`` otherwise).
"""

from __future__ import annotations

import attrs

from billing.domain.errors import OrderNotFound
from billing.domain.identity import Caller
from billing.domain.order import Order
from billing.domain.payment import PaymentAttempt
from billing.domain.refund import Refund
from billing.domain.webhook import WebhookEvent
from billing.ports.listings import MAX_PAGE, Listings, OrderQuery, Position
from billing.ports.unit_of_work import UnitOfWorkFactory
from billing.services.access import AccessService, OrderDetails, require_admin


@attrs.frozen
class Page:
    orders: list[Order]
    #: Where the next page starts (None: this was the last one).
    next_after: Position | None


@attrs.frozen
class RefundPage:
    refunds: list[Refund]
    next_after: Position | None


@attrs.frozen
class AdminOrderDetails:
    details: OrderDetails
    payments: list[PaymentAttempt]
    events: list[WebhookEvent]  # the provider's events journaled for it, oldest first


def _clamped(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


@attrs.frozen
class AdminOrders:
    _listings: Listings
    _uow_factory: UnitOfWorkFactory
    _access: AccessService

    def orders(self, caller: Caller, query: OrderQuery) -> Page:
        require_admin(caller)
        limit = _clamped(query.limit)
        found = self._listings.orders(attrs.evolve(query, limit=limit + 1))  # one more: is
        shown = found[:limit]  # there a next page?
        last = shown[-1] if len(found) > limit else None
        return Page(shown, None if last is None else (last.created_at, last.id))

    def refunds(self, caller: Caller, after: Position | None, limit: int) -> RefundPage:
        require_admin(caller)
        limit = _clamped(limit)
        found = self._listings.refunds(after, limit + 1)
        shown = found[:limit]
        last = shown[-1] if len(found) > limit else None
        return RefundPage(shown, None if last is None else (last.created_at, last.id))

    def webhook_event(self, caller: Caller, event_id: str) -> WebhookEvent:
        """The journaled event (``WebhookEventNotFound`` if none), its payload as received."""
        require_admin(caller)
        with self._uow_factory() as uow:
            return uow.webhook_events.get(event_id)

    def order(self, caller: Caller, order_id: str) -> AdminOrderDetails:
        """Like every route of an order, 404 for whoever may not see it (not 403): probing
        ids tells nothing."""
        if not caller.is_admin:
            raise OrderNotFound(f"no order {order_id}", order_id=order_id)
        details = self._access.order_details(caller, order_id)
        with self._uow_factory() as uow:
            payments = uow.payment_attempts.list_for_order(order_id)
            events = uow.webhook_events.list_for_order(order_id)
        return AdminOrderDetails(details, sorted(payments, key=lambda p: p.created_at), events)

"""Reconciliation: the provider's record of events against our webhook journal and orders.

The provider lists the events it sent since a time (Stripe keeps 30 days of them). Each one we
act on is looked up in the journal and its order checked: an event we never received, one that
failed or still waits, a payment for an order we do not have or that is not paid here, a paid
amount that is not the order's, a refund we do not know or that differs. With ``apply``, the
events we never received go through ``WebhookService.process`` — the path of a webhook, so a
second run, or a late delivery, finds them journaled and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import attrs

from billing.domain.errors import OrderNotFound, ProviderMisconfigured
from billing.domain.order import Order
from billing.domain.payment import ProviderRefund
from billing.domain.provider_event import EventKind, ProviderEvent
from billing.domain.refund_status import supersedes
from billing.domain.state import PAID_STATES
from billing.domain.webhook import SETTLED
from billing.ports.clock import Clock
from billing.ports.payments import ProviderEventLog
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

from .webhooks import WebhookOutcome, WebhookService

log = logging.getLogger(__name__)

#: How far back the provider keeps its events (Stripe's Events API: 30 days).
EVENT_WINDOW: Final = timedelta(days=30)


class DriftKind(StrEnum):
    MISSED_EVENT = "missed_event"  # the provider sent it; our journal never got it
    UNSETTLED_EVENT = "unsettled_event"  # journaled, but failed or still waiting
    UNKNOWN_ORDER = "unknown_order"  # names an order we do not have
    UNPAID_ORDER = "unpaid_order"  # paid at the provider, not paid here
    AMOUNT_MISMATCH = "amount_mismatch"  # the provider's amount is not the order's
    UNKNOWN_REFUND = "unknown_refund"  # a refund at the provider we have no record of
    REFUND_MISMATCH = "refund_mismatch"  # a refund whose amount or status differs


@attrs.frozen
class Drift:
    kind: DriftKind
    event_id: str
    message: str
    order_id: str | None = None


@attrs.frozen
class ReconciliationReport:
    """``drift``: what the comparison found; ``applied``: the outcome of each missed event fed
    through the webhook path (with ``apply``); ``remaining``: the drift left afterwards."""

    since: datetime
    checked: int
    drift: tuple[Drift, ...]
    applied: tuple[WebhookOutcome, ...] = ()
    remaining: tuple[Drift, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.remaining


@attrs.frozen
class ReconciliationService:
    _uow_factory: UnitOfWorkFactory
    _events: ProviderEventLog  # the payment provider (checked when used: not every one lists)
    _webhooks: WebhookService
    _clock: Clock
    #: The event types to ask for (the webhook endpoint's subscription); None: every type.
    _event_types: Sequence[str] | None = None

    def reconcile(self, since: timedelta, *, apply: bool = False) -> ReconciliationReport:
        """Compare the events of the last ``since`` (at most ``EVENT_WINDOW``); with ``apply``,
        process the missed ones, oldest first, and compare again."""
        if not isinstance(self._events, ProviderEventLog):
            raise ProviderMisconfigured("this payment provider cannot list its events")
        start = self._clock.now() - min(since, EVENT_WINDOW)
        listed = list(self._events.list_events(start, self._event_types))
        # Oldest first (a provider lists newest first): a payment before its refunds.
        events = sorted(reversed(listed), key=lambda event: event.created_at)
        handled = [event for event in events if event.kind is not EventKind.UNHANDLED]
        drift = self._compare(handled)
        if not apply:
            return ReconciliationReport(start, len(handled), drift, remaining=drift)
        missed = {d.event_id for d in drift if d.kind is DriftKind.MISSED_EVENT}
        applied = tuple(self._webhooks.process(e) for e in handled if e.id in missed)
        for outcome in applied:
            log.info("reconcile: applied %s: %s", outcome.event_id, outcome.outcome)
        return ReconciliationReport(start, len(handled), drift, applied, self._compare(handled))

    def _compare(self, events: list[ProviderEvent]) -> tuple[Drift, ...]:
        found: list[Drift] = []
        refunds: dict[str, tuple[ProviderRefund, ProviderEvent, Order]] = {}
        with self._uow_factory() as uow:
            for event in events:
                found += _journal_drift(uow, event)
                order = _order_of(uow, event)
                if order is None:
                    if event.order_id is not None:
                        message = f"{event.type} names order {event.order_id}, unknown here"
                        found.append(Drift(DriftKind.UNKNOWN_ORDER, event.id, message))
                    continue
                if event.kind is EventKind.PAYMENT_SUCCEEDED:
                    found += _payment_drift(event, order)
                for reported in event.refunds:  # the furthest report of each refund wins
                    known = refunds.get(reported.id)
                    if known is None or not supersedes(known[0].status, reported.status):
                        refunds[reported.id] = (reported, event, order)
            for reported, event, order in refunds.values():
                found += _refund_drift(uow, reported, event, order)
        return tuple(found)


def _journal_drift(uow: UnitOfWork, event: ProviderEvent) -> list[Drift]:
    journaled = uow.webhook_events.find(event.id)
    if journaled is None:
        message = f"{event.type} of {event.created_at.isoformat()} is not in the journal"
        return [Drift(DriftKind.MISSED_EVENT, event.id, message, event.order_id)]
    if journaled.status not in SETTLED:
        message = f"{event.type} is {journaled.status}: {journaled.last_error or '-'}"
        return [Drift(DriftKind.UNSETTLED_EVENT, event.id, message, journaled.order_id)]
    return []


def _order_of(uow: UnitOfWork, event: ProviderEvent) -> Order | None:
    if event.order_id is not None:
        try:
            return uow.orders.get(event.order_id)
        except OrderNotFound:
            return None
    if event.payment_id is not None:
        return uow.orders.find_by_payment(event.payment_id)
    return None


def _payment_drift(event: ProviderEvent, order: Order) -> list[Drift]:
    found: list[Drift] = []
    if event.amount is not None and event.amount != order.total:
        message = f"paid {event.amount} at the provider, the order is {order.total}"
        found.append(Drift(DriftKind.AMOUNT_MISMATCH, event.id, message, order.id))
    if order.status not in PAID_STATES:
        message = f"paid at the provider, {order.status} here"
        found.append(Drift(DriftKind.UNPAID_ORDER, event.id, message, order.id))
    elif event.amount is not None and order.amount_paid != event.amount.amount:
        message = f"paid {event.amount} at the provider, {order.amount_paid} recorded"
        found.append(Drift(DriftKind.AMOUNT_MISMATCH, event.id, message, order.id))
    return found


def _refund_drift(
    uow: UnitOfWork, reported: ProviderRefund, event: ProviderEvent, order: Order
) -> list[Drift]:
    local = uow.refunds.find(reported.reference) if reported.reference else None
    local = local or uow.refunds.find_by_provider_id(reported.id)
    if local is None:
        message = f"refund {reported.id} of {reported.amount} ({reported.status}) unknown here"
        return [Drift(DriftKind.UNKNOWN_REFUND, event.id, message, order.id)]
    if (local.amount, local.currency, local.status) != (
        reported.amount.amount,
        reported.amount.currency,
        reported.status,
    ):
        message = (
            f"refund {reported.id}: {reported.amount} {reported.status} at the provider, "
            f"{local.amount} {local.currency} {local.status} here"
        )
        return [Drift(DriftKind.REFUND_MISMATCH, event.id, message, order.id)]
    return []

"""The in-memory unit of work: a private copy of the tables, written back on commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import attrs

from billing.domain.order import Order
from billing.domain.webhook import SETTLED, WebhookEvent, WebhookStatus
from billing.ports.unit_of_work import UnlockedOrderWrite

from .database import MemoryDatabase, Tables
from .outbox import MemoryOutbox
from .repositories import (
    MemoryCatalog,
    MemoryCustomers,
    MemoryDisputes,
    MemoryDuplicateCaptures,
    MemoryEntitlements,
    MemoryInvoices,
    MemoryOrders,
    MemoryPaymentAttempts,
    MemoryRefunds,
    MemoryWebhookEvents,
)
from .sent_messages import MemorySentMessages


class MemoryUnitOfWork:
    """Holds the database lock from ``__enter__`` to ``__exit__``; rolls back unless committed.

    In ``autocommit`` its repositories work on the committed tables themselves: each change is
    committed as it is made, and ``commit`` and ``rollback`` have nothing to do."""

    def __init__(self, database: MemoryDatabase, *, autocommit: bool = False) -> None:
        self._database = database
        self._autocommit = autocommit
        self.committed = False

    def __enter__(self) -> Self:
        self._database.lock.acquire()
        tables = self._database.tables
        self._bind(tables if self._autocommit else tables.copy())
        self.committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self._database.lock.release()

    def _bind(self, tables: Tables) -> None:
        self._tables = tables
        self.orders = MemoryOrders(tables.orders)
        self.payment_attempts = MemoryPaymentAttempts(tables.payment_attempts)
        self.refunds = MemoryRefunds(tables.refunds)
        self.disputes = MemoryDisputes(tables.disputes)
        self.duplicate_captures = MemoryDuplicateCaptures(tables.duplicate_captures)
        self.entitlements = MemoryEntitlements(tables.entitlements)
        self.customers = MemoryCustomers(tables.customers)
        self.invoices = MemoryInvoices(tables)
        self.webhook_events = MemoryWebhookEvents(tables.webhook_events)
        self.catalog = MemoryCatalog(tables.products)
        self.outbox = MemoryOutbox(tables.outbox)
        self.sent_messages = MemorySentMessages(tables.sent_messages)

    def commit(self) -> None:
        if not self._autocommit:
            self._database.tables = self._tables.copy()
            self._database.commits += 1
        self.committed = True
        self.orders.release_locks()

    def rollback(self) -> None:
        """Forget uncommitted changes: start again from the committed tables."""
        if not self._autocommit:
            self._bind(self._database.tables.copy())

    def lock_order(self, order_id: str) -> Order:
        if self._autocommit:
            raise UnlockedOrderWrite("a unit of work in autocommit cannot lock an order")
        # The whole database is already locked for this unit of work: this only records that
        # the order may be written.
        return self.orders.lock(order_id)


class MemoryUnitOfWorkFactory:
    """Makes units of work that share one in-memory database."""

    def __init__(self, database: MemoryDatabase | None = None) -> None:
        self.database = database or MemoryDatabase()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.database)

    def autocommit(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.database, autocommit=True)

    def journaled_status(self, event_id: str) -> WebhookStatus | None:
        event = self.journaled_event(event_id)
        return None if event is None else event.status

    def remembered_status(self, event_id: str) -> WebhookStatus | None:
        status = self.journaled_status(event_id)  # reading memory costs no round trip
        return status if status in SETTLED else None

    def journaled_event(self, event_id: str) -> WebhookEvent | None:
        with self.database.lock:
            event: WebhookEvent | None = self.database.tables.webhook_events.get(event_id)
            return None if event is None else attrs.evolve(event)

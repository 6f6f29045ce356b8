"""The SQL unit of work: one connection and one transaction per use case.

``__enter__`` checks a connection out and begins the transaction at once (so on SQLite the
write lock is taken up front with ``BEGIN IMMEDIATE``, and an unreachable database is reported
as ``StorageUnavailable`` before any work is done); ``commit`` and ``rollback`` end it and give
the connection back to the pool (a statement after them begins another on a fresh one);
``__exit__`` rolls back whatever was not committed. Repositories never commit.

It is SQLAlchemy Core's ``Connection``, not an ORM ``Session``: every statement here is Core,
and a session's own bookkeeping (its transaction states and events) cost a paid event 4.5 % of
its instructions for nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.engine import Connection

from billing.adapters.sql_common.prebuilt import Prebuilt, Row
from billing.domain.order import Order
from billing.domain.webhook import SETTLED, WebhookEvent, WebhookStatus
from billing.ports.unit_of_work import UnlockedOrderWrite

from . import mapping, tables
from .engine import AUTOCOMMIT
from .errors import translated
from .locked_facts import LockedOrderFacts
from .outbox import SqlOutbox
from .repositories import (
    SqlCatalog,
    SqlCustomers,
    SqlDisputes,
    SqlDuplicateCaptures,
    SqlEntitlements,
    SqlInvoices,
    SqlOrders,
    SqlPaymentAttempts,
    SqlRefunds,
    SqlWebhookEvents,
)
from .sent_messages import SqlSentMessages


class SqlTransaction:
    """The unit of work's connection: checked out and begun on first use, given back when the
    transaction ends, with what the transaction learned of the orders it locked (forgotten
    then too: the locks end with it). The repositories' ``Transaction``."""

    def __init__(self, engine: Engine, *, autocommit: bool = False) -> None:
        self._engine = engine
        self._autocommit = autocommit
        self.dialect_name = engine.dialect.name
        self.facts = LockedOrderFacts()
        self._connection: Connection | None = None

    def connection(self) -> Connection:
        connection = self._connection
        if connection is None:
            with translated(connecting=True):
                connection = self._engine.connect()
                if self._autocommit:
                    connection = connection.execution_options(isolation_level=AUTOCOMMIT)
                try:
                    connection.begin()  # BEGIN now (none in autocommit): on SQLite, the lock
                except BaseException:
                    connection.close()
                    raise
            self._connection = connection
        return connection

    def commit(self) -> None:
        self._end(Connection.commit)

    def rollback(self) -> None:
        self._end(Connection.rollback)

    def _end(self, how: Callable[[Connection], None]) -> None:
        """Commit or roll back, and give the connection back to the pool either way."""
        connection, self._connection = self._connection, None
        self.facts.forget()
        if connection is None:
            return
        try:
            with translated():
                how(connection)
        finally:
            connection.close()


class SqlUnitOfWork:
    """Rolls back on exit unless ``commit()`` was called; ``lock_order`` row-locks."""

    orders: SqlOrders
    payment_attempts: SqlPaymentAttempts
    refunds: SqlRefunds
    disputes: SqlDisputes
    duplicate_captures: SqlDuplicateCaptures
    entitlements: SqlEntitlements
    customers: SqlCustomers
    invoices: SqlInvoices
    webhook_events: SqlWebhookEvents
    catalog: SqlCatalog
    outbox: SqlOutbox
    sent_messages: SqlSentMessages

    def __init__(self, engine: Engine, *, autocommit: bool = False) -> None:
        self._engine = engine
        self._autocommit = autocommit
        self._transaction: SqlTransaction | None = None
        self.committed = False

    def __enter__(self) -> Self:
        transaction = SqlTransaction(self._engine, autocommit=self._autocommit)
        transaction.connection()  # connect and BEGIN now
        self._transaction = transaction
        self.committed = False
        self.orders = SqlOrders(transaction)
        self.payment_attempts = SqlPaymentAttempts(transaction)
        self.refunds = SqlRefunds(transaction)
        self.disputes = SqlDisputes(transaction)
        self.duplicate_captures = SqlDuplicateCaptures(transaction)
        self.entitlements = SqlEntitlements(transaction)
        self.customers = SqlCustomers(transaction)
        self.invoices = SqlInvoices(transaction)
        self.webhook_events = SqlWebhookEvents(transaction)
        self.catalog = SqlCatalog(transaction)
        self.outbox = SqlOutbox(transaction)
        self.sent_messages = SqlSentMessages(transaction)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        try:
            transaction.rollback()
        except Exception:
            if exc is None:  # never hide the error that ended the block
                raise

    @property
    def transaction(self) -> SqlTransaction:
        if self._transaction is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._transaction

    def commit(self) -> None:
        try:
            self.transaction.commit()
        finally:
            self.orders.forget_stored()  # the transaction ended either way: its locks too
        self.committed = True

    def rollback(self) -> None:
        try:
            self.transaction.rollback()
        finally:
            self.orders.forget_stored()

    def lock_order(self, order_id: str) -> Order:
        if self._autocommit:
            raise UnlockedOrderWrite("a unit of work in autocommit cannot lock an order")
        return self.orders.lock(order_id)


class SqlUnitOfWorkFactory:
    """Makes units of work on one engine; share one factory (and engine) per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._settled: dict[str, WebhookStatus] = {}  # event id -> final status, oldest first
        self._settled_lock = threading.Lock()

    @classmethod
    def from_url(cls, database_url: str) -> SqlUnitOfWorkFactory:
        from .engine import make_engine

        return cls(make_engine(database_url))

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def autocommit(self) -> SqlUnitOfWork:
        """Its connection in autocommit: no ``BEGIN`` (on SQLite no write lock), no
        ``COMMIT``, each statement durable on its own."""
        return SqlUnitOfWork(self.engine, autocommit=True)

    def remembered_status(self, event_id: str) -> WebhookStatus | None:
        return self._settled.get(event_id)

    def journaled_status(self, event_id: str) -> WebhookStatus | None:
        """One indexed ``SELECT status`` on a connection in autocommit: no ``BEGIN`` (on
        SQLite no write lock), no ``COMMIT``. A settled status is final, so the
        last ``SETTLED_MEMO`` ones read are remembered and answered without a round trip."""
        known = self._settled.get(event_id)
        if known is not None:
            return known
        found = self._read_journal(_JOURNALED_STATUS, event_id)
        status = None if found is None else WebhookStatus(found["status"])
        if status in SETTLED:
            self._remember(event_id, status)
        return status

    def journaled_event(self, event_id: str) -> WebhookEvent | None:
        """``journaled_status``'s read, of the whole row: a replay (the async worker's every
        event) reads the event it runs without a transaction of its own."""
        found = self._read_journal(_JOURNALED_EVENT, event_id)
        if found is None:
            return None
        event = mapping.WEBHOOKS.from_row(found)
        if event.status in SETTLED:
            self._remember(event_id, event.status)
        return event

    def _read_journal(self, statement: Prebuilt, event_id: str) -> Row | None:
        """One indexed ``SELECT`` on a connection in autocommit: no ``BEGIN`` (on SQLite no
        write lock), no ``COMMIT``."""
        with translated(connecting=True), self.engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level=AUTOCOMMIT)
            return statement.run(autocommit, {"event_id": event_id}).first()

    def _remember(self, event_id: str, status: WebhookStatus) -> None:
        with self._settled_lock:
            self._settled[event_id] = status
            if len(self._settled) > SETTLED_MEMO:
                del self._settled[next(iter(self._settled))]  # the oldest


#: How many settled event ids a factory remembers (a few hundred kB).
SETTLED_MEMO = 10_000
_JOURNALED_STATUS = Prebuilt(
    select(tables.webhook_events.c.status).where(
        tables.webhook_events.c.id == bindparam("event_id")
    )
)
_JOURNALED_EVENT = Prebuilt(
    select(*tables.webhook_events.c).where(tables.webhook_events.c.id == bindparam("event_id"))
)

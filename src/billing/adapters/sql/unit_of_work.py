"""The SQL unit of work: one session and one transaction per use case.

``__enter__`` opens a session and starts the transaction at once (so on SQLite the write lock
is taken up front with ``BEGIN IMMEDIATE``, and an unreachable database is reported as
``StorageUnavailable`` before any work is done); ``__exit__`` rolls back whatever was not
committed and closes the session. Repositories never commit.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from billing.domain.order import Order
from billing.domain.webhook import SETTLED, WebhookStatus

from . import tables
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

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.committed = False

    def __enter__(self) -> Self:
        session = self._session_factory()
        try:
            with translated(connecting=True):
                session.connection()  # BEGIN now: connect, and on SQLite take the write lock
        except BaseException:
            session.close()
            raise
        self._session = session
        self.committed = False
        facts = self._facts = LockedOrderFacts()  # shared by the repositories that use it
        self.orders = SqlOrders(session, facts)
        self.payment_attempts = SqlPaymentAttempts(session)
        self.refunds = SqlRefunds(session)
        self.disputes = SqlDisputes(session)
        self.duplicate_captures = SqlDuplicateCaptures(session)
        self.entitlements = SqlEntitlements(session, facts)
        self.customers = SqlCustomers(session)
        self.invoices = SqlInvoices(session, facts)
        self.webhook_events = SqlWebhookEvents(session, facts)
        self.catalog = SqlCatalog(session)
        self.outbox = SqlOutbox(session)
        self.sent_messages = SqlSentMessages(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            session.rollback()
        except Exception:
            if exc is None:  # never hide the error that ended the block
                raise
        finally:
            session.close()

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._session

    def commit(self) -> None:
        try:
            with translated():
                self.session.commit()
        finally:
            self._transaction_ended()
        self.committed = True

    def rollback(self) -> None:
        with translated():
            self.session.rollback()
        self._transaction_ended()

    def _transaction_ended(self) -> None:
        """Commit or rollback: the locks are released, and what was read under them may change."""
        self.orders.forget_stored()
        self._facts.forget()

    def lock_order(self, order_id: str) -> Order:
        return self.orders.lock(order_id)


class SqlUnitOfWorkFactory:
    """Makes units of work on one engine; share one factory (and engine) per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._settled: dict[str, WebhookStatus] = {}  # event id -> final status, oldest first
        self._settled_lock = threading.Lock()

    @classmethod
    def from_url(cls, database_url: str) -> SqlUnitOfWorkFactory:
        from .engine import make_engine

        return cls(make_engine(database_url))

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)

    def remembered_status(self, event_id: str) -> WebhookStatus | None:
        return self._settled.get(event_id)

    def journaled_status(self, event_id: str) -> WebhookStatus | None:
        """One indexed ``SELECT status`` on a connection in autocommit: no ``BEGIN`` (on
        SQLite no write lock), no ``COMMIT``, no ORM session. A settled status is final, so the
        last ``SETTLED_MEMO`` ones read are remembered and answered without a round trip."""
        known = self._settled.get(event_id)
        if known is not None:
            return known
        with translated(connecting=True), self.engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level=AUTOCOMMIT)
            found = autocommit.execute(_JOURNALED_STATUS, {"event_id": event_id}).scalar()
        status = None if found is None else WebhookStatus(found)
        if status in SETTLED:
            with self._settled_lock:
                self._settled[event_id] = status
                if len(self._settled) > SETTLED_MEMO:
                    del self._settled[next(iter(self._settled))]  # the oldest
        return status


#: How many settled event ids a factory remembers (a few hundred kB).
SETTLED_MEMO = 10_000
_JOURNALED_STATUS = select(tables.webhook_events.c.status).where(
    tables.webhook_events.c.id == bindparam("event_id")
)

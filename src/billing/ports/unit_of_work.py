"""The unit of work and its repositories: one transaction per use case.

Repositories never commit. Entities read from a repository are copies: a change is stored
only by ``add``/``save`` and made durable only by ``UnitOfWork.commit``.

Every writer of an order locks it first: ``orders.save(order)`` is refused with
``UnlockedOrderWrite`` unless this unit of work added the order or locked it
(``lock_order``) since its last commit or rollback, which end the lock. Saving an order read
without its lock would write back a row another transaction may have changed meanwhile.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from billing.domain.catalog import Product
from billing.domain.customer import CustomerProfile
from billing.domain.dispute import Dispute
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement
from billing.domain.invoice import DocumentKind, InvoiceArtifact
from billing.domain.order import Order
from billing.domain.payment import PaymentAttempt
from billing.domain.refund import Refund
from billing.domain.webhook import WebhookEvent, WebhookStats, WebhookStatus

from .mailer import SentMessageRepository
from .tasks import OutboxRepository


class UnlockedOrderWrite(RuntimeError):
    """A programming error: an order was saved without being locked (or added) first."""


@runtime_checkable
class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...
    def save(self, order: Order) -> None:
        """Store the changes of an order added or locked in this transaction, else raise
        ``UnlockedOrderWrite`` (and write nothing)."""
        ...

    def get(self, order_id: str) -> Order:
        """The order, or OrderNotFound."""
        ...

    def find_by_payment(self, provider_payment_id: str) -> Order | None: ...
    def list_for_guest(self, email: str) -> list[Order]: ...
    def list_for_user(self, user_id: str) -> list[Order]: ...


@runtime_checkable
class PaymentAttemptRepository(Protocol):
    def add(self, attempt: PaymentAttempt) -> None: ...
    def save(self, attempt: PaymentAttempt) -> None: ...
    def find_by_key(self, idempotency_key: str) -> PaymentAttempt | None: ...
    def list_for_order(self, order_id: str) -> list[PaymentAttempt]: ...


@runtime_checkable
class RefundRepository(Protocol):
    def add(self, refund: Refund) -> None: ...
    def save(self, refund: Refund) -> None: ...
    def get(self, refund_id: str) -> Refund: ...
    def find(self, refund_id: str) -> Refund | None: ...
    def find_by_provider_id(self, provider_refund_id: str) -> Refund | None: ...
    def list_for_order(self, order_id: str) -> list[Refund]: ...


@runtime_checkable
class DisputeRepository(Protocol):
    def add(self, dispute: Dispute) -> None: ...
    def save(self, dispute: Dispute) -> None: ...
    def find(self, dispute_id: str) -> Dispute | None: ...
    def list_for_order(self, order_id: str) -> list[Dispute]: ...
    def list(self, open_only: bool = False, limit: int = 100) -> list[Dispute]:
        """Disputes (open ones only, if asked), the soonest evidence due date first, then
        the newest."""
        ...

    def count_open(self) -> int: ...


@runtime_checkable
class DuplicateCaptureRepository(Protocol):
    def add(self, capture: DuplicateCapture) -> None:
        """Record it; a second record of the same payment is a DuplicateRecord."""
        ...

    def find(self, payment_id: str) -> DuplicateCapture | None: ...
    def list_for_order(self, order_id: str) -> list[DuplicateCapture]: ...


@runtime_checkable
class EntitlementRepository(Protocol):
    def add(self, entitlement: Entitlement) -> None: ...
    def add_all(self, entitlements: Sequence[Entitlement]) -> None:
        """All of them, or none if one is refused as a duplicate (``DuplicateRecord``)."""
        ...

    def save(self, entitlement: Entitlement) -> None: ...
    def list_for_order(self, order_id: str) -> list[Entitlement]: ...
    def list_for_user(self, user_id: str) -> list[Entitlement]: ...
    def list_for_guest(self, email: str) -> list[Entitlement]: ...


@runtime_checkable
class CustomerRepository(Protocol):
    def add(self, profile: CustomerProfile) -> None: ...
    def save(self, profile: CustomerProfile) -> None: ...
    def find_by_user(self, user_id: str) -> CustomerProfile | None: ...


@runtime_checkable
class InvoiceRepository(Protocol):
    def allocate_sequence(self, series: str, year: int) -> int:
        """The next sequence of ``series`` in ``year``; gap-free because it commits or rolls
        back with the transaction that uses it."""
        ...

    def add(self, artifact: InvoiceArtifact) -> None: ...
    def save(self, artifact: InvoiceArtifact) -> None: ...
    def get(self, artifact_id: str) -> InvoiceArtifact: ...
    def find(
        self,
        order_id: str,
        kind: DocumentKind,
        refund_id: str | None = None,
        dispute_id: str | None = None,
    ) -> InvoiceArtifact | None:
        """The order's document of ``kind`` for exactly this refund and dispute (None: none)."""
        ...

    def list_for_order(self, order_id: str) -> list[InvoiceArtifact]: ...
    def list_all(self) -> list[InvoiceArtifact]: ...


@runtime_checkable
class WebhookEventRepository(Protocol):
    def add_if_absent(self, event: WebhookEvent) -> bool:
        """Insert unless an event with this id exists (insert-on-conflict); True if inserted."""
        ...

    def claim(self, event_id: str) -> WebhookEvent | None:
        """Atomically move a claimable event to PROCESSING (attempts + 1) and return it; None
        when it is settled or another delivery holds it."""
        ...

    def journal_and_claim(self, event: WebhookEvent) -> WebhookEvent | None:
        """``add_if_absent`` then ``claim``: a new event is journaled already claimed
        (PROCESSING, attempts 1), a known one is claimed as ``claim`` does; None when it is
        settled or another delivery holds it."""
        ...

    def save(self, event: WebhookEvent) -> None: ...
    def get(self, event_id: str) -> WebhookEvent: ...
    def find(self, event_id: str) -> WebhookEvent | None: ...
    def list(self, status: WebhookStatus | None = None, limit: int = 100) -> list[WebhookEvent]: ...
    def list_parked_for_order(self, order_id: str) -> builtins.list[WebhookEvent]: ...
    def list_for_order(self, order_id: str) -> builtins.list[WebhookEvent]:
        """Every event journaled for the order, oldest first."""
        ...

    def stats(self) -> WebhookStats:
        """Counts per status, the oldest event not yet settled, the last one received."""
        ...


@runtime_checkable
class Catalog(Protocol):
    """Server-side prices: a client never sends an amount."""

    def get(self, sku: str) -> Product:
        """The product, or UnknownProduct."""
        ...

    def list(self) -> list[Product]: ...
    def put(self, product: Product) -> None: ...


@runtime_checkable
class UnitOfWork(Protocol):
    """One transaction. Rolls back on exit unless ``commit()`` was called."""

    orders: OrderRepository
    payment_attempts: PaymentAttemptRepository
    refunds: RefundRepository
    disputes: DisputeRepository
    duplicate_captures: DuplicateCaptureRepository
    entitlements: EntitlementRepository
    customers: CustomerRepository
    invoices: InvoiceRepository
    webhook_events: WebhookEventRepository
    catalog: Catalog
    outbox: OutboxRepository
    sent_messages: SentMessageRepository  # receipts by e-mail: one message per document

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def lock_order(self, order_id: str) -> Order:
        """Row-lock the order until the transaction ends and return it, read under the lock
        (OrderNotFound); only then may ``orders.save`` write it. Several orders are locked
        in the order of their ids, so that two writers never wait for each other."""
        ...


@runtime_checkable
class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
    def journaled_status(self, event_id: str) -> WebhookStatus | None:
        """The committed status of a journaled event, None if it is not journaled; read
        outside any unit of work (no write transaction, no lock). A snapshot: only a status
        that can no longer change (``SETTLED``) may be acted upon without a transaction."""
        ...

    def remembered_status(self, event_id: str) -> WebhookStatus | None:
        """A ``SETTLED`` status that ``journaled_status`` read before, without any read now;
        None when none is remembered (the event may still be journaled)."""
        ...

    def journaled_event(self, event_id: str) -> WebhookEvent | None:
        """The committed journal row of an event, None if it is not journaled; read like
        ``journaled_status`` (no transaction, no lock). Its payload never changes once
        journaled; its status is a snapshot, as there."""
        ...

    def autocommit(self) -> UnitOfWork:
        """A unit of work without a transaction: each of its statements commits on its own
        (no ``BEGIN``, no ``COMMIT``; ``commit`` and ``rollback`` have nothing to do). For
        reads, and for writes that stand alone as one statement, such as a compare-and-set
        (``OutboxRepository.replace``). It cannot lock an order (``lock_order`` raises
        ``UnlockedOrderWrite``): a lock would end with the statement that took it."""
        ...

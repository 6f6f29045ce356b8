"""Repositories over the tables of one in-memory unit of work.

Objects go in and out as deep copies, so a caller's change reaches the tables only through
``add``/``save``, exactly as with the SQL adapter.
"""

from __future__ import annotations

import builtins
import copy
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from billing.domain.catalog import Product
from billing.domain.customer import CustomerProfile
from billing.domain.dispute import Dispute
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement, owned_by_guest
from billing.domain.errors import (
    DuplicateRecord,
    InvalidInput,
    InvoiceNotFound,
    OrderNotFound,
    RefundNotFound,
    UnknownProduct,
    WebhookEventNotFound,
)
from billing.domain.invoice import DocumentKind, InvoiceArtifact
from billing.domain.order import Order
from billing.domain.payment import PaymentAttempt
from billing.domain.refund import Refund
from billing.domain.webhook import CLAIMABLE, SETTLED, WebhookEvent, WebhookStats, WebhookStatus
from billing.ports.unit_of_work import UnlockedOrderWrite

from .database import Tables

T = TypeVar("T")
R = TypeVar("R")
#: Sorts before any real time (only used where the time is missing).
_NEVER = datetime.min.replace(tzinfo=UTC)


def _out(value: T) -> T:
    return copy.deepcopy(value)


class _Table(Generic[R]):
    """Insert/update on one table, refusing duplicates and unknown rows like a database."""

    def __init__(self, rows: dict[str, R], key: str = "id") -> None:
        self._rows = rows
        self._key = key

    def _insert(self, obj: R) -> None:
        key = getattr(obj, self._key)
        if key in self._rows:
            raise DuplicateRecord(f"duplicate key {key!r}", key=key)
        self._rows[key] = _out(obj)

    def _update(self, obj: R) -> None:
        key = getattr(obj, self._key)
        if key not in self._rows:
            raise InvalidInput(f"no row {key!r} to update", key=key)
        self._rows[key] = _out(obj)

    def _where(self, **criteria: Any) -> list[R]:
        return [
            _out(row)
            for row in self._rows.values()
            if all(getattr(row, name) == value for name, value in criteria.items())
        ]


class MemoryOrders(_Table[Order]):
    """Orders; like the SQL adapter, ``save`` writes only an order added or locked since the
    unit of work last committed or rolled back (the whole database is locked meanwhile, but a
    writer that forgot the order's lock would race on SQL)."""

    def __init__(self, rows: dict[str, Any]) -> None:
        super().__init__(rows)
        self._writable: set[str] = set()

    def add(self, order: Order) -> None:
        self._insert(order)
        self._writable.add(order.id)

    def save(self, order: Order) -> None:
        if order.id not in self._writable:
            raise UnlockedOrderWrite(f"order {order.id} is saved without its lock")
        self._update(order)

    def lock(self, order_id: str) -> Order:
        order = self.get(order_id)
        self._writable.add(order_id)
        return order

    def release_locks(self) -> None:
        """The transaction ended: writing an order again needs its lock again."""
        self._writable.clear()

    def get(self, order_id: str) -> Order:
        if order_id not in self._rows:
            raise OrderNotFound(f"no order {order_id}", order_id=order_id)
        return _out(self._rows[order_id])

    def find_by_payment(self, provider_payment_id: str) -> Order | None:
        found = self._where(provider_payment_id=provider_payment_id)
        return found[0] if found else None

    def list_for_guest(self, email: str) -> list[Order]:
        return [_out(o) for o in self._rows.values() if owned_by_guest(o.customer, email)]

    def list_for_user(self, user_id: str) -> list[Order]:
        return [_out(o) for o in self._rows.values() if o.customer.user_id == user_id]


class MemoryPaymentAttempts(_Table[PaymentAttempt]):
    def add(self, attempt: PaymentAttempt) -> None:
        if self.find_by_key(attempt.idempotency_key) is not None:
            raise DuplicateRecord("duplicate idempotency key", key=attempt.idempotency_key)
        self._insert(attempt)

    def save(self, attempt: PaymentAttempt) -> None:
        self._update(attempt)

    def find_by_key(self, idempotency_key: str) -> PaymentAttempt | None:
        found = self._where(idempotency_key=idempotency_key)
        return found[0] if found else None

    def list_for_order(self, order_id: str) -> list[PaymentAttempt]:
        return sorted(self._where(order_id=order_id), key=lambda a: a.created_at)


class MemoryRefunds(_Table[Refund]):
    def add(self, refund: Refund) -> None:
        extra = refund.extra_payment_id
        if extra is not None and self._where(extra_payment_id=extra):
            raise DuplicateRecord(f"payment {extra} already has its refund", key=extra)
        self._insert(refund)

    def save(self, refund: Refund) -> None:
        self._update(refund)

    def get(self, refund_id: str) -> Refund:
        refund = self.find(refund_id)
        if refund is None:
            raise RefundNotFound(f"no refund {refund_id}", refund_id=refund_id)
        return refund

    def find(self, refund_id: str) -> Refund | None:
        row = self._rows.get(refund_id)
        return _out(row) if row is not None else None

    def find_by_provider_id(self, provider_refund_id: str) -> Refund | None:
        found = self._where(provider_refund_id=provider_refund_id)
        return found[0] if found else None

    def list_for_order(self, order_id: str) -> list[Refund]:
        return sorted(self._where(order_id=order_id), key=lambda r: r.created_at)


class MemoryDisputes(_Table[Dispute]):
    def add(self, dispute: Dispute) -> None:
        self._insert(dispute)

    def save(self, dispute: Dispute) -> None:
        self._update(dispute)

    def find(self, dispute_id: str) -> Dispute | None:
        row = self._rows.get(dispute_id)
        return _out(row) if row is not None else None

    def list_for_order(self, order_id: str) -> list[Dispute]:
        return sorted(self._where(order_id=order_id), key=lambda d: (d.opened_at, d.id))

    def list(self, open_only: bool = False, limit: int = 100) -> list[Dispute]:
        found = [_out(d) for d in self._rows.values() if d.open or not open_only]
        found.sort(key=lambda d: d.id, reverse=True)
        found.sort(key=lambda d: d.opened_at, reverse=True)
        found.sort(key=lambda d: (d.evidence_due_by is None, d.evidence_due_by or _NEVER))
        return found[:limit]

    def count_open(self) -> int:
        return sum(1 for d in self._rows.values() if d.open)


class MemoryDuplicateCaptures(_Table[DuplicateCapture]):
    def __init__(self, rows: dict[str, Any]) -> None:
        super().__init__(rows, key="payment_id")

    def add(self, capture: DuplicateCapture) -> None:
        self._insert(capture)

    def find(self, payment_id: str) -> DuplicateCapture | None:
        row = self._rows.get(payment_id)
        return _out(row) if row is not None else None

    def list_for_order(self, order_id: str) -> list[DuplicateCapture]:
        return sorted(self._where(order_id=order_id), key=lambda c: (c.detected_at, c.payment_id))


class MemoryEntitlements(_Table[Entitlement]):
    def add(self, entitlement: Entitlement) -> None:
        self._insert(entitlement)

    def add_all(self, entitlements: Sequence[Entitlement]) -> None:
        ids = [e.id for e in entitlements]
        if len(set(ids)) < len(ids) or any(i in self._rows for i in ids):
            raise DuplicateRecord("an entitlement with the same id already exists")
        for entitlement in entitlements:
            self._insert(entitlement)

    def save(self, entitlement: Entitlement) -> None:
        self._update(entitlement)

    def list_for_order(self, order_id: str) -> list[Entitlement]:
        return self._where(order_id=order_id)

    def list_for_user(self, user_id: str) -> list[Entitlement]:
        return [_out(e) for e in self._rows.values() if e.customer.user_id == user_id]

    def list_for_guest(self, email: str) -> list[Entitlement]:
        return [_out(e) for e in self._rows.values() if owned_by_guest(e.customer, email)]


class MemoryCustomers(_Table[CustomerProfile]):
    def add(self, profile: CustomerProfile) -> None:
        self._insert(profile)

    def save(self, profile: CustomerProfile) -> None:
        self._update(profile)

    def find_by_user(self, user_id: str) -> CustomerProfile | None:
        found = self._where(user_id=user_id)
        return found[0] if found else None


class MemoryInvoices(_Table[InvoiceArtifact]):
    def __init__(self, tables: Tables) -> None:
        super().__init__(tables.invoices)
        self._sequences = tables.sequences

    def allocate_sequence(self, series: str, year: int) -> int:
        self._sequences[(series, year)] += 1
        return self._sequences[(series, year)]

    def add(self, artifact: InvoiceArtifact) -> None:
        if self._where(number=artifact.number):
            raise DuplicateRecord(f"duplicate invoice number {artifact.number}")
        self._insert(artifact)

    def save(self, artifact: InvoiceArtifact) -> None:
        self._update(artifact)

    def get(self, artifact_id: str) -> InvoiceArtifact:
        if artifact_id not in self._rows:
            raise InvoiceNotFound(f"no invoice {artifact_id}", invoice_id=artifact_id)
        return _out(self._rows[artifact_id])

    def find(
        self,
        order_id: str,
        kind: DocumentKind,
        refund_id: str | None = None,
        dispute_id: str | None = None,
    ) -> InvoiceArtifact | None:
        found = self._where(
            order_id=order_id, kind=kind, refund_id=refund_id, dispute_id=dispute_id
        )
        return min(found, key=lambda a: a.number) if found else None

    def list_for_order(self, order_id: str) -> list[InvoiceArtifact]:
        return sorted(self._where(order_id=order_id), key=lambda a: a.number)

    def list_all(self) -> list[InvoiceArtifact]:
        return sorted((_out(a) for a in self._rows.values()), key=lambda a: a.number)


class MemoryWebhookEvents(_Table[WebhookEvent]):
    def add_if_absent(self, event: WebhookEvent) -> bool:
        if event.id in self._rows:
            return False
        self._insert(event)
        return True

    def claim(self, event_id: str) -> WebhookEvent | None:
        row = self._rows.get(event_id)
        if row is None or row.status not in CLAIMABLE:
            return None
        row.claim()
        return _out(row)

    def journal_and_claim(self, event: WebhookEvent) -> WebhookEvent | None:
        self.add_if_absent(event)
        return self.claim(event.id)

    def save(self, event: WebhookEvent) -> None:
        self._update(event)

    def get(self, event_id: str) -> WebhookEvent:
        event = self.find(event_id)
        if event is None:
            raise WebhookEventNotFound(f"no webhook event {event_id}", event_id=event_id)
        return event

    def find(self, event_id: str) -> WebhookEvent | None:
        row = self._rows.get(event_id)
        return _out(row) if row is not None else None

    def list(self, status: WebhookStatus | None = None, limit: int = 100) -> list[WebhookEvent]:
        rows = [e for e in self._rows.values() if status is None or e.status == status]
        rows.sort(key=lambda e: e.received_at, reverse=True)
        return [_out(e) for e in rows[:limit]]

    def stats(self) -> WebhookStats:
        rows = list(self._rows.values())
        unsettled = [e.received_at for e in rows if e.status not in SETTLED]
        return WebhookStats(
            by_status=dict(Counter(str(e.status) for e in rows)),
            oldest_unsettled_at=min(unsettled, default=None),
            last_received_at=max((e.received_at for e in rows), default=None),
        )

    def list_for_order(self, order_id: str) -> builtins.list[WebhookEvent]:
        return sorted(self._where(order_id=order_id), key=lambda e: (e.received_at, e.id))

    def list_parked_for_order(self, order_id: str) -> builtins.list[WebhookEvent]:
        rows = self._where(order_id=order_id, status=WebhookStatus.PARKED)
        return sorted(rows, key=lambda e: e.received_at)


class MemoryCatalog(_Table[Product]):
    def __init__(self, rows: dict[str, Any]) -> None:
        super().__init__(rows, key="sku")

    def get(self, sku: str) -> Product:
        product = self._rows.get(sku)
        if product is None or not product.active:
            raise UnknownProduct(f"no product {sku!r} in the catalog", sku=sku)
        return _out(product)

    def list(self) -> list[Product]:
        return sorted((_out(p) for p in self._rows.values()), key=lambda p: p.sku)

    def put(self, product: Product) -> None:
        self._rows[product.sku] = _out(product)

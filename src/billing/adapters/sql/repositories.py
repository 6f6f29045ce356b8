"""Repositories over the tables, in SQLAlchemy 2.0 Core style, inside one transaction.

Every read builds fresh domain objects (``mapping``); every write states its columns. Nothing
here commits: the unit of work does. A refused duplicate (``DuplicateRecord``) leaves the
transaction usable on PostgreSQL as on SQLite (``_insert``). The statements of the hot paths
are built once, with bound parameters: building them per call cost more than running them.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import attrs
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from billing.adapters.sql_common import Prebuilt, Rows
from billing.domain.catalog import Product
from billing.domain.customer import CustomerProfile
from billing.domain.dispute import Dispute
from billing.domain.dispute_status import OPEN
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement
from billing.domain.errors import (
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

from . import mapping
from . import tables as t
from .errors import DuplicateRecord, translated
from .locked_facts import DocumentKey, LockedOrderFacts
from .rows import Row


class Transaction(Protocol):
    """Where a repository's statements run: the unit of work's connection, in its
    transaction (``unit_of_work.SqlTransaction``), and what it learned of the orders it
    locked (forgotten when it ends)."""

    dialect_name: str
    facts: LockedOrderFacts

    def connection(self) -> Connection: ...


class _Repository:
    def __init__(self, transaction: Transaction) -> None:
        self._transaction = transaction
        self._facts = transaction.facts
        self._dialect_name = transaction.dialect_name

    def _execute(self, statement: Any, params: Any = None) -> Rows:
        """Run a Core statement on the transaction's connection.

        A statement built once (``Prebuilt``) may skip SQLAlchemy's execution too.
        """
        connection = self._transaction.connection()
        if isinstance(statement, Prebuilt):
            return statement.run(connection, params)
        return Rows.of(connection, statement, params)

    def _rows(self, statement: Any, params: Any = None) -> list[Row]:
        with translated():
            return list(self._execute(statement, params))

    def _one(self, statement: Any, params: Any = None) -> Row | None:
        with translated():
            return self._execute(statement, params).first()

    def _write(self, statement: Any, params: Any = None) -> Rows:
        with translated():
            return self._execute(statement, params)

    def _insert(self, table: Table, records: Sequence[dict[str, Any]]) -> None:
        """Insert rows, all or none; a duplicate raises DuplicateRecord and the transaction
        lives on.

        The rows go in with ``INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING <key>``,
        one statement for up to ``ROWS_PER_INSERT`` of them: a row not returned was refused by
        a unique key, with no error to roll back, so no savepoint (two more round trips) is
        needed. If any was refused, those that went in are deleted again before the error.
        """
        if len(records) == 1:  # the common case, with the record's own parameter names
            statement = _insert_unless_present(self._dialect(), table)
            if self._write(statement, records[0]).first() is None:
                raise DuplicateRecord("a record with the same unique key already exists")
            return
        taken: list[Row] = []
        for start in range(0, len(records), ROWS_PER_INSERT):
            chunk = records[start : start + ROWS_PER_INSERT]
            statement = _insert_rows_unless_present(
                self._dialect(), table, tuple(chunk[0]), len(chunk)
            )
            params = {
                f"{key}{_NTH}{n}": value
                for n, row in enumerate(chunk)
                for key, value in row.items()
            }
            taken += self._write(statement, params)
        if len(taken) == len(records):
            return
        if taken:
            keys = list(table.primary_key.columns)
            rows = [and_(*(key == row[key.name] for key in keys)) for row in taken]
            self._write(table.delete().where(or_(*rows)))
        raise DuplicateRecord("a record with the same unique key already exists")

    def _update(self, table: Table, row_id: str, record: dict[str, Any]) -> None:
        """``UPDATE`` the row whose ``id`` is ``row_id`` with ``record`` (InvalidInput if none)."""
        result = self._write(_update_by_id(table), {**record, _ROW_ID: row_id})
        if result.rowcount == 0:
            raise InvalidInput(f"no row in {table.name} to update", table=table.name)

    def _dialect(self) -> str:
        return self._dialect_name

    def _dialect_insert(self, table: Table) -> Insert:
        """``INSERT`` with the dialect's ``ON CONFLICT`` clauses (PostgreSQL and SQLite)."""
        return _dialect_insert(self._dialect(), table)


# Statements whose values are all parameters, built once: building a statement with
# ``values(...)`` on every call, and computing its cache key (which walks every value), took
# about a quarter of a paying webhook's CPU.
_ROW_ID = "_row_id"


def _dialect_insert(dialect: str, table: Table) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no insert-on-conflict for {dialect}")


#: The most rows one INSERT statement takes (its compiled form is kept per row count).
ROWS_PER_INSERT = 16
_NTH = "__"  # a row's parameters are named <column>__<its place>


@functools.cache
def _insert_rows_unless_present(
    dialect: str, table: Table, columns: tuple[str, ...], count: int
) -> Prebuilt:
    """``INSERT … VALUES`` of ``count`` rows of ``columns``, ``ON CONFLICT DO NOTHING
    RETURNING <primary key>``; the parameters of row n are ``<column>__<n>``."""
    rows = [
        {c: bindparam(f"{c}{_NTH}{n}", type_=table.c[c].type) for c in columns}
        for n in range(count)
    ]
    insert = _dialect_insert(dialect, table).values(rows).on_conflict_do_nothing()  # type: ignore[attr-defined]
    return Prebuilt(insert.returning(*table.primary_key.columns))


@functools.cache
def _insert_unless_present(dialect: str, table: Table) -> Prebuilt:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING <primary key>``, values as parameters."""
    insert = _dialect_insert(dialect, table).on_conflict_do_nothing()  # type: ignore[attr-defined]
    return Prebuilt(insert.returning(*table.primary_key.columns))


@functools.cache
def _update_by_id(table: Table) -> Prebuilt:
    """``UPDATE <table> SET … WHERE id = :_row_id``, the columns set given as parameters."""
    return Prebuilt(update(table).where(table.c.id == bindparam(_ROW_ID)))


class SqlOrders(_Repository):
    """Orders with their items and (append-only) transitions.

    ``save`` writes only an order this transaction added or locked (``UnlockedOrderWrite``
    otherwise): such an order cannot change under it. ``save`` writes the items again only if
    they changed and appends the new transitions, so it must know what is stored: what was read
    under the lock or written is kept (``_stored``) instead of being read again.
    """

    def __init__(self, transaction: Transaction) -> None:
        super().__init__(transaction)
        #: order id -> (its item rows, how many transitions), as stored in this transaction.
        self._stored: dict[str, tuple[list[dict[str, Any]], int]] = {}
        #: The orders this transaction added or locked: the only ones ``save`` may write.
        self._writable: set[str] = set()

    def add(self, order: Order) -> None:
        items = mapping.item_records(order)
        self._insert(t.orders, [mapping.ORDERS.record(order)])
        self._insert(t.order_items, items)
        self._insert(
            t.order_transitions,
            [mapping.transition_record(order.id, i, tr) for i, tr in enumerate(order.transitions)],
        )
        self._stored[order.id] = (items, len(order.transitions))
        self._writable.add(order.id)

    def save(self, order: Order) -> None:
        if order.id not in self._writable:
            raise UnlockedOrderWrite(f"order {order.id} is saved without its lock")
        known = self._stored.pop(order.id, None)  # kept again only if every write succeeds
        record = mapping.ORDERS.record(order)
        self._update(t.orders, order.id, record)
        stored_items, count = known if known is not None else self._read_stored(order.id)
        items = mapping.item_records(order)
        if stored_items != items:
            self._write(t.order_items.delete().where(t.order_items.c.order_id == order.id))
            self._insert(t.order_items, items)
        # Transitions are append-only: store those after the ones already recorded.
        new = [
            mapping.transition_record(order.id, seq, order.transitions[seq])
            for seq in range(count, len(order.transitions))
        ]
        self._insert(t.order_transitions, new)
        self._stored[order.id] = (items, len(order.transitions))

    def forget_stored(self) -> None:
        """The transaction ended (commit or rollback): its locks are released, and what it
        read under them may change."""
        self._stored.clear()
        self._writable.clear()

    def _read_stored(self, order_id: str) -> tuple[list[dict[str, Any]], int]:
        stored_items = self._rows(
            select(*t.order_items.c)
            .where(t.order_items.c.order_id == order_id)
            .order_by(t.order_items.c.position)
        )
        stored = self._one(
            select(func.count().label("n")).where(t.order_transitions.c.order_id == order_id)
        )
        return [dict(row) for row in stored_items], stored["n"] if stored is not None else 0

    def get(self, order_id: str) -> Order:
        found = self._load(_orders_by("id"), order_id)
        if not found:
            raise OrderNotFound(f"no order {order_id}", order_id=order_id)
        return found[0]

    def lock(self, order_id: str) -> Order:
        """``SELECT … FOR UPDATE`` on the order's row (SQLite: already holds the write lock),
        reading the row in the same statement: its items and transitions follow the lock."""
        found = self._load(_orders_by("id", for_update=True), order_id, for_update=True)
        if not found:
            raise OrderNotFound(f"no order {order_id}", order_id=order_id)
        self._writable.add(order_id)
        return found[0]

    def find_by_payment(self, provider_payment_id: str) -> Order | None:
        found = self._load(_orders_by("provider_payment_id"), provider_payment_id)
        return found[0] if found else None

    def list_for_guest(self, email: str) -> list[Order]:
        return self._load(_orders_of_guest(), email)

    def list_for_user(self, user_id: str) -> list[Order]:
        return self._load(_orders_by("customer_user_id"), user_id)

    def _load(self, orders: Prebuilt, value: str, *, for_update: bool = False) -> list[Order]:
        """The orders ``orders`` selects (its one parameter: ``value``), with their items and
        transitions."""
        rows = self._rows(orders, {_VALUE: value})
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        if len(ids) == 1 and self._dialect() == "postgresql":
            items, transitions = self._parts_of_one_order(ids[0], locked=for_update)
        else:
            items = mapping.group_by_order(self._of_orders(t.order_items, ids))
            transitions = mapping.group_by_order(self._of_orders(t.order_transitions, ids))
        if for_update:  # locked until the transaction ends: what save() compares with
            for row in rows:
                order_items = items.get(row["id"], [])
                order_transitions = transitions.get(row["id"], [])
                self._stored[row["id"]] = ([dict(r) for r in order_items], len(order_transitions))
        return [
            mapping.order_from(row, items.get(row["id"], []), transitions.get(row["id"], []))
            for row in rows
        ]

    def _parts_of_one_order(
        self, order_id: str, *, locked: bool
    ) -> tuple[dict[str, list[Row]], dict[str, list[Row]]]:
        """PostgreSQL: an order's items and transitions in one statement (two JSON arrays of
        rows), where they took two. It runs after the order's ``FOR UPDATE``, so with a
        snapshot of its own that sees what the lock's previous holder committed (in one
        statement with the lock, the snapshot would predate what it waited for). Under the
        lock it also learns what ``LockedOrderFacts`` keeps."""
        statement = _PARTS_OF_LOCKED_ORDER if locked else _PARTS_OF_ONE_ORDER
        row = self._one(statement, {_VALUE: order_id})
        assert row is not None
        if locked:
            self._facts.learned(
                order_id,
                has_entitlements=row["has_entitlements"],
                has_parked_events=row["has_parked_events"],
                documents=[(kind, refund, dispute) for kind, refund, dispute in row["documents"]],
            )
        transitions: list[Row] = [{**tr, "at": _utc(tr["at"])} for tr in row["transitions"]]
        return {order_id: row["items"]}, {order_id: transitions}

    def _of_orders(self, table: Table, ids: Sequence[str]) -> list[Row]:
        """The items or transitions of these orders: one order (the common case) by a statement
        built once, several by ``IN (…)`` (rendered anew for every call)."""
        if len(ids) == 1:
            return self._rows(_rows_of_one_order(table), {_VALUE: ids[0]})
        statement = select(*table.c).where(table.c.order_id.in_(ids))
        return self._rows(statement.order_by(table.c.order_id, _place_in_order(table)))


def _utc(iso: str) -> datetime:
    """A ``timestamptz`` as JSON renders it (ISO 8601 with its offset), as an aware UTC time."""
    return datetime.fromisoformat(iso).astimezone(UTC)


def _json_rows(table: Table, order: str) -> str:
    """A subquery: the table's rows of order ``:value`` as one JSON array. Only names of our
    own tables and columns are put in the text; the order id is a bound parameter."""
    rows = f"coalesce(json_agg(r ORDER BY r.{order}), '[]'::json)"
    return f"(SELECT {rows} FROM {table.name} r WHERE r.order_id = :value)"  # noqa: S608


_PARTS = (
    f"SELECT {_json_rows(t.order_items, 'position')} AS items, "
    f"{_json_rows(t.order_transitions, 'seq')} AS transitions"
)
#: PostgreSQL: one order's items and transitions, each a JSON array of whole rows in order.
_PARTS_OF_ONE_ORDER = Prebuilt(text(_PARTS))
#: The same after the order's lock, with what ``LockedOrderFacts`` keeps: whether the order has
#: entitlements and parked events, and its documents' keys (all by ``order_id`` indexes).
#: As in ``_json_rows``, only our own tables' names (and our own status) are put in the text.
_PARTS_OF_LOCKED_ORDER = Prebuilt(
    text(
        f"{_PARTS}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {t.entitlements.name} WHERE order_id = :value) "
        "AS has_entitlements, "
        f"EXISTS (SELECT 1 FROM {t.webhook_events.name} "
        f"WHERE order_id = :value AND status = '{WebhookStatus.PARKED}') AS has_parked_events, "
        "(SELECT coalesce(json_agg(json_build_array(kind, refund_id, dispute_id)), '[]'::json) "
        f"FROM {t.invoice_artifacts.name} WHERE order_id = :value) AS documents"
    )
)


def _by_time(table: Table) -> tuple[Any, ...]:
    return (table.c.created_at, table.c.id)


_VALUE = "value"


@functools.cache
def _orders_by(column: str, *, for_update: bool = False) -> Prebuilt:
    """``SELECT`` the orders whose ``column`` is ``:value``, oldest first; built once."""
    statement = select(*t.orders.c).where(t.orders.c[column] == bindparam(_VALUE))
    statement = statement.order_by(*_by_time(t.orders))
    return Prebuilt(statement.with_for_update() if for_update else statement)


@functools.cache
def _orders_of_guest() -> Prebuilt:
    c = t.orders.c
    guest = and_(c.customer_user_id.is_(None), c.customer_email == bindparam(_VALUE))
    return Prebuilt(select(*c).where(guest).order_by(*_by_time(t.orders)))


@functools.cache
def _rows_of_one_order(table: Table) -> Prebuilt:
    """An order's items or transitions (``order_id = :value``) in their order; built once."""
    of_order = select(*table.c).where(table.c.order_id == bindparam(_VALUE))
    return Prebuilt(of_order.order_by(_place_in_order(table)))


def _place_in_order(table: Table) -> ColumnElement[Any]:
    """Where a row stands among its order's: an item's position, a transition's sequence."""
    return table.c.position if "position" in table.c else table.c.seq


class SqlPaymentAttempts(_Repository):
    def add(self, attempt: PaymentAttempt) -> None:
        self._insert(t.payment_attempts, [mapping.ATTEMPTS.record(attempt)])

    def save(self, attempt: PaymentAttempt) -> None:
        self._update(t.payment_attempts, attempt.id, mapping.ATTEMPTS.record(attempt))

    def find_by_key(self, idempotency_key: str) -> PaymentAttempt | None:
        row = self._one(_ATTEMPT_BY_KEY, {_VALUE: idempotency_key})
        return mapping.ATTEMPTS.from_row(row) if row is not None else None

    def list_for_order(self, order_id: str) -> list[PaymentAttempt]:
        c = t.payment_attempts.c
        statement = select(*c).where(c.order_id == order_id).order_by(c.created_at, c.id)
        return [mapping.ATTEMPTS.from_row(row) for row in self._rows(statement)]


class SqlRefunds(_Repository):
    def add(self, refund: Refund) -> None:
        self._insert(t.refunds, [mapping.REFUNDS.record(refund)])

    def save(self, refund: Refund) -> None:
        self._update(t.refunds, refund.id, mapping.REFUNDS.record(refund))

    def get(self, refund_id: str) -> Refund:
        refund = self.find(refund_id)
        if refund is None:
            raise RefundNotFound(f"no refund {refund_id}", refund_id=refund_id)
        return refund

    def find(self, refund_id: str) -> Refund | None:
        return self._first(t.refunds.c.id == refund_id)

    def find_by_provider_id(self, provider_refund_id: str) -> Refund | None:
        return self._first(t.refunds.c.provider_refund_id == provider_refund_id)

    def list_for_order(self, order_id: str) -> list[Refund]:
        c = t.refunds.c
        statement = select(*c).where(c.order_id == order_id).order_by(*_by_time(t.refunds))
        return [mapping.REFUNDS.from_row(row) for row in self._rows(statement)]

    def _first(self, where: ColumnElement[bool]) -> Refund | None:
        row = self._one(select(*t.refunds.c).where(where))
        return mapping.REFUNDS.from_row(row) if row is not None else None


class SqlDisputes(_Repository):
    def add(self, dispute: Dispute) -> None:
        self._insert(t.disputes, [mapping.DISPUTES.record(dispute)])

    def save(self, dispute: Dispute) -> None:
        self._update(t.disputes, dispute.id, mapping.DISPUTES.record(dispute))

    def find(self, dispute_id: str) -> Dispute | None:
        row = self._one(select(*t.disputes.c).where(t.disputes.c.id == dispute_id))
        return mapping.DISPUTES.from_row(row) if row is not None else None

    def list_for_order(self, order_id: str) -> list[Dispute]:
        c = t.disputes.c
        statement = select(*c).where(c.order_id == order_id).order_by(c.opened_at, c.id)
        return [mapping.DISPUTES.from_row(row) for row in self._rows(statement)]

    def list(self, open_only: bool = False, limit: int = 100) -> list[Dispute]:
        c = t.disputes.c
        due_first = (
            c.evidence_due_by.is_(None),
            c.evidence_due_by,
            c.opened_at.desc(),
            c.id.desc(),
        )
        statement = select(*c).order_by(*due_first).limit(limit)
        if open_only:
            statement = statement.where(_OPEN_DISPUTE)
        return [mapping.DISPUTES.from_row(row) for row in self._rows(statement)]

    def count_open(self) -> int:
        row = self._one(select(func.count().label("n")).where(_OPEN_DISPUTE))
        return int(row["n"]) if row is not None else 0


class SqlDuplicateCaptures(_Repository):
    def add(self, capture: DuplicateCapture) -> None:
        self._insert(t.duplicate_captures, [mapping.DUPLICATE_CAPTURES.record(capture)])

    def find(self, payment_id: str) -> DuplicateCapture | None:
        c = t.duplicate_captures.c
        row = self._one(select(*c).where(c.payment_id == payment_id))
        return mapping.DUPLICATE_CAPTURES.from_row(row) if row is not None else None

    def list_for_order(self, order_id: str) -> list[DuplicateCapture]:
        c = t.duplicate_captures.c
        statement = select(*c).where(c.order_id == order_id).order_by(c.detected_at, c.payment_id)
        return [mapping.DUPLICATE_CAPTURES.from_row(row) for row in self._rows(statement)]


class SqlEntitlements(_Repository):
    def add(self, entitlement: Entitlement) -> None:
        self.add_all([entitlement])

    def add_all(self, entitlements: Sequence[Entitlement]) -> None:
        self._facts.entitlements_written(e.order_id for e in entitlements)
        self._insert(t.entitlements, [mapping.ENTITLEMENTS.record(e) for e in entitlements])

    def save(self, entitlement: Entitlement) -> None:
        self._facts.entitlements_written([entitlement.order_id])
        self._update(t.entitlements, entitlement.id, mapping.ENTITLEMENTS.record(entitlement))

    def list_for_order(self, order_id: str) -> list[Entitlement]:
        if self._facts.has_no_entitlements(order_id):
            return []
        rows = self._rows(_ENTITLEMENTS_OF_ORDER, {_VALUE: order_id})
        return [mapping.ENTITLEMENTS.from_row(row) for row in rows]

    def list_for_user(self, user_id: str) -> list[Entitlement]:
        return self._list(t.entitlements.c.customer_user_id == user_id)

    def list_for_guest(self, email: str) -> list[Entitlement]:
        c = t.entitlements.c
        return self._list(and_(c.customer_user_id.is_(None), c.customer_email == email))

    def _list(self, where: ColumnElement[bool]) -> list[Entitlement]:
        c = t.entitlements.c
        statement = select(*c).where(where).order_by(c.granted_at, c.id)
        return [mapping.ENTITLEMENTS.from_row(row) for row in self._rows(statement)]


class SqlCustomers(_Repository):
    def add(self, profile: CustomerProfile) -> None:
        self._insert(t.customers, [mapping.CUSTOMERS.record(profile)])

    def save(self, profile: CustomerProfile) -> None:
        self._update(t.customers, profile.id, mapping.CUSTOMERS.record(profile))

    def find_by_user(self, user_id: str) -> CustomerProfile | None:
        row = self._one(select(*t.customers.c).where(t.customers.c.user_id == user_id))
        return mapping.CUSTOMERS.from_row(row) if row is not None else None


class SqlInvoices(_Repository):
    def allocate_sequence(self, series: str, year: int) -> int:
        """Upsert on the (series, year) counter row: the row stays locked until the transaction
        ends, so concurrent allocations queue, and a rollback gives the number back."""
        row = self._write(_next_sequence(self._dialect()), {"series": series, "year": year}).one()
        sequence: int = row["last_sequence"]
        return sequence

    def add(self, artifact: InvoiceArtifact) -> None:
        self._facts.document_written(artifact.order_id, _document_key(artifact))
        self._insert(t.invoice_artifacts, [mapping.INVOICES.record(artifact)])

    def save(self, artifact: InvoiceArtifact) -> None:
        self._facts.document_written(artifact.order_id, _document_key(artifact))
        self._update(t.invoice_artifacts, artifact.id, mapping.INVOICES.record(artifact))

    def get(self, artifact_id: str) -> InvoiceArtifact:
        found = self._list(t.invoice_artifacts.c.id == artifact_id)
        if not found:
            raise InvoiceNotFound(f"no invoice {artifact_id}", invoice_id=artifact_id)
        return found[0]

    def find(
        self,
        order_id: str,
        kind: DocumentKind,
        refund_id: str | None = None,
        dispute_id: str | None = None,
    ) -> InvoiceArtifact | None:
        if self._facts.has_no_document(order_id, (str(kind), refund_id, dispute_id)):
            return None
        params = {
            "order_id": order_id,
            "kind": str(kind),
            "refund_id": refund_id,
            "dispute_id": dispute_id,
        }
        row = self._one(_DOCUMENT_OF_ORDER, params)
        return mapping.INVOICES.from_row(row) if row is not None else None

    def list_for_order(self, order_id: str) -> list[InvoiceArtifact]:
        return self._list(t.invoice_artifacts.c.order_id == order_id)

    def list_all(self) -> list[InvoiceArtifact]:
        return self._list(None)

    def _list(self, where: ColumnElement[bool] | None) -> list[InvoiceArtifact]:
        c = t.invoice_artifacts.c
        statement: Select[Any] = select(*c).order_by(c.number)
        if where is not None:
            statement = statement.where(where)
        return [mapping.INVOICES.from_row(row) for row in self._rows(statement)]


def _document_key(artifact: InvoiceArtifact) -> DocumentKey:
    return str(artifact.kind), artifact.refund_id, artifact.dispute_id


class SqlWebhookEvents(_Repository):
    def add_if_absent(self, event: WebhookEvent) -> bool:
        """``INSERT … ON CONFLICT (id) DO NOTHING``; a concurrent insert of the same id waits
        for the first one's transaction and then finds the row."""
        self._written(event)
        statement = _insert_unless_present(self._dialect(), t.webhook_events)  # id: its one key
        return self._write(statement, mapping.WEBHOOKS.record(event)).first() is not None

    def claim(self, event_id: str) -> WebhookEvent | None:
        """One atomic ``UPDATE … WHERE status IN (claimable) RETURNING``: of concurrent claims,
        exactly one changes the row; the others find it no longer claimable."""
        row = self._write(_CLAIM, {_VALUE: event_id}).first()
        return mapping.WEBHOOKS.from_row(row) if row is not None else None

    def journal_and_claim(self, event: WebhookEvent) -> WebhookEvent | None:
        """A new event goes in already claimed: one ``INSERT … ON CONFLICT DO NOTHING
        RETURNING id``, where inserting and then claiming took two statements. A conflict
        means the event is known: it is claimed as ``claim`` does (a second statement)."""
        claimed = attrs.evolve(event)
        claimed.claim()
        self._written(claimed)
        statement = _insert_unless_present(self._dialect(), t.webhook_events)
        if self._write(statement, mapping.WEBHOOKS.record(claimed)).first() is not None:
            return claimed
        return self.claim(event.id)

    def save(self, event: WebhookEvent) -> None:
        self._written(event)
        self._update(t.webhook_events, event.id, mapping.webhook_state_record(event))

    def _written(self, event: WebhookEvent) -> None:
        self._facts.event_written(event.order_id, parked=event.status is WebhookStatus.PARKED)

    def get(self, event_id: str) -> WebhookEvent:
        event = self.find(event_id)
        if event is None:
            raise WebhookEventNotFound(f"no webhook event {event_id}", event_id=event_id)
        return event

    def find(self, event_id: str) -> WebhookEvent | None:
        row = self._one(select(*t.webhook_events.c).where(t.webhook_events.c.id == event_id))
        return mapping.WEBHOOKS.from_row(row) if row is not None else None

    def list(self, status: WebhookStatus | None = None, limit: int = 100) -> list[WebhookEvent]:
        c = t.webhook_events.c
        statement = select(*c).order_by(c.received_at.desc(), c.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(c.status == str(status))
        return [mapping.WEBHOOKS.from_row(row) for row in self._rows(statement)]

    def stats(self) -> WebhookStats:
        c = t.webhook_events.c
        counts = self._rows(select(c.status, func.count().label("n")).group_by(c.status))
        unsettled = c.status.not_in([str(s) for s in sorted(SETTLED)])
        times = self._one(
            select(
                select(func.min(c.received_at)).where(unsettled).scalar_subquery().label("oldest"),
                func.max(c.received_at).label("last"),
            )
        )
        assert times is not None
        return WebhookStats(
            by_status={row["status"]: row["n"] for row in counts},
            oldest_unsettled_at=times["oldest"],
            last_received_at=times["last"],
        )

    def list_for_order(self, order_id: str) -> builtins.list[WebhookEvent]:
        rows = self._rows(_EVENTS_OF_ORDER, {_VALUE: order_id})
        return [mapping.WEBHOOKS.from_row(row) for row in rows]

    def list_parked_for_order(self, order_id: str) -> builtins.list[WebhookEvent]:
        if self._facts.has_no_parked_events(order_id):
            return []
        rows = self._rows(_PARKED_OF_ORDER, {_VALUE: order_id})
        return [mapping.WEBHOOKS.from_row(row) for row in rows]


class SqlCatalog(_Repository):
    def get(self, sku: str) -> Product:
        row = self._one(_ACTIVE_PRODUCT, {_VALUE: sku})
        if row is None:
            raise UnknownProduct(f"no product {sku!r} in the catalog", sku=sku)
        return mapping.PRODUCTS.from_row(row)

    def list(self) -> list[Product]:
        statement = select(*t.products.c).order_by(t.products.c.sku)
        return [mapping.PRODUCTS.from_row(row) for row in self._rows(statement)]

    def put(self, product: Product) -> None:
        """Insert or replace the product with this sku."""
        record = mapping.PRODUCTS.record(product)
        statement = (
            self._dialect_insert(t.products)
            .values(**record)
            .on_conflict_do_update(  # type: ignore[attr-defined]
                index_elements=[t.products.c.sku],
                set_={k: v for k, v in record.items() if k != "sku"},
            )
        )
        self._write(statement)


# -- statements of the paying path, built once ------------------------------------------------


@functools.cache
def _next_sequence(dialect: str) -> Prebuilt:
    """Take the next number of ``(:series, :year)``: the counter row's upsert, returning it."""
    c = t.invoice_sequences.c
    return Prebuilt(
        _dialect_insert(dialect, t.invoice_sequences)
        .values(series=bindparam("series"), year=bindparam("year"), last_sequence=1)
        .on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[c.series, c.year],
            set_={"last_sequence": c.last_sequence + 1},
        )
        .returning(c.last_sequence)
    )


#: A checkout's two reads (its products, then its attempt after the provider answered).
_ACTIVE_PRODUCT = Prebuilt(
    select(*t.products.c).where(t.products.c.sku == bindparam(_VALUE), t.products.c.active)
)
_ATTEMPT_BY_KEY = Prebuilt(
    select(*t.payment_attempts.c).where(t.payment_attempts.c.idempotency_key == bindparam(_VALUE))
)
_ENTITLEMENTS_OF_ORDER = Prebuilt(
    select(*t.entitlements.c)
    .where(t.entitlements.c.order_id == bindparam(_VALUE))
    .order_by(t.entitlements.c.granted_at, t.entitlements.c.id)
)
_DOCUMENTS = t.invoice_artifacts.c


#: An order's document of a kind (the first by number) for exactly one refund and one dispute,
#: either of them NULL: ``IS NOT DISTINCT FROM`` (SQLite: ``IS``) compares NULL as a value.
_DOCUMENT_OF_ORDER = Prebuilt(
    select(*_DOCUMENTS)
    .where(
        _DOCUMENTS.order_id == bindparam("order_id"),
        _DOCUMENTS.kind == bindparam("kind"),
        _DOCUMENTS.refund_id.is_not_distinct_from(bindparam("refund_id", type_=String())),
        _DOCUMENTS.dispute_id.is_not_distinct_from(bindparam("dispute_id", type_=String())),
    )
    .order_by(_DOCUMENTS.number)
    .limit(1)
)
_OPEN_DISPUTE = t.disputes.c.status.in_(sorted(map(str, OPEN)))
_EVENTS = t.webhook_events.c
#: One atomic ``UPDATE … WHERE status is claimable RETURNING``; the statuses as ``OR``-ed
#: constants, not an ``IN`` list, which SQLAlchemy renders anew on every call (the async
#: worker claims every event it runs).
_CLAIM = Prebuilt(
    update(t.webhook_events)
    .where(
        _EVENTS.id == bindparam(_VALUE),
        or_(*(_EVENTS.status == str(status) for status in sorted(CLAIMABLE))),
    )
    .values(status=str(WebhookStatus.PROCESSING), attempts=_EVENTS.attempts + 1)
    .returning(*_EVENTS)
)
#: Served by the (order_id, status) index.
_EVENTS_OF_ORDER = Prebuilt(
    select(*_EVENTS)
    .where(_EVENTS.order_id == bindparam(_VALUE))
    .order_by(_EVENTS.received_at, _EVENTS.id)
)
_PARKED_OF_ORDER = Prebuilt(
    select(*_EVENTS)
    .where(_EVENTS.order_id == bindparam(_VALUE), _EVENTS.status == str(WebhookStatus.PARKED))
    .order_by(_EVENTS.received_at, _EVENTS.id)
)

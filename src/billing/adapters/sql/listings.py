"""The administrators' listings in SQL: one indexed range scan per page.

``WHERE <filters> AND (created_at, id) < (:at, :id) ORDER BY created_at DESC, id DESC LIMIT n``
walks an index on ``(<filter column>, created_at, id)`` backwards (``tables.py``, migration
``0007_admin_indexes``) and stops after ``n`` rows; the page's items and transitions follow by
``order_id IN (…)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Select, Table, select, tuple_
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from billing.domain.order import Order
from billing.domain.refund import Refund
from billing.ports.listings import OrderQuery, Position

from . import mapping
from . import tables as t
from .errors import translated


def orders_statement(query: OrderQuery) -> Select[Any]:
    """The page's order rows (also what the index test EXPLAINs)."""
    c = t.orders.c
    statement = select(*t.orders.c)
    if query.status is not None:
        statement = statement.where(c.status == str(query.status))
    if query.email is not None:
        statement = statement.where(c.customer_email == query.email)
    if query.user_id is not None:
        statement = statement.where(c.customer_user_id == query.user_id)
    if query.created_from is not None:
        statement = statement.where(c.created_at >= query.created_from)
    if query.created_before is not None:
        statement = statement.where(c.created_at < query.created_before)
    return _newest_first(statement, t.orders, query.after, query.limit)


def _newest_first(
    statement: Select[Any], table: Table, after: Position | None, limit: int
) -> Select[Any]:
    if after is not None:
        statement = statement.where(tuple_(table.c.created_at, table.c.id) < tuple_(*after))
    return statement.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)


class SqlListings:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def orders(self, query: OrderQuery) -> list[Order]:
        with translated(), Session(self._engine) as session:
            rows = session.execute(orders_statement(query)).mappings().all()
            ids = [row["id"] for row in rows]
            items = mapping.group_by_order(_of(session, t.order_items, ids, "position"))
            moves = mapping.group_by_order(_of(session, t.order_transitions, ids, "seq"))
        return [mapping.order_from(r, items.get(r["id"], []), moves.get(r["id"], [])) for r in rows]

    def refunds(self, after: Position | None, limit: int) -> list[Refund]:
        statement = _newest_first(select(*t.refunds.c), t.refunds, after, limit)
        with translated(), Session(self._engine) as session:
            rows = session.execute(statement).mappings().all()
        return [mapping.REFUNDS.from_row(row) for row in rows]


def _of(session: Session, table: Table, ids: Sequence[str], place: str) -> Sequence[RowMapping]:
    if not ids:
        return []
    statement = select(*table.c).where(table.c.order_id.in_(ids))
    return session.execute(statement.order_by(table.c.order_id, table.c[place])).mappings().all()

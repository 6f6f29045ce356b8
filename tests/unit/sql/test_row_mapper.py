"""Adding a field: the domain class and the table are all the mapping needs (issue 21).

``Refund`` gets ``requested_by`` in a subclass, and ``billing_refunds`` its column in a
scratch copy: a mapper built the way ``mapping.REFUNDS`` is (nothing but the class and the
table) stores and reads it. Without its column, or with a column no field writes, building
the mapper fails and names what is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from sqlalchemy import Column, MetaData, String, Table, create_engine, select

from billing.adapters.sql import tables as t
from billing.adapters.sql.rows import Flat, MappingError, RowMapper
from billing.domain.order import Customer
from billing.domain.refund import Refund, RefundOrigin
from billing.domain.refund_status import RefundStatus

AT = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)


@attrs.define
class RefundWithRequester(Refund):
    requested_by: str | None = None


def _refunds(*extra: Column[object]) -> Table:
    columns = [Column(c.name, c.type, nullable=c.nullable) for c in t.refunds.c]
    return Table(t.refunds.name, MetaData(), *columns, *extra)


def a_refund() -> RefundWithRequester:
    return RefundWithRequester(
        "ref_1",
        "ord_1",
        500,
        "EUR",
        RefundStatus.PENDING,
        RefundOrigin.APP,
        AT,
        AT,
        requested_by="operator@example.com",
    )


def test_a_field_added_to_the_class_and_the_table_round_trips_without_a_mapping_edit() -> None:
    table = _refunds(Column("requested_by", String(255), nullable=True))
    mapper = RowMapper(RefundWithRequester, table)
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    refund = a_refund()

    with engine.begin() as connection:
        connection.execute(table.insert(), mapper.record(refund))
        row = connection.execute(select(table)).mappings().one()

    assert row["requested_by"] == "operator@example.com"
    assert mapper.from_row(row).requested_by == "operator@example.com"
    assert mapper.from_row(row) == refund


def test_a_field_without_its_column_is_named() -> None:
    with pytest.raises(MappingError, match=r"RefundWithRequester\.requested_by has no column"):
        RowMapper(RefundWithRequester, _refunds())


def test_a_column_without_its_field_is_named() -> None:
    table = _refunds(Column("requested_by", String(255), nullable=True))

    with pytest.raises(MappingError, match=r"billing_refunds\.requested_by is written by no"):
        RowMapper(Refund, table)


def test_two_fields_in_one_column_are_refused() -> None:
    with pytest.raises(MappingError, match="failure_reason is written by two fields"):
        RowMapper(Refund, t.refunds, rename={"reason": "failure_reason"})


def test_a_flattened_object_takes_one_column_per_field() -> None:
    @attrs.define
    class Grant:
        id: str
        customer: Customer

    table = Table(
        "grants",
        MetaData(),
        Column("id", String(9)),
        Column("who_user_id", String(9)),
        Column("who_email", String(99)),
    )
    mapper = RowMapper(Grant, table, flatten={"customer": Flat(prefix="who_")})
    grant = Grant("g1", Customer("u1", "a@example.com"))

    record = mapper.record(grant)

    assert record == {"id": "g1", "who_user_id": "u1", "who_email": "a@example.com"}
    assert mapper.from_row(record) == grant

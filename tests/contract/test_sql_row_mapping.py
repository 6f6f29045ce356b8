"""Every field of every stored entity comes back from its table, on SQLite and PostgreSQL.

Each entity is built generically, walking its attrs fields, with a value other than the
default for every field (``sample``): a field that the mapping drops or swaps comes back as its
default, or as its neighbour's value, and the comparison fails. The rows go through the real
column types (PostgreSQL's padded CHAR, aware UTC times, JSON text) in a copy of the entity's
table without its constraints, so that no parent rows are needed.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, select

from billing.adapters.sql import make_engine, mapping
from billing.adapters.sql import tables as t
from billing.adapters.sql.rows import RowMapper
from billing.domain.buyer import BillingDetails
from billing.domain.invoice import TaxCategory
from billing.domain.money import Money
from billing.domain.order import Customer
from billing.domain.tax import TaxRate

from .sql_backends import postgres_schema

AT = datetime(2027, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
#: Value objects whose fields constrain each other: one example each, every field set.
EXAMPLES: dict[type, object] = {
    Customer: Customer(user_id="user_9", email="ada@example.com"),
    BillingDetails: BillingDetails("Ada Lovelace", "1 Rue X\n75002 Paris", "DE", "DE123456789"),
    TaxRate: TaxRate(550, TaxCategory.REDUCED),
    Money: Money(1234, "JPY"),
}
#: Text fields whose value has a format the domain or the table checks.
TEXTS = {"currency": "JPY", "number": "INV-2027-000042", "payload": '{"id": "evt_9"}'}


def sample(cls: type) -> Any:
    """An instance of ``cls`` with every field set to something other than its default."""
    if cls in EXAMPLES:
        return EXAMPLES[cls]
    fields = attrs.fields(attrs.resolve_types(cls))
    return cls(**{field.name: _value(field) for field in fields})


def _value(field: attrs.Attribute[Any]) -> Any:
    type_, name = field.type, field.name
    optional = [a for a in typing.get_args(type_) if a is not type(None)]
    if type(None) in typing.get_args(type_) and len(optional) == 1:
        type_ = optional[0]
    origin = typing.get_origin(type_)
    if origin is tuple:
        return (sample(typing.get_args(type_)[0]),)
    if origin is list:
        return [sample(typing.get_args(type_)[0])]
    if origin is dict:
        return {"key": "value", "other": "thing"}
    if isinstance(type_, type) and issubclass(type_, Enum):
        return next(m for m in reversed(list(type_)) if m != field.default)
    if type_ is bool:
        return field.default is not True
    if type_ is int:
        return 7
    if type_ is datetime:
        return AT
    if type_ is str:
        return TEXTS.get(name, f"{name[:12]}-9")
    if attrs.has(type_):
        return sample(type_)
    raise AssertionError(f"no sample value for {field.name}: {field.type}")


def _given(mapper: RowMapper[Any]) -> dict[str, Any]:
    return {
        name: 3 if isinstance(mapper.table.c[name].type, Integer) else "given-9"
        for name in mapper.given
    }


def _scratch(table: Table) -> Table:
    """The table's columns and types, without keys or constraints."""
    return Table(f"scratch_{table.name}", MetaData(), *(Column(c.name, c.type) for c in table.c))


@pytest.fixture(scope="module")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url, migrate=False) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("postgres_engine")


def round_trip(engine: Engine, mapper: RowMapper[Any], entity: Any) -> Any:
    table = _scratch(mapper.table)
    table.metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            connection.execute(table.insert(), mapper.record(entity, **_given(mapper)))
            row = connection.execute(select(table)).mappings().one()
    finally:
        table.metadata.drop_all(engine)
    return mapper.from_row(row, **{name: getattr(entity, name) for name in mapper.elsewhere})


def test_every_table_of_the_adapter_has_a_mapper() -> None:
    declared = {v for v in vars(t).values() if isinstance(v, Table)}
    assert {m.table for m in mapping.MAPPERS} | set(mapping.UNMAPPED) == declared


@pytest.mark.parametrize("mapper", mapping.MAPPERS, ids=lambda m: m.cls.__name__)
def test_every_field_comes_back_from_the_table(engine: Engine, mapper: RowMapper[Any]) -> None:
    entity = sample(mapper.cls)
    for field in attrs.fields(mapper.cls):
        assert getattr(entity, field.name) != field.default, field.name  # the sample is apt

    assert round_trip(engine, mapper, entity) == entity


def test_a_row_from_before_an_optional_nested_object_reads_it_as_none() -> None:
    """An order stored without billing details (its buyer columns all empty) has none."""
    order = attrs.evolve(sample(mapping.ORDERS.cls), billing=None)
    engine = create_engine("sqlite://")

    assert round_trip(engine, mapping.ORDERS, order).billing is None

"""Statements built once (``sql_common/prebuilt.py``) give on psycopg what SQLAlchemy gives.

On PostgreSQL a ``Prebuilt`` statement runs on psycopg's own cursor. Every stored entity's row
(``sample``: every field set to a value other than its default, so every column type is met,
aware UTC times and JSON included) is written and read back that way, with SQLAlchemy's own
execution made to fail meanwhile, and compared with SQLAlchemy's reading of the same row.
What the adapter relies on around a statement is checked too: a duplicate key is SQLAlchemy's
``IntegrityError`` (which ``errors.translated`` turns into ``DuplicateRecord``), a lost
connection is invalidated and replaced, and a listener on the engine's statements sees every
one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Column, Engine, MetaData, String, Table, event, exc, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from billing.adapters.sql import mapping
from billing.adapters.sql import tables as t
from billing.adapters.sql.errors import DuplicateRecord, translated
from billing.adapters.sql.rows import RowMapper
from billing.adapters.sql_common.prebuilt import Prebuilt

from .sql_backends import postgres_schema
from .test_sql_row_mapping import _given, _scratch, sample


@pytest.fixture(scope="module")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url) as engine:
        yield engine


@contextmanager
def _sqlalchemy_refused() -> Iterator[None]:
    """Meanwhile, a statement that goes through SQLAlchemy's execution fails the test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Connection, "execute", _refused)
        yield


def _refused(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the statement went through SQLAlchemy's execution")


@pytest.mark.parametrize("mapper", mapping.MAPPERS, ids=lambda m: m.cls.__name__)
def test_a_row_written_and_read_on_the_driver_is_what_sqlalchemy_reads(
    postgres_engine: Engine, mapper: RowMapper[Any]
) -> None:
    table = _scratch(mapper.table)
    table.metadata.create_all(postgres_engine)
    entity = sample(mapper.cls)
    insert = Prebuilt(postgresql.insert(table).returning(*table.c))
    read = Prebuilt(select(table))
    try:
        with postgres_engine.begin() as connection:
            with _sqlalchemy_refused():
                written = insert.run(connection, mapper.record(entity, **_given(mapper))).one()
                direct = read.run(connection).one()
            through_sqlalchemy = connection.execute(select(table)).mappings().one()
    finally:
        table.metadata.drop_all(postgres_engine)

    assert dict(direct) == dict(through_sqlalchemy) == dict(written)
    assert [type(v) for v in direct.values()] == [type(v) for v in through_sqlalchemy.values()]
    nested = {name: getattr(entity, name) for name in mapper.elsewhere}
    assert mapper.from_row(direct, **nested) == entity


def test_a_duplicate_key_is_sqlalchemys_integrity_error_and_translated(
    postgres_engine: Engine,
) -> None:
    keys = Table("scratch_keys", MetaData(), Column("id", String(8), primary_key=True))
    keys.metadata.create_all(postgres_engine)
    insert = Prebuilt(keys.insert())  # no ON CONFLICT: a duplicate raises
    try:
        with postgres_engine.connect() as connection, _sqlalchemy_refused():
            insert.run(connection, {"id": "k1"})
            with pytest.raises(exc.IntegrityError) as raised:
                insert.run(connection, {"id": "k1"})
            connection.rollback()
            insert.run(connection, {"id": "k1"})
            with pytest.raises(DuplicateRecord), translated():
                insert.run(connection, {"id": "k1"})
            connection.rollback()
    finally:
        keys.metadata.drop_all(postgres_engine)
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"


def test_a_lost_connection_is_invalidated_and_the_next_one_is_new(
    postgres_engine: Engine,
) -> None:
    ping = Prebuilt(select(t.orders.c.id).where(t.orders.c.id == "none"))
    with postgres_engine.connect() as connection, _sqlalchemy_refused():
        assert len(ping.run(connection)) == 0
        lost = connection.connection.driver_connection
        assert lost is not None
        lost.pgconn.finish()  # as budgets.py does when the server stops answering
        with pytest.raises(exc.DBAPIError) as raised:
            ping.run(connection)
        assert raised.value.connection_invalidated
    with postgres_engine.connect() as connection:
        assert connection.connection.driver_connection is not lost
        assert len(ping.run(connection)) == 0


def test_a_listener_on_the_engine_sees_every_prebuilt_statement(postgres_engine: Engine) -> None:
    statement = Prebuilt(select(t.orders.c.id).where(t.orders.c.id == "none"))
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    event.listen(postgres_engine, "after_cursor_execute", listen)
    try:
        with postgres_engine.connect() as connection:
            statement.run(connection)
    finally:
        event.remove(postgres_engine, "after_cursor_execute", listen)
    with postgres_engine.connect() as connection:
        statement.run(connection)  # no listener: not seen

    assert len(seen) == 1
    assert seen[0].startswith("SELECT billing_orders.id")


def test_an_expanding_in_goes_through_sqlalchemy_and_reads_the_same(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = Table(
        "scratch_events", MetaData(), Column("id", String(8)), Column("status", String(16))
    )
    events.metadata.create_all(postgres_engine)
    claimable = Prebuilt(select(events.c.id).where(events.c.status.in_(["failed", "parked"])))
    through_sqlalchemy: list[object] = []
    execute = Connection.execute

    def spied(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        through_sqlalchemy.append(statement)
        return execute(self, statement, *args, **kwargs)

    try:
        with postgres_engine.begin() as connection:
            rows = [("e1", "failed"), ("e2", "processed"), ("e3", "parked")]
            connection.execute(events.insert(), [{"id": i, "status": s} for i, s in rows])
            monkeypatch.setattr(Connection, "execute", spied)
            found = sorted(row["id"] for row in claimable.run(connection))
            monkeypatch.undo()
    finally:
        events.metadata.drop_all(postgres_engine)

    assert found == ["e1", "e3"]
    assert through_sqlalchemy == [claimable.statement]

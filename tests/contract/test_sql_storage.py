"""What only the SQL adapter promises, on SQLite and PostgreSQL alike: migrations that match
the tables, unique constraints as a last line of defence, aware UTC times, and database errors
turned into the domain's (duplicates, transient conflicts, an unreachable database)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from billing.adapters.sql import (
    DuplicateRecord,
    SqlUnitOfWorkFactory,
    TransientConflict,
    make_engine,
    metadata,
    upgrade,
)
from billing.adapters.sql.migrate import current_revision
from billing.adapters.sql_common import registered_tables
from billing.domain.entitlement import Entitlement
from billing.domain.errors import InvalidInput, StorageUnavailable
from billing.domain.payment import PaymentAttempt, PaymentMode
from billing.domain.webhook import WebhookEvent
from billing.ports.unit_of_work import UnitOfWork
from billing.retry import retrying_conflicts

from .sql_backends import empty_tables, migrated_sqlite_template, postgres_schema, sqlite_copy
from .test_unit_of_work_contract import NOW, a_refund, an_invoice, an_order, stored


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="module")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path))
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("postgres_engine")
        empty_tables(engine)
        yield engine


@pytest.fixture
def uow_factory(engine: Engine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(engine)


# -- migrations -------------------------------------------------------------------------------


def test_the_migrations_create_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []
    assert set(inspect(engine).get_table_names()) >= {t.name for t in metadata.sorted_tables}


def test_every_adapter_registers_its_tables_and_the_migrations_create_them(
    engine: Engine,
) -> None:
    """The migrations' environment sees the sandbox's tables through the ``billing.tables``
    entry points, not by the SQL adapter importing the sandbox."""
    declared = registered_tables()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, declared)

    assert differences == []
    assert {"billing_sandbox_objects", "billing_orders"} <= set(declared.tables)


def test_upgrading_again_changes_nothing(engine: Engine) -> None:
    before = current_revision(engine)
    upgrade(engine)

    assert before is not None
    assert current_revision(engine) == before


def test_upgrade_creates_the_default_sqlite_file_and_its_directory(tmp_path: Path) -> None:
    database = tmp_path / "var" / "billing.db"
    upgrade(f"sqlite:///{database}")

    assert database.is_file()
    engine = make_engine(f"sqlite:///{database}")
    assert current_revision(engine) is not None
    engine.dispose()


# -- unique constraints -----------------------------------------------------------------------


def _duplicate(uow: UnitOfWork, entity: object) -> None:
    repository = {
        PaymentAttempt: uow.payment_attempts,
        Entitlement: uow.entitlements,
    }.get(type(entity))
    if repository is not None:
        repository.add(entity)  # type: ignore[attr-defined]
    elif isinstance(entity, WebhookEvent):
        raise AssertionError("events are journaled with add_if_absent")
    else:
        add = {"Order": uow.orders.add, "Refund": uow.refunds.add}
        add[type(entity).__name__](entity)  # type: ignore[operator]


@pytest.mark.parametrize(
    "entity",
    [
        pytest.param(an_order("ord_2", payment_id="pi_1"), id="order provider payment id"),
        pytest.param(
            PaymentAttempt(
                "att_2", "ord_1", PaymentMode.PAYMENT_INTENT, "pi:other", NOW, "pi_attempt"
            ),
            id="attempt provider payment id",
        ),
        pytest.param(a_refund("ref_2", provider_refund_id="re_1"), id="provider refund id"),
        pytest.param(
            Entitlement("ent_2", "ebook:python", "ord_1", an_order().customer, NOW),
            id="entitlement per order and key",
        ),
    ],
)
def test_unique_keys_refuse_a_second_row(uow_factory: SqlUnitOfWorkFactory, entity: object) -> None:
    stored(
        uow_factory,
        an_order(payment_id="pi_1"),
        PaymentAttempt("att_1", "ord_1", PaymentMode.PAYMENT_INTENT, "pi:k", NOW, "pi_attempt"),
        a_refund(provider_refund_id="re_1"),
        Entitlement("ent_1", "ebook:python", "ord_1", an_order().customer, NOW),
    )

    with uow_factory() as uow:
        with pytest.raises(DuplicateRecord) as refused:
            _duplicate(uow, entity)
        uow.invoices.add(an_invoice("doc_1", "INV-2026-000001"))  # still usable
        uow.commit()

    assert refused.value.code == "duplicate_record"
    assert isinstance(refused.value, InvalidInput)
    with uow_factory() as uow:
        assert [a.id for a in uow.invoices.list_all()] == ["doc_1"]


def test_a_document_number_is_refused_twice_in_its_series_and_year(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    stored(uow_factory, an_order(), an_invoice("doc_1", "INV-2026-000001"))

    with uow_factory() as uow, pytest.raises(DuplicateRecord):
        uow.invoices.add(an_invoice("doc_2", "INV-2026-000001"))
    with uow_factory() as uow:
        uow.invoices.add(an_invoice("doc_3", "INV-2027-000001"))
        uow.invoices.add(an_invoice("doc_4", "CN-2026-000001"))
        uow.commit()


def test_a_row_pointing_nowhere_is_refused(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory() as uow, pytest.raises(InvalidInput):
        uow.refunds.add(a_refund(order_id="ord_missing"))


# -- values -----------------------------------------------------------------------------------


def test_times_come_back_aware_in_utc(uow_factory: SqlUnitOfWorkFactory) -> None:
    paris = timezone(timedelta(hours=1))
    stored(uow_factory, an_order(at=datetime(2026, 1, 1, 0, 30, tzinfo=paris)))

    with uow_factory() as uow:
        locked = uow.lock_order("ord_1")
        locked.cancel("test", datetime(2026, 1, 1, 1, 0, 0, 123456, tzinfo=paris))
        uow.orders.save(locked)
        uow.commit()
    with uow_factory() as uow:
        order = uow.orders.get("ord_1")
        created = order.created_at

    assert created == datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    assert created.tzinfo == UTC
    # Transitions come back as JSON on PostgreSQL (with the order's items, in one statement).
    [canceled] = order.transitions
    assert canceled.at == datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert canceled.at.tzinfo == UTC


def test_a_naive_time_is_refused(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory() as uow, pytest.raises(Exception, match="naive datetime"):
        uow.orders.add(an_order(at=datetime(2026, 1, 1)))


def test_a_payload_with_a_nul_character_is_refused(uow_factory: SqlUnitOfWorkFactory) -> None:
    event = WebhookEvent("evt_1", "x", '{"a": 1}\x00', NOW)
    with uow_factory() as uow, pytest.raises(InvalidInput):
        uow.webhook_events.add_if_absent(event)


def test_large_amounts_fit(uow_factory: SqlUnitOfWorkFactory) -> None:
    stored(uow_factory, an_order(), a_refund(amount=9_000_000_000_000))
    with uow_factory() as uow:
        assert uow.refunds.get("ref_1").amount == 9_000_000_000_000


# -- unavailable, busy, retried ---------------------------------------------------------------


def test_an_unreachable_postgresql_is_storage_unavailable() -> None:
    factory = SqlUnitOfWorkFactory.from_url(
        "postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2"
    )
    with pytest.raises(StorageUnavailable) as refused:
        factory().__enter__()

    assert refused.value.code == "storage_unavailable"
    assert refused.value.retryable is True
    factory.engine.dispose()


def test_an_unopenable_sqlite_file_is_storage_unavailable(tmp_path: Path) -> None:
    (tmp_path / "billing.db").mkdir()  # a directory where the file should be
    factory = SqlUnitOfWorkFactory.from_url(f"sqlite:///{tmp_path / 'billing.db'}")

    with pytest.raises(StorageUnavailable), factory():
        pass


def _hold_write_lock(factory: SqlUnitOfWorkFactory, seconds: float) -> threading.Event:
    """Start a unit of work in a thread that keeps SQLite's write lock for ``seconds``."""
    started = threading.Event()

    def hold() -> None:
        with factory():
            started.set()
            time.sleep(seconds)

    threading.Thread(target=hold, daemon=True).start()
    assert started.wait(5)
    return started


def test_a_locked_sqlite_database_is_a_transient_conflict(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    upgrade(url)
    holder = SqlUnitOfWorkFactory.from_url(url)
    impatient = SqlUnitOfWorkFactory(make_engine(url, sqlite_busy_timeout=0.05))
    _hold_write_lock(holder, 0.3)

    with pytest.raises(TransientConflict) as busy:
        impatient().__enter__()

    assert busy.value.retryable is True
    assert isinstance(busy.value, StorageUnavailable)


def test_the_journaled_status_is_read_while_another_writer_holds_the_lock(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    upgrade(url)
    holder = SqlUnitOfWorkFactory.from_url(url)
    with holder() as uow:
        uow.webhook_events.add_if_absent(WebhookEvent("evt_1", "t", "{}", NOW))
        uow.commit()
    impatient = SqlUnitOfWorkFactory(make_engine(url, sqlite_busy_timeout=0.05))
    _hold_write_lock(holder, 0.5)

    assert impatient.journaled_status("evt_1") == "received"
    with pytest.raises(TransientConflict):  # a unit of work waits for the lock
        impatient().__enter__()


def test_a_use_case_runs_again_until_the_lock_is_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    upgrade(url)
    holder = SqlUnitOfWorkFactory.from_url(url)
    impatient = SqlUnitOfWorkFactory(make_engine(url, sqlite_busy_timeout=0.05))
    runs: list[int] = []

    def create_order(uow: UnitOfWork) -> str:
        runs.append(1)
        uow.orders.add(an_order())
        uow.commit()
        return "ord_1"

    started: list[int] = []

    def counting_factory() -> UnitOfWork:
        started.append(1)
        return impatient()

    _hold_write_lock(holder, 0.3)

    @retrying_conflicts(attempts=20, first_pause=0.05, longest_pause=0.1)
    def in_a_transaction() -> str:
        with counting_factory() as uow:
            return create_order(uow)

    result = in_a_transaction()

    assert result == "ord_1"
    assert len(started) > 1  # refused while the lock was held, then run again
    assert len(runs) == 1  # the lock is taken when the unit of work starts, before any work
    with impatient() as uow:
        assert uow.orders.get("ord_1").id == "ord_1"

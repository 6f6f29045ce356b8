"""Real concurrency on real databases: threads, each with its own connection.

On PostgreSQL, ``lock_order`` is a row lock that makes a second transaction wait and then see
the first one's commit; a claim is won by exactly one delivery; invoice sequences stay
consecutive; serialization failures and deadlocks are run again until both sides succeed;
what a transaction learns of an order right after its lock (``locked_facts.py``) includes what
the lock's previous holder wrote, and spares the paying path three statements. On SQLite,
``BEGIN IMMEDIATE`` gives the same outcomes by serialising writers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, event, text
from tests.contract.sql_backends import empty_tables, postgres_schema
from tests.contract.test_unit_of_work_contract import (
    NOW,
    an_event,
    an_invoice,
    an_order,
    stored,
)

from billing.adapters.sql import (
    SqlUnitOfWorkFactory,
    make_engine,
    upgrade,
)
from billing.domain.entitlement import Entitlement
from billing.domain.invoice import DocumentKind
from billing.domain.order import Order
from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus
from billing.ports.unit_of_work import UnitOfWork
from billing.retry import retrying_conflicts

T = TypeVar("T")
FAST_RETRIES = retrying_conflicts(attempts=8, first_pause=0.01, longest_pause=0.1)


def run_in_transaction(factory: Callable[[], UnitOfWork], use_case: Callable[[UnitOfWork], T]) -> T:
    """``use_case`` in a fresh unit of work, run again (quickly) on each conflict."""

    @FAST_RETRIES
    def attempt() -> T:
        with factory() as uow:
            return use_case(uow)

    return attempt()


@pytest.fixture(scope="module")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url) as engine:
        yield engine


@pytest.fixture
def pg_factory(postgres_engine: Engine) -> SqlUnitOfWorkFactory:
    empty_tables(postgres_engine)
    return SqlUnitOfWorkFactory(postgres_engine)


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> Iterator[SqlUnitOfWorkFactory]:
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    upgrade(url)
    factory = SqlUnitOfWorkFactory(make_engine(url))
    yield factory
    factory.engine.dispose()


@pytest.fixture(params=["postgres", "sqlite"])
def factory(request: pytest.FixtureRequest) -> SqlUnitOfWorkFactory:
    name = "pg_factory" if request.param == "postgres" else "sqlite_factory"
    factory: SqlUnitOfWorkFactory = request.getfixturevalue(name)
    return factory


def _workers(factory: SqlUnitOfWorkFactory) -> int:
    return 16 if factory.engine.dialect.name == "postgresql" else 6


def in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` in threads that start together; re-raise the first error."""
    start = threading.Barrier(count)

    def run(i: int) -> T:
        start.wait(10)
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


# -- both databases ---------------------------------------------------------------------------


def test_a_locked_order_makes_the_next_transaction_wait_for_the_commit(
    factory: SqlUnitOfWorkFactory,
) -> None:
    stored(factory, an_order())
    locked = threading.Event()
    hold = 0.4

    def first() -> None:
        with factory() as uow:
            order = uow.lock_order("ord_1")
            locked.set()
            time.sleep(hold)
            order.cancel("first", NOW)
            uow.orders.save(order)
            uow.commit()

    def second() -> tuple[float, Order]:
        assert locked.wait(5)
        began = time.monotonic()
        with factory() as uow:
            order = uow.lock_order("ord_1")
            waited = time.monotonic() - began
            uow.commit()
        return waited, order

    with ThreadPoolExecutor(2) as pool:
        holder = pool.submit(first)
        waiter = pool.submit(second)
        holder.result(10)
        waited, order = waiter.result(10)

    assert waited >= hold * 0.6
    assert order.status is OrderStatus.CANCELED  # it read the row after the first one's commit
    # ... and its transitions too: read after the lock was granted, not from a snapshot taken
    # while it waited (so the next transition it appends gets the next sequence number).
    assert (order.transitions[-1].cause, order.transitions[-1].at) == ("first", NOW)


def test_of_concurrent_claims_of_one_event_exactly_one_wins(
    factory: SqlUnitOfWorkFactory,
) -> None:
    with factory() as uow:
        uow.webhook_events.add_if_absent(an_event())
        uow.commit()

    def deliver(_: int) -> bool:
        def use_case(uow: UnitOfWork) -> bool:
            uow.webhook_events.add_if_absent(an_event())
            claimed = uow.webhook_events.claim("evt_1")
            if claimed is not None:
                time.sleep(0.05)  # work while others queue on the row
                claimed.settle(WebhookStatus.PROCESSED, NOW)
                uow.webhook_events.save(claimed)
            uow.commit()
            return claimed is not None

        return run_in_transaction(factory, use_case)

    wins = in_threads(_workers(factory), deliver)

    assert wins.count(True) == 1
    with factory() as uow:
        event = uow.webhook_events.get("evt_1")
    assert (event.status, event.attempts) == (WebhookStatus.PROCESSED, 1)


def test_concurrent_allocations_are_consecutive_without_gaps(
    factory: SqlUnitOfWorkFactory,
) -> None:
    def allocate(i: int) -> int | None:
        def use_case(uow: UnitOfWork) -> int | None:
            number = uow.invoices.allocate_sequence("INV", 2026)
            if i % 4 == 3:
                return None  # rolled back: its number goes to someone else
            uow.commit()
            return number

        return run_in_transaction(factory, use_case)

    workers = _workers(factory)
    committed = [n for n in in_threads(workers, allocate) if n is not None]

    assert sorted(committed) == list(range(1, len(committed) + 1))
    assert len(committed) == workers - workers // 4
    with factory() as uow:
        assert uow.invoices.allocate_sequence("INV", 2026) == len(committed) + 1


def test_a_transaction_that_fails_half_way_leaves_no_rows(factory: SqlUnitOfWorkFactory) -> None:
    class Crash(Exception):
        pass

    def half_way() -> None:
        with factory() as uow:
            uow.orders.add(an_order())
            uow.invoices.allocate_sequence("INV", 2026)
            uow.webhook_events.add_if_absent(an_event())
            raise Crash

    with pytest.raises(Crash):
        half_way()

    with factory() as uow:
        assert uow.orders.list_for_guest("guest@example.com") == []
        assert uow.webhook_events.list() == []
        assert uow.invoices.allocate_sequence("INV", 2026) == 1


# -- PostgreSQL: conflicts that only MVCC produces --------------------------------------------


def _add_to_refunded(uow: UnitOfWork, order_id: str, amount: int) -> None:
    order = uow.orders.get(order_id)
    order.amount_refunded += amount
    uow.orders.save(order)


def test_a_serialization_failure_is_run_again_and_no_update_is_lost(
    postgres_engine: Engine, pg_factory: SqlUnitOfWorkFactory
) -> None:
    stored(pg_factory, an_order())
    repeatable = SqlUnitOfWorkFactory(
        postgres_engine.execution_options(isolation_level="REPEATABLE READ")
    )
    both_read = threading.Barrier(2)
    runs: list[int] = []

    def increment(i: int) -> None:
        first_run = True

        def use_case(uow: UnitOfWork) -> None:
            nonlocal first_run
            runs.append(i)
            uow.orders.get("ord_1")  # the snapshot is taken here
            if first_run:
                first_run = False
                both_read.wait(5)
            order = uow.lock_order("ord_1")  # the second writer waits, then fails with 40001
            order.amount_refunded += 100
            uow.orders.save(order)
            uow.commit()

        run_in_transaction(repeatable, use_case)

    in_threads(2, increment)

    assert len(runs) == 3  # one of the two ran again
    with pg_factory() as uow:
        assert uow.orders.get("ord_1").amount_refunded == 200


def test_a_deadlock_is_run_again_until_both_succeed(pg_factory: SqlUnitOfWorkFactory) -> None:
    stored(pg_factory, an_order("ord_a"), an_order("ord_b"))
    both_locked = threading.Barrier(2)
    runs: list[int] = []

    def lock_both(i: int) -> None:
        first, second = ("ord_a", "ord_b") if i == 0 else ("ord_b", "ord_a")
        first_run = True

        def use_case(uow: UnitOfWork) -> None:
            nonlocal first_run
            runs.append(i)
            uow.lock_order(first)
            if first_run:
                first_run = False
                both_locked.wait(5)
            uow.lock_order(second)  # opposite orders: PostgreSQL breaks the cycle (40P01)
            _add_to_refunded(uow, first, 1)
            _add_to_refunded(uow, second, 1)
            uow.commit()

        run_in_transaction(pg_factory, use_case)

    in_threads(2, lock_both)

    assert len(runs) == 3
    with pg_factory() as uow:
        assert uow.orders.get("ord_a").amount_refunded == 2
        assert uow.orders.get("ord_b").amount_refunded == 2


# -- PostgreSQL: what a transaction learns right after an order's lock -----------------------


def _asked(uow: UnitOfWork) -> tuple[list[str], list[str], str | None]:
    """The paying path's three questions about order ord_1, answered as ids."""
    entitlements = [e.id for e in uow.entitlements.list_for_order("ord_1")]
    parked = [e.id for e in uow.webhook_events.list_parked_for_order("ord_1")]
    invoice = uow.invoices.find("ord_1", DocumentKind.INVOICE)
    return entitlements, parked, invoice.id if invoice is not None else None


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """The statements the engine runs meanwhile."""
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_an_order_with_none_of_them_is_asked_without_a_statement(
    pg_factory: SqlUnitOfWorkFactory,
) -> None:
    factory = pg_factory
    stored(factory, an_order())
    with _statements(factory.engine) as seen, factory() as uow:
        uow.lock_order("ord_1")
        locked = len(seen)
        assert _asked(uow) == ([], [], None)
        assert len(seen) == locked
        uow.commit()
        assert _asked(uow) == ([], [], None)  # after the commit the lock is gone: asked
        assert len(seen) == locked + 3


def test_what_the_previous_holder_of_the_lock_wrote_is_seen(
    pg_factory: SqlUnitOfWorkFactory,
) -> None:
    factory = pg_factory
    stored(factory, an_order())
    first = factory()
    first.__enter__()
    try:
        order = first.lock_order("ord_1")
        answers: list[Any] = []

        def second() -> None:
            with factory() as uow:
                uow.lock_order("ord_1")  # waits for the first transaction
                answers.append(_asked(uow))

        waiter = threading.Thread(target=second)
        waiter.start()
        _wait_until_blocked_on_a_lock(factory.engine)
        entitlement = Entitlement("ent_1", "ebook:python", "ord_1", order.customer, NOW)
        first.entitlements.add_all([entitlement])
        first.invoices.add(an_invoice("doc_1", "F-2026-000001"))
        first.webhook_events.add_if_absent(
            an_event("evt_w", status=WebhookStatus.PARKED, order_id="ord_1")
        )
        first.commit()
    finally:
        first.__exit__(None, None, None)
    waiter.join(timeout=30)

    assert answers == [(["ent_1"], ["evt_w"], "doc_1")]


def _wait_until_blocked_on_a_lock(engine: Engine) -> None:
    """Until another session of this database waits for a lock (the second transaction)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(3000):
        with engine.connect() as connection:
            if connection.execute(waiting).scalar():
                return
        threading.Event().wait(0.01)
    raise AssertionError("the second transaction never waited for the order's lock")

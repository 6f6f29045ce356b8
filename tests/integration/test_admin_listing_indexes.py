"""The administrators' order listing on PostgreSQL with 100,000 orders: every filter, the first
page and a deep keyset page are index scans (EXPLAIN shows no sequential scan), and a page of
200 comes back whole, newest first, its items loaded."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from tests.contract.sql_backends import postgres_schema

from billing.adapters.sql.listings import SqlListings, orders_statement
from billing.domain.state import OrderStatus
from billing.ports.listings import OrderQuery

pytestmark = pytest.mark.postgres

ORDERS = 100_000
START = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES = ("pending_payment", "paid", "refunded", "canceled")
#: The newest orders get items, so that a page loads whole orders.
WITH_ITEMS = 400


@pytest.fixture(scope="module")
def engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url) as made:
        with made.begin() as connection:
            connection.execute(
                text(
                    """
                    INSERT INTO billing_orders (
                        id, customer_user_id, customer_email, currency, idempotency_key, status,
                        provider_payment_id, amount_paid, amount_refunded, disputed,
                        amount_disputed_lost, access_token_sha256, created_at, updated_at)
                    SELECT
                        'ord_' || lpad(n::text, 8, '0'),
                        CASE WHEN n % 3 = 0 THEN 'user-' || (n % 500) END,
                        CASE WHEN n % 3 <> 0 THEN 'guest' || (n % 5000) || '@example.com' END,
                        'EUR', 'key-' || n, (ARRAY[:s0, :s1, :s2, :s3])[n % 4 + 1],
                        NULL, 0, 0, false, 0, NULL,
                        :start + n * interval '1 minute', :start + n * interval '1 minute'
                    FROM generate_series(1, :count) AS n
                    """
                ),
                {"start": START, "count": ORDERS, **{f"s{i}": s for i, s in enumerate(STATUSES)}},
            )
            connection.execute(
                text(
                    """
                    INSERT INTO billing_order_items (
                        order_id, position, sku, name, quantity, unit_amount, entitlement_key)
                    SELECT 'ord_' || lpad(n::text, 8, '0'), 0, 'book', 'A book', 1, 1250, NULL
                    FROM generate_series(:first, :count) AS n
                    """
                ),
                {"first": ORDERS - WITH_ITEMS + 1, "count": ORDERS},
            )
            connection.execute(text("ANALYZE billing_orders"))
        yield made


QUERIES = {
    "all": OrderQuery(limit=201),
    "status": OrderQuery(status=OrderStatus.PAID, limit=201),
    "email": OrderQuery(email="guest42@example.com", limit=201),
    "user": OrderQuery(user_id="user-7", limit=201),
    "created-between": OrderQuery(
        created_from=START + timedelta(days=10), created_before=START + timedelta(days=11)
    ),
    "deep-page": OrderQuery(after=(START + timedelta(minutes=5_000), "ord_00005000"), limit=201),
    "status-deep-page": OrderQuery(
        status=OrderStatus.PAID, after=(START + timedelta(minutes=9_000), "ord_00009000")
    ),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_listing_is_an_index_scan(engine: Engine, name: str) -> None:
    statement = orders_statement(QUERIES[name])
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})

    with engine.connect() as connection:
        plan = "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {compiled}")))

    assert "Seq Scan" not in plan, plan
    assert "Index" in plan, plan


def test_a_page_of_200_is_whole_and_newest_first(engine: Engine) -> None:
    listings = SqlListings(engine)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        page = listings.orders(OrderQuery(limit=200))
        timings.append(time.perf_counter() - started)

    assert len(page) == 200
    assert page[0].id == f"ord_{ORDERS:08d}"
    assert [o.created_at for o in page] == sorted((o.created_at for o in page), reverse=True)
    assert all(o.total.amount == 1250 for o in page)
    print(f"a page of 200 out of {ORDERS}: median {statistics.median(timings) * 1000:.1f} ms")

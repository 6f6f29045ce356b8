"""One Stripe event delivered 20 times at the same moment, on PostgreSQL, through the HTTP app.

Twenty threads, each with its own test client, post the same signed body once a barrier lets
them all go: exactly one delivery claims and applies the event, every one is answered 2xx.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from tests.contract.sql_backends import postgres_schema
from tests.integration.webhook_inbox_app import QUIET_HTTPX, TOTAL, Inbox, metric, postgres_inbox

from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus

pytestmark = pytest.mark.filterwarnings(QUIET_HTTPX)

DELIVERIES = 20


@pytest.fixture
def inbox(postgres_url: str) -> Iterator[Inbox]:
    engine: Engine
    with postgres_schema(postgres_url) as engine, postgres_inbox(postgres_url, engine) as made:
        yield made


def test_twenty_simultaneous_deliveries_of_one_event_apply_it_once(inbox: Inbox) -> None:
    order_id, payment_id = inbox.checkout()
    event = inbox.payment_succeeded(payment_id)
    inbox.container.webhooks()  # made once, before the threads race for it
    inbox.container.metrics()
    start = threading.Barrier(DELIVERIES)

    def deliver(_: int) -> tuple[int, str]:
        client = inbox.app.test_client()
        start.wait()
        answer = inbox.deliver(event, client)
        return answer.status_code, answer.json["outcome"] if answer.json else ""

    with ThreadPoolExecutor(DELIVERIES) as pool:
        answers = list(pool.map(deliver, range(DELIVERIES)))

    assert all(200 <= status < 300 for status, _ in answers), answers
    assert sorted(outcome for _, outcome in answers) == ["duplicate"] * (DELIVERIES - 1) + [
        "processed"
    ]
    stored = inbox.webhook_event(event["id"])
    assert (stored.status, stored.attempts, stored.order_id) == (
        WebhookStatus.PROCESSED,
        1,
        order_id,
    )
    order = inbox.order(order_id)
    assert (order.status, order.amount_paid) == (OrderStatus.PAID, TOTAL)
    assert [t.to_status for t in order.transitions].count(OrderStatus.PAID) == 1
    assert [d.number for d in inbox.documents(order_id)] == ["INV-2026-000001"]
    assert len(inbox.entitlements(order_id)) == 2
    exposition = inbox.client.get("/billing/metrics").get_data(as_text=True)
    processed = "billing_webhook_processed_total"
    assert metric(exposition, processed, outcome="processed") == 1
    assert metric(exposition, processed, outcome="duplicate") == DELIVERIES - 1

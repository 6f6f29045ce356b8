"""The scale-out layout on one machine: a web process and a ``billing worker`` process sharing
PostgreSQL and Redis, nothing else.

The web process (the real app on a loopback port, webhooks in async mode) only answers: the
sandbox's deliveries, the webhook processing and the invoice rendering are outbox jobs that the
worker subprocess runs. Until a worker runs, a paid order stays pending with its delivery
waiting in the outbox; once one does, ``billing run-all`` is green end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis
from sqlalchemy import Engine, func, select
from tests.contract.sql_backends import postgres_schema
from tests.integration.test_run_all import ADMIN, ADMIN_TOKEN, LiveApp, billing, start
from tests.integration.worker_harness import CLI, running, url_in_schema, wait_until

from billing.adapters.sandbox import DELIVER_EVENT
from billing.adapters.sql import metadata
from billing.adapters.sql.migrate import upgrade
from billing.domain.outbox import WAITING, OutboxStatus
from billing.entrypoints.container import shutdown
from billing.entrypoints.ops.smoke import TEST_CARD
from billing.services.jobs import PROCESS_WEBHOOK_EVENT, RENDER_DOCUMENT

SECRET = "server-secret-scale-out"


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    """This test's key prefix on the Redis server; its keys are deleted afterwards."""
    name = f"test-scale-{uuid.uuid4().hex[:8]}"
    yield name
    client = Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(f"{name}*"):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    with postgres_schema(postgres_url, migrate=False) as made:
        yield made


@pytest.fixture
def web(engine: Engine, redis_url: str, namespace: str, tmp_path: Path) -> Iterator[LiveApp]:
    database_url = url_in_schema(engine)
    upgrade(database_url)
    app = start(
        database_url,
        tmp_path / "media",
        task_broker=redis_url,
        task_namespace=namespace,
        webhook_mode="async",
        secret_key=SECRET,
    )
    yield app
    app.stop()
    shutdown(app.container)
    app.container.database_engine().dispose()


def worker(web: LiveApp, tmp_path: Path) -> subprocess.Popen[bytes]:
    """``billing worker`` with the web process's settings, as a second host would run it."""
    settings = web.container.settings()
    env = {
        **os.environ,
        "BILLING_ENABLED": "true",
        "BILLING_DATABASE_URL": settings.database_url,
        "BILLING_TASK_BROKER": settings.task_broker,
        "BILLING_TASK_NAMESPACE": settings.task_namespace,
        "BILLING_TASK_HEARTBEAT_SECONDS": "2",
        "BILLING_MEDIA_ROOT": str(tmp_path / "media"),
        "BILLING_PAYMENT_PROVIDER": "sandbox",
        "BILLING_SECRET_KEY": SECRET,  # the sandbox signs with a secret derived from it
        "BILLING_PUBLIC_BASE_URL": web.base_url,  # it delivers to the web process's endpoint
    }
    argv = [sys.executable, "-c", CLI, "worker", "--processes", "1", "--relay-every", "0.2"]
    return subprocess.Popen(argv, env=env, start_new_session=True)  # noqa: S603 - ours


def jobs_done_by_task(engine: Engine) -> dict[str, int]:
    c = metadata.tables["billing_outbox_jobs"].c
    statement = (
        select(c.task, func.count()).where(c.status == str(OutboxStatus.DONE)).group_by(c.task)
    )
    with engine.connect() as connection:
        return {task: int(n) for task, n in connection.execute(statement)}


def waiting_jobs(engine: Engine) -> list[str]:
    c = metadata.tables["billing_outbox_jobs"].c
    statement = select(c.task).where(c.status.in_([str(s) for s in WAITING]))
    with engine.connect() as connection:
        return sorted(task for (task,) in connection.execute(statement))


def test_a_worker_process_runs_every_deferred_job_and_run_all_is_green(
    web: LiveApp, engine: Engine, tmp_path: Path
) -> None:
    client = httpx.Client(base_url=web.base_url, timeout=10)
    body = {"items": [{"sku": "ebook-python"}], "email": "scale@example.com"}
    checkout = client.post("/billing/checkout/", json=body).json()
    order = f"/billing/orders/{checkout['order']['id']}"
    guest = {"X-Order-Token": checkout["order_token"]}
    paid = client.post(
        "/billing/sandbox/api/pay",
        json={"payment_id": checkout["payment"]["id"], "card": TEST_CARD},
        headers=ADMIN,
    )
    assert paid.status_code == 200, paid.text

    assert waiting_jobs(engine) == [DELIVER_EVENT]  # the web process did not deliver it
    assert client.get(order, headers=guest).json()["status"] == "pending_payment"

    with running(worker(web, tmp_path)):
        wait_until(
            "the order paid and invoiced",
            lambda: client.get(order, headers=guest).json()["documents"] != [],
            timeout=60,
        )
        code, output = billing("run-all", "--base-url", web.base_url, "--admin-token", ADMIN_TOKEN)
        wait_until("every job done", lambda: waiting_jobs(engine) == [], timeout=60)

    assert code == 0, output
    assert "0 failed" in output
    assert client.get(order, headers=guest).json()["status"] == "paid"
    done = jobs_done_by_task(engine)
    # Ours: one delivery and one event; the smoke order's: paid, then refunded.
    assert done[DELIVER_EVENT] >= 3
    assert done[PROCESS_WEBHOOK_EVENT] >= 3
    assert done[RENDER_DOCUMENT] >= 3  # two invoices and the smoke order's credit note

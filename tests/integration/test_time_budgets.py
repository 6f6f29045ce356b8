"""``billing serve`` (gunicorn, 2 workers) on PostgreSQL behind a TCP proxy that the test can
pause: the proxy keeps every connection open and accepts new ones, but forwards nothing, as a
hung server or middlebox does (the kernel still acknowledges what is sent, so neither TCP
keepalives nor the server's ``statement_timeout`` notice anything).

While it is paused a checkout answers 503 ``storage_unavailable`` within the request's budget
and health 503 ``unavailable`` within 2 s; once it forwards again the same ``Idempotency-Key``
completes the checkout. A row lock held by another transaction gives up after
``lock_timeout`` with the same 503. No worker is ever killed (gunicorn's log shows no
``WORKER TIMEOUT``). The server runs with short timeouts so the test is quick; the rule they
follow (every wait fits in the budget, the budget below gunicorn's timeout) is the defaults'.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from tests.contract.sql_backends import postgres_schema
from tests.integration.serve_process import healthy, no_worker_killed, serving
from tests.integration.worker_harness import wait_until

from billing.adapters.sql import tables as t

#: The server's budgets: PostgreSQL may keep a request waiting 1 (pool) + 2 (an answer:
#: the statement timeout and 1 s) + 2 (connecting) = 5 s, inside a budget of 8 s, inside
#: gunicorn's 10 s.
TIMEOUTS = {
    "BILLING_DATABASE_CONNECT_TIMEOUT_SECONDS": "2",
    "BILLING_DATABASE_STATEMENT_TIMEOUT_SECONDS": "1",
    "BILLING_DATABASE_LOCK_TIMEOUT_SECONDS": "1",
    "BILLING_DATABASE_POOL_TIMEOUT_SECONDS": "1",
    "BILLING_REQUEST_BUDGET_SECONDS": "8",
    "BILLING_WORKER_TIMEOUT_SECONDS": "10",
}
BUDGET = 8.0
HEALTH_WITHIN = 2.0
CART = {"items": [{"sku": "ebook-python"}], "email": "budget@example.com"}


class PausableProxy:
    """Forwards a loopback port to ``target``; ``pause`` stops forwarding (connections stay
    open, new ones are accepted and held), ``resume`` lets everything held through."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._flowing = threading.Event()
        self._flowing.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def pause(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._flowing.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._flowing.wait()
        upstream = socket.create_connection(self._target)
        with self._lock:
            self._sockets += [client, upstream]
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                self._flowing.wait()
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@attrs.frozen
class Served:
    client: httpx.Client
    proxy: PausableProxy
    direct: Engine
    directory: Path


@pytest.fixture(scope="module")
def served(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("time-budgets")
    url = make_url(postgres_url)
    with postgres_schema(postgres_url) as direct:
        with direct.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        proxy = PausableProxy((url.host or "127.0.0.1", url.port or 5432))
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        proxied = proxied.update_query_dict({"options": f"-csearch_path={schema}"})
        variables = {
            **TIMEOUTS,
            "BILLING_DATABASE_URL": proxied.render_as_string(hide_password=False),
            "BILLING_PAYMENT_PROVIDER": "sandbox",
            "BILLING_SECRET_KEY": "time-budgets-secret-0123456789abcdefgh",
        }
        try:
            with serving(tmp, variables, client_timeout=BUDGET + 5) as client:
                yield Served(client, proxy, direct, tmp)
        finally:
            proxy.close()


def _checkout(client: httpx.Client, key: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = client.post("/billing/checkout/", json=CART, headers={"Idempotency-Key": key})
    return answer, time.monotonic() - started


def _error(answer: httpx.Response) -> tuple[int, str, bool]:
    body: dict[str, Any] = answer.json()
    return answer.status_code, body["code"], body["retryable"]


def test_a_row_lock_held_elsewhere_answers_503_after_the_lock_timeout(served: Served) -> None:
    key = str(uuid.uuid4())
    first, _ = _checkout(served.client, key)
    assert first.status_code == 201, first.text
    order_id = first.json()["order"]["id"]

    with served.direct.connect() as other:  # an operator's session holding the order's row
        lock = t.orders.select().where(t.orders.c.id == order_id).with_for_update()
        other.execute(lock)
        again, elapsed = _checkout(served.client, key)
        other.rollback()

    assert _error(again) == (503, "storage_unavailable", True)
    assert elapsed < BUDGET + 2
    after, _ = _checkout(served.client, key)
    assert after.status_code == 201, after.text
    assert after.json()["payment"]["id"] == first.json()["payment"]["id"]
    no_worker_killed(served.directory)


def test_a_database_that_stops_answering_is_a_503_within_the_budget(served: Served) -> None:
    warm, _ = _checkout(served.client, str(uuid.uuid4()))  # pooled connections in the workers
    assert warm.status_code == 201, warm.text
    key = str(uuid.uuid4())

    served.proxy.pause()
    try:
        down, elapsed = _checkout(served.client, key)
        probes = []
        for _ in range(4):  # a load balancer probing meanwhile, several times
            started = time.monotonic()
            health = served.client.get("/billing/health/")
            probes.append((health, time.monotonic() - started))
        again, elapsed_again = _checkout(served.client, key)
    finally:
        served.proxy.resume()

    assert _error(down) == (503, "storage_unavailable", True)
    assert elapsed < BUDGET + 2
    assert _error(again) == (503, "storage_unavailable", True)
    assert elapsed_again < BUDGET + 2
    for health, took in probes:
        assert health.status_code == 503
        assert (health.json()["status"], health.json()["database"]["ok"]) == ("unavailable", False)
        assert took < HEALTH_WITHIN

    wait_until("health to be ok again", lambda: healthy(served.client), timeout=20)
    up, _ = _checkout(served.client, key)
    assert up.status_code == 201, up.text
    repeated, _ = _checkout(served.client, key)
    assert repeated.json()["payment"]["id"] == up.json()["payment"]["id"]
    no_worker_killed(served.directory)

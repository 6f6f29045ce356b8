"""``billing serve`` (gunicorn, 2 workers, the Stripe provider, a SQLite file) against a local
HTTP server standing in for Stripe (``BILLING_STRIPE_API_BASE``) that can hang: it accepts the
connection, reads the request and never answers.

A checkout then answers 503 ``provider_unavailable`` within the request's budget, after
stripe-python's retries (each attempt cut by the read timeout) all sent the same idempotency
key; the payment attempt is recorded ``failed`` with that retryable code, and once Stripe
answers again the same ``Idempotency-Key`` completes the checkout with one PaymentIntent. No
worker is killed (no ``WORKER TIMEOUT`` in gunicorn's log).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import attrs
import httpx
import pytest
from sqlalchemy import select
from tests.contract.stripe_emulator import stripe_fixture
from tests.integration.serve_process import no_worker_killed, serving
from tests.seller import SELLER_ENV

from billing.adapters.sql import make_engine
from billing.adapters.sql import tables as t

#: 3 attempts of (1 s connect + 1 s read) + 0.5 and 1 s of pauses = 7.5 s at worst, inside a
#: budget of 10 s, inside gunicorn's 12 s.
TIMEOUTS = {
    "BILLING_STRIPE_CONNECT_TIMEOUT_SECONDS": "1",
    "BILLING_STRIPE_READ_TIMEOUT_SECONDS": "1",
    "BILLING_STRIPE_MAX_NETWORK_RETRIES": "2",
    "BILLING_REQUEST_BUDGET_SECONDS": "10",
    "BILLING_WORKER_TIMEOUT_SECONDS": "12",
}
BUDGET = 10.0
CART = {"items": [{"sku": "ebook-python"}], "email": "slow-stripe@example.com"}


class StandInStripe:
    """PaymentIntents created once per idempotency key, as Stripe does, or, while ``hung``,
    every request read and left without an answer."""

    def __init__(self) -> None:
        self.hung = threading.Event()
        self.released = threading.Event()
        self.requests: list[tuple[str, str]] = []  # (path, Idempotency-Key)
        self.intents: dict[str, dict[str, Any]] = {}  # by idempotency key
        self._serial = itertools.count(1)
        stripe = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                key = self.headers.get("Idempotency-Key", "")
                stripe.requests.append((self.path, key))
                if stripe.hung.is_set():
                    stripe.released.wait(60)  # the connection stays open, unanswered
                    return
                self._answer(stripe.intent(key, params))

            def _answer(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def intent(self, key: str, params: dict[str, str]) -> dict[str, Any]:
        if key not in self.intents:
            intent_id = f"pi_standin{next(self._serial):04d}"
            self.intents[key] = stripe_fixture(
                "payment_intent",
                id=intent_id,
                amount=int(params["amount"]),
                amount_received=0,
                currency=params["currency"],
                metadata={"order_id": params["metadata[order_id]"]},
                status="requires_payment_method",
                client_secret=f"{intent_id}_secret_standin",
                created=int(time.time()),
                canceled_at=None,
                last_payment_error=None,
                next_action=None,
            )
        return self.intents[key]

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()


@attrs.frozen
class Served:
    client: httpx.Client
    stripe: StandInStripe
    directory: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    stripe = StandInStripe()
    variables = {
        **TIMEOUTS,
        "BILLING_DATABASE_URL": f"sqlite:///{tmp_path / 'billing.db'}",
        "BILLING_PAYMENT_PROVIDER": "stripe",
        "BILLING_STRIPE_API_BASE": stripe.base_url,
        "BILLING_SECRET_KEY": "time-budgets-stripe-0123456789abcdefgh",
        "STRIPE_SECRET_KEY": "sk_test_time_budgets_0123456789",
        "STRIPE_WEBHOOK_SECRET": "whsec_time_budgets_0123456789",
        **SELLER_ENV,
    }
    try:
        with serving(tmp_path, variables, client_timeout=BUDGET + 5) as client:
            yield Served(client, stripe, tmp_path)
    finally:
        stripe.close()


def _attempts(database: Path) -> list[tuple[str, str | None, str | None]]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        c = t.payment_attempts.c
        with engine.connect() as connection:
            rows = connection.execute(select(c.status, c.error_code, c.provider_payment_id))
            return [(row.status, row.error_code, row.provider_payment_id) for row in rows]
    finally:
        engine.dispose()


def test_a_stripe_that_never_answers_is_a_503_within_the_budget_and_retries_cleanly(
    served: Served,
) -> None:
    key = str(uuid.uuid4())
    served.stripe.hung.set()

    started = time.monotonic()
    down = served.client.post("/billing/checkout/", json=CART, headers={"Idempotency-Key": key})
    elapsed = time.monotonic() - started

    assert down.status_code == 503, down.text
    assert (down.json()["code"], down.json()["retryable"]) == ("provider_unavailable", True)
    assert elapsed < BUDGET + 2
    sent = list(served.stripe.requests)
    assert [path for path, _ in sent] == ["/v1/payment_intents"] * 3  # 1 + 2 retries
    assert len({stripe_key for _, stripe_key in sent}) == 1
    assert sent[0][1].startswith("pi:")
    assert _attempts(served.directory / "billing.db") == [("failed", "provider_unavailable", None)]

    served.stripe.hung.clear()
    up = served.client.post("/billing/checkout/", json=CART, headers={"Idempotency-Key": key})

    assert up.status_code == 201, up.text
    assert served.stripe.requests[-1] == sent[0]  # the same key again
    assert len(served.stripe.intents) == 1
    [intent] = served.stripe.intents.values()
    assert up.json()["payment"]["id"] == intent["id"]
    [(_, error, payment_id)] = _attempts(served.directory / "billing.db")
    assert (error, payment_id) == (None, intent["id"])
    no_worker_killed(served.directory)

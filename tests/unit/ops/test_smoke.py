"""The smoke test's steps on the in-memory app: it stops at the first failure and says why."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from billing.entrypoints.ops.smoke import run_smoke
from tests.unit.http.conftest import Shop, make_shop


@pytest.fixture
def shop() -> Iterator[Shop]:
    made = make_shop()
    yield made
    made.container.unwire()


def client_of(shop: Shop) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=shop.app), base_url="http://shop.test")


def test_without_the_sandbox_the_smoke_test_stops_at_paying(shop: Shop) -> None:
    run = run_smoke(client_of(shop), "admin-token", sku="book", timeout=1)

    assert [(c.name, c.ok) for c in run.checks] == [
        ("health", True),
        ("guest checkout", True),
        ("pay with 4242 (sandbox)", False),
        ("order paid", False),
        ("invoice pdf", False),
        ("refund as admin", False),
        ("order refunded", False),
    ]
    assert "BILLING_PAYMENT_PROVIDER=sandbox" in run.checks[2].detail
    assert "the provider is fake" in run.checks[2].detail
    assert {c.detail for c in run.checks[3:]} == {"not run: an earlier step failed"}
    assert run.order_id is not None
    assert shop.order(run.order_id).status == "pending_payment"
    assert run.success_page == f"/billing/success/?order={run.order_id}&token={run.token}"


def test_an_unknown_product_fails_the_checkout_with_the_answer(shop: Shop) -> None:
    run = run_smoke(client_of(shop), sku="no-such-sku")

    checkout = run.checks[1]
    assert checkout.ok is False
    assert checkout.detail.startswith("POST /billing/checkout/: 404")
    assert "unknown_product" in checkout.detail


def test_an_unreachable_instance_fails_the_first_step() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(refuse), base_url="http://down.test")

    run = run_smoke(client)

    assert run.checks[0].ok is False
    assert run.checks[0].detail == "ConnectError: connection refused"
    assert len(run.checks) == 7

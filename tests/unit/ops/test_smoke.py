"""The smoke test's steps on the in-memory app: it stops at the first failure and says why."""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Iterator

import attrs
import httpx
import pytest
from click.testing import CliRunner

from billing.entrypoints.cli import main
from billing.entrypoints.ops.smoke import SmokeRun, StepFailed, run_smoke, stripe_test_api
from tests.unit.http.conftest import SETTINGS, Shop, make_shop


@pytest.fixture
def shop() -> Iterator[Shop]:
    made = make_shop()
    yield made
    made.container.unwire()


def client_of(shop: Shop, billing_url: str = "http://shop.test/billing") -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=shop.app), base_url=billing_url)


def test_without_the_sandbox_the_smoke_test_stops_at_paying(shop: Shop) -> None:
    run = run_smoke(client_of(shop), "admin-token", sku="book", timeout=1)

    assert [(c.name, c.ok) for c in run.checks] == [
        ("health", True),
        ("guest checkout", True),
        ("pay with 4242", False),
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
    assert run.success_page == (
        f"http://shop.test/billing/success/?order={run.order_id}&token={run.token}"
    )


def test_the_steps_run_under_the_prefix_billing_is_mounted_at() -> None:
    shop = make_shop(attrs.evolve(SETTINGS, url_prefix="/shop/billing"))
    try:
        run = run_smoke(client_of(shop, "http://shop.test/shop/billing"), sku="book", timeout=1)
    finally:
        shop.container.unwire()

    assert [(c.name, c.ok) for c in run.checks[:3]] == [
        ("health", True),
        ("guest checkout", True),
        ("pay with 4242", False),  # the fake provider has no JSON API to pay with
    ]
    assert run.order_id is not None
    assert shop.order(run.order_id).status == "pending_payment"
    assert str(run.success_page).startswith("http://shop.test/shop/billing/success/?order=")


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


def test_on_stripe_test_mode_the_smoke_confirms_its_payment_with_the_test_card() -> None:
    seen: list[httpx.Request] = []

    def stripe_api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "pi_123", "status": "succeeded"})

    stripe = stripe_test_api("sk_test_abc", transport=httpx.MockTransport(stripe_api))
    run = SmokeRun(
        httpx.Client(base_url="https://staging.test/shop/billing"),
        provider="stripe",
        order_id="ord_1",
        token="tok",
        payment_id="pi_123",
        stripe=stripe,
    )

    assert run.pay() == "payment succeeded (Stripe test mode)"
    (request,) = seen
    assert str(request.url) == "https://api.stripe.com/v1/payment_intents/pi_123/confirm"
    assert request.headers["Authorization"] == "Basic " + b64encode(b"sk_test_abc:").decode()
    body = dict(httpx.QueryParams(request.content.decode()))
    assert body == {
        "payment_method": "pm_card_visa",
        "return_url": "https://staging.test/shop/billing/success/?order=ord_1&token=tok",
    }


def test_on_stripe_without_a_test_key_the_smoke_stops_at_paying() -> None:
    run = SmokeRun(httpx.Client(base_url="https://shop.test"), provider="stripe")

    run.step("pay with 4242", run.pay)

    assert run.checks[0].ok is False
    assert "--stripe-test-key sk_test_" in run.checks[0].detail


@pytest.mark.parametrize("key", ["sk_live_abc", "rk_live_abc", "whatever"])
def test_a_live_key_is_refused_before_anything_runs(key: str) -> None:
    with pytest.raises(ValueError, match="test-mode key only"):
        stripe_test_api(key)

    refused = CliRunner().invoke(
        main, ["smoke", "--base-url", "http://127.0.0.1:9", "--stripe-test-key", key]
    )
    assert refused.exit_code == 2
    assert "test-mode key only" in refused.output


def test_a_refund_with_another_admin_token_says_the_token_was_refused(shop: Shop) -> None:
    order_id, token, payment_id = shop.guest_order()
    shop.pay(payment_id)
    run = SmokeRun(client_of(shop), admin_token="not-the-servers-token", order_id=order_id)
    run.token = token

    with pytest.raises(StepFailed) as refused:
        run.refund()

    assert "refused the admin token" in str(refused.value)
    assert "BILLING_ADMIN_TOKEN" in str(refused.value)
    assert shop.order(order_id).status == "paid"

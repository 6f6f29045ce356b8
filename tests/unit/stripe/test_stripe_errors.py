"""Every Stripe failure becomes a domain ``ProviderError``; no stripe exception escapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
import stripe

from billing.adapters.stripe import IdempotencyKeyReused, StripePaymentProvider
from billing.domain.errors import (
    PaymentDeclined,
    PaymentNotCancelable,
    ProviderError,
    ProviderMisconfigured,
    ProviderRejected,
    ProviderUnavailable,
)
from billing.domain.order import Order
from tests.contract.stripe_emulator import error_body, stripe_fixture

from .conftest import QUIET_HTTPX, ProviderFactory

pytestmark = QUIET_HTTPX


def test_a_card_decline_is_a_payment_declined_with_its_decline_code(
    router: respx.MockRouter, provider: StripePaymentProvider, order: Order
) -> None:
    body = error_body(
        "card_error",
        "Your card has insufficient funds.",
        "card_declined",
        decline_code="insufficient_funds",
        param="payment_method",
    )
    router.post("/v1/payment_intents").respond(402, json=body, headers={"Request-Id": "req_1"})

    with pytest.raises(PaymentDeclined) as raised:
        provider.create_payment_intent(order, "pi:k3y")

    error = raised.value
    assert error.code == "payment_declined"
    assert error.message == "Your card has insufficient funds."
    assert error.details["decline_code"] == "insufficient_funds"
    assert error.details["stripe_code"] == "card_declined"
    assert error.details["request_id"] == "req_1"
    assert not error.retryable


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (
            429,
            error_body("invalid_request_error", "Too many requests", "rate_limit"),
            ProviderUnavailable,
            "provider_unavailable",
        ),
        (
            400,
            error_body("invalid_request_error", "Too many requests", "rate_limit"),
            ProviderUnavailable,
            "provider_unavailable",
        ),
        (
            409,
            error_body("invalid_request_error", "Could not acquire lock", "lock_timeout"),
            ProviderUnavailable,
            "provider_unavailable",
        ),
        (
            409,
            error_body("idempotency_error", "A request with this key is in progress"),
            ProviderUnavailable,
            "provider_unavailable",
        ),
        (
            500,
            error_body("api_error", "Internal error"),
            ProviderUnavailable,
            "provider_unavailable",
        ),
        (503, {"unexpected": "html page"}, ProviderUnavailable, "provider_unavailable"),
        (
            400,
            error_body("invalid_request_error", "Invalid currency: xyz", "parameter_invalid"),
            ProviderRejected,
            "provider_rejected",
        ),
        (
            404,
            error_body("invalid_request_error", "No such payment_intent", "resource_missing"),
            ProviderRejected,
            "provider_rejected",
        ),
        (
            400,
            error_body("idempotency_error", "Keys for idempotent requests can only be used..."),
            IdempotencyKeyReused,
            "idempotency_key_reused",
        ),
        (
            401,
            error_body("invalid_request_error", "Invalid API Key provided: sk_test_****unit"),
            ProviderMisconfigured,
            "provider_misconfigured",
        ),
        (
            403,
            error_body("invalid_request_error", "The provided key does not have access"),
            ProviderMisconfigured,
            "provider_misconfigured",
        ),
    ],
)
def test_stripe_errors_map_to_domain_errors(
    router: respx.MockRouter,
    provider: StripePaymentProvider,
    order: Order,
    status: int,
    body: dict[str, Any],
    expected: type[ProviderError],
    code: str,
) -> None:
    router.post("/v1/payment_intents").respond(status, json=body)

    with pytest.raises(ProviderError) as raised:
        provider.create_payment_intent(order, "pi:k3y")

    assert type(raised.value) is expected
    assert raised.value.code == code
    assert raised.value.retryable is (expected is ProviderUnavailable)
    assert isinstance(raised.value.__cause__, stripe.StripeError)


def test_an_idempotency_error_is_still_a_rejection() -> None:
    assert issubclass(IdempotencyKeyReused, ProviderRejected)
    assert IdempotencyKeyReused.code != ProviderRejected.code


def test_a_429_surfaces_as_retryable_without_being_retried_in_the_call(
    router: respx.MockRouter, make_provider: ProviderFactory, order: Order
) -> None:
    route = router.post("/v1/payment_intents").respond(
        429, json=error_body("rate_limit_error", "Too many requests", "rate_limit")
    )
    provider = make_provider(max_network_retries=2)

    with pytest.raises(ProviderUnavailable) as raised:
        provider.create_payment_intent(order, "pi:k3y")

    assert raised.value.retryable
    assert route.call_count == 1


def test_a_connection_failure_is_retryable(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    router.get("/v1/payment_intents/pi_3Test").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderUnavailable) as raised:
        provider.retrieve_payment("pi_3Test")

    assert isinstance(raised.value.__cause__, stripe.APIConnectionError)


@pytest.mark.parametrize(
    "body",
    [
        stripe_fixture("payment_intent", amount="2800"),  # a digit string is not an amount
        stripe_fixture("payment_intent", currency="zzz"),  # not a currency we know
        stripe_fixture("charge"),  # another object
        {key: v for key, v in stripe_fixture("payment_intent").items() if key != "status"},
    ],
    ids=["string-amount", "unknown-currency", "wrong-object", "missing-status"],
)
def test_an_answer_we_cannot_read_is_an_unknown_outcome_to_retry(
    router: respx.MockRouter, provider: StripePaymentProvider, order: Order, body: dict[str, Any]
) -> None:
    router.post("/v1/payment_intents").respond(200, json=body)

    with pytest.raises(ProviderUnavailable) as raised:
        provider.create_payment_intent(order, "pi:k3y")

    assert raised.value.retryable


def test_a_refused_cancel_of_a_succeeded_payment_stays_refused(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    router.post("/v1/payment_intents/pi_3Test/cancel").respond(
        400,
        json=error_body(
            "invalid_request_error",
            "You cannot cancel this PaymentIntent because it has a status of succeeded.",
            "payment_intent_unexpected_state",
        ),
    )
    router.get("/v1/payment_intents/pi_3Test").respond(
        200, json=stripe_fixture("payment_intent", id="pi_3Test", status="succeeded")
    )

    with pytest.raises(PaymentNotCancelable) as raised:
        provider.cancel_payment("pi_3Test")

    assert isinstance(raised.value, ProviderRejected)
    assert raised.value.details["stripe_code"] == "payment_intent_unexpected_state"
    assert raised.value.details["status"] == "succeeded"


def test_a_cancel_of_an_already_canceled_payment_is_not_an_error(
    router: respx.MockRouter, provider: StripePaymentProvider
) -> None:
    router.post("/v1/payment_intents/pi_3Test/cancel").respond(
        400,
        json=error_body(
            "invalid_request_error",
            "You cannot cancel this PaymentIntent because it has a status of canceled.",
            "payment_intent_unexpected_state",
        ),
    )
    retrieve = router.get("/v1/payment_intents/pi_3Test").respond(
        200, json=stripe_fixture("payment_intent", id="pi_3Test", status="canceled")
    )

    provider.cancel_payment("pi_3Test")

    assert retrieve.call_count == 1

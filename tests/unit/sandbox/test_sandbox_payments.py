"""The sandbox's payments behave like Stripe's test mode: test cards, statuses, idempotency."""

from __future__ import annotations

import json
from typing import Any

import pytest

from billing.adapters.memory import FixedClock
from billing.adapters.sandbox import DELIVER_EVENT, SandboxPaymentProvider, cards
from billing.domain.errors import IdempotencyKeyReused, PaymentDeclined, ProviderRejected
from billing.domain.money import Money
from billing.domain.payment import PaymentMode
from tests.contract.provider_objects import make_order

from .conftest import BASE_URL, CANCEL_URL, SUCCESS_URL, RecordingTasks


def emitted(provider: SandboxPaymentProvider, tasks: RecordingTasks) -> list[dict[str, Any]]:
    """The events the provider queued for delivery, as their JSON bodies."""
    assert {task for task, _ in tasks.deferred} <= {DELIVER_EVENT}
    return [json.loads(provider.event(event_id).payload) for event_id in tasks.event_ids]


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def intent(provider: SandboxPaymentProvider, key: str = "pi:key-1") -> str:
    return provider.create_payment_intent(make_order(), key).id


def session(provider: SandboxPaymentProvider, key: str = "cs:key-1") -> str:
    return provider.create_checkout_session(make_order(), key, SUCCESS_URL, CANCEL_URL).id


# -- objects as Stripe shapes them --------------------------------------------------------------


def test_ids_are_shaped_like_stripe_test_mode_ids(provider: SandboxPaymentProvider) -> None:
    pi = provider.create_payment_intent(make_order(), "pi:key-1")
    cs = provider.create_checkout_session(make_order(), "cs:key-1", SUCCESS_URL, CANCEL_URL)

    assert pi.id.startswith("pi_")
    assert len(pi.id) == 27
    assert pi.client_secret is not None
    assert pi.client_secret.startswith(f"{pi.id}_secret_")
    assert cs.id.startswith("cs_test_")
    assert len(cs.id) == 66
    assert cs.checkout_url == f"{BASE_URL}/billing/sandbox/checkout/{cs.id}"
    # a PaymentIntent's page needs its client secret, as Stripe.js does to confirm it
    assert pi.checkout_url == (
        f"{BASE_URL}/billing/sandbox/checkout/{pi.id}?client_secret={pi.client_secret}"
    )
    assert pi.id != intent(provider, "pi:other")


def test_a_payment_intent_starts_waiting_for_a_payment_method(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    payment_id = intent(provider)

    shown = provider.retrieve(payment_id)

    assert shown["object"] == "payment_intent"
    assert (shown["amount"], shown["currency"], shown["status"]) == (
        2500,
        "eur",
        "requires_payment_method",
    )
    assert shown["metadata"] == {"order_id": "ord_000001"}
    assert shown["livemode"] is False
    assert "_sandbox" not in shown
    assert tasks.deferred == []  # creating sends nothing, as with Stripe


# -- test cards ---------------------------------------------------------------------------------


def test_4242_succeeds_and_sends_payment_intent_succeeded(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    payment_id = intent(provider)

    paid = provider.pay(payment_id, "4242 4242 4242 4242")

    assert paid.status == "succeeded"
    shown = provider.retrieve(payment_id)
    assert shown["amount_received"] == 2500
    charge = provider.retrieve(shown["latest_charge"])
    assert (charge["object"], charge["amount"], charge["paid"]) == ("charge", 2500, True)
    assert charge["payment_method_details"]["card"]["last4"] == "4242"
    events = emitted(provider, tasks)
    assert types(events) == ["payment_intent.succeeded"]
    assert events[0]["data"]["object"]["status"] == "succeeded"
    assert events[0]["data"]["object"]["metadata"] == {"order_id": "ord_000001"}


@pytest.mark.parametrize(
    ("card", "code", "decline_code"),
    [
        (cards.DECLINED, "card_declined", "generic_decline"),
        (cards.INSUFFICIENT_FUNDS, "card_declined", "insufficient_funds"),
        ("4111111111111112", "incorrect_number", None),
        ("not a card", "incorrect_number", None),
    ],
)
def test_a_declined_card_fails_and_leaves_the_payment_payable(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    card: str,
    code: str,
    decline_code: str | None,
) -> None:
    payment_id = intent(provider)

    with pytest.raises(PaymentDeclined) as raised:
        provider.pay(payment_id, card)

    assert raised.value.details["stripe_code"] == code
    assert raised.value.details["decline_code"] == decline_code
    assert provider.retrieve_payment(payment_id).status == "requires_payment_method"
    events = emitted(provider, tasks)
    assert types(events) == ["payment_intent.payment_failed"]
    error = events[0]["data"]["object"]["last_payment_error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        code,
        decline_code,
    )
    assert provider.pay(payment_id, cards.SUCCEEDS).status == "succeeded"


def test_the_3d_secure_card_needs_a_confirmation_before_it_succeeds(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    payment_id = intent(provider)

    pending = provider.pay(payment_id, cards.REQUIRES_AUTHENTICATION)

    assert pending.status == "requires_action"
    next_action = provider.retrieve(payment_id)["next_action"]
    assert next_action["type"] == "redirect_to_url"
    assert next_action["redirect_to_url"]["url"] == pending.checkout_url
    assert types(emitted(provider, tasks)) == ["payment_intent.requires_action"]

    paid = provider.confirm(payment_id)

    assert paid.status == "succeeded"
    assert types(emitted(provider, tasks))[-1] == "payment_intent.succeeded"
    charge = provider.retrieve(provider.retrieve(payment_id)["latest_charge"])
    assert charge["payment_method_details"]["card"]["last4"] == "3155"


def test_a_failed_authentication_declines_and_the_payment_can_be_retried(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    payment_id = intent(provider)
    provider.pay(payment_id, cards.REQUIRES_AUTHENTICATION)

    with pytest.raises(PaymentDeclined) as raised:
        provider.confirm(payment_id, authenticate=False)

    assert raised.value.details["stripe_code"] == "payment_intent_authentication_failure"
    assert provider.retrieve_payment(payment_id).status == "requires_payment_method"
    assert types(emitted(provider, tasks))[-1] == "payment_intent.payment_failed"
    with pytest.raises(ProviderRejected):
        provider.confirm(payment_id)


def test_a_payment_without_pending_authentication_cannot_be_confirmed(
    provider: SandboxPaymentProvider,
) -> None:
    with pytest.raises(ProviderRejected):
        provider.confirm(intent(provider))


# -- checkout sessions --------------------------------------------------------------------------


def test_a_paid_session_completes_with_its_own_payment_intent(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    session_id = session(provider)
    assert provider.retrieve(session_id)["payment_intent"] is None

    paid = provider.pay(session_id, cards.SUCCEEDS)

    assert (paid.id, paid.mode, paid.status) == (
        session_id,
        PaymentMode.CHECKOUT_SESSION,
        "succeeded",
    )
    assert paid.payment_intent_id is not None
    shown = provider.retrieve(session_id)
    assert (shown["status"], shown["payment_status"]) == ("complete", "paid")
    events = emitted(provider, tasks)
    assert types(events) == ["payment_intent.succeeded", "checkout.session.completed"]
    assert events[0]["data"]["object"]["id"] == paid.payment_intent_id
    assert events[0]["data"]["object"]["metadata"] == {"order_id": "ord_000001"}
    completed = events[1]["data"]["object"]
    assert completed["client_reference_id"] == "ord_000001"
    assert (completed["amount_total"], completed["currency"]) == (2500, "eur")


def test_a_declined_card_keeps_the_session_open_with_the_same_payment_intent(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    session_id = session(provider)

    with pytest.raises(PaymentDeclined):
        provider.pay(session_id, cards.INSUFFICIENT_FUNDS)
    first_intent = provider.retrieve(session_id)["payment_intent"]
    paid = provider.pay(session_id, cards.SUCCEEDS)

    assert provider.retrieve(session_id)["status"] == "complete"
    assert paid.payment_intent_id == first_intent
    assert types(emitted(provider, tasks)) == [
        "payment_intent.payment_failed",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]


def test_an_expired_session_cannot_be_paid(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    session_id = session(provider)

    expired = provider.expire_session(session_id)

    assert expired.status == "canceled"
    assert provider.retrieve(session_id)["status"] == "expired"
    assert types(emitted(provider, tasks)) == ["checkout.session.expired"]
    with pytest.raises(ProviderRejected):
        provider.pay(session_id, cards.SUCCEEDS)


def test_a_session_expires_by_itself_at_expires_at(
    provider: SandboxPaymentProvider, tasks: RecordingTasks, clock: FixedClock
) -> None:
    session_id = session(provider)
    expires_at = provider.retrieve(session_id)["expires_at"]

    clock.advance(seconds=expires_at - clock.now().timestamp())

    assert provider.retrieve_payment(session_id).status == "canceled"
    assert types(emitted(provider, tasks)) == ["checkout.session.expired"]


def test_expiring_a_session_cancels_its_unpaid_payment_intent(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    session_id = session(provider)
    provider.pay(session_id, cards.REQUIRES_AUTHENTICATION)

    provider.cancel_payment(session_id)

    intent_id = provider.retrieve(session_id)["payment_intent"]
    assert provider.retrieve(intent_id)["status"] == "canceled"
    assert types(emitted(provider, tasks))[-2:] == [
        "payment_intent.canceled",
        "checkout.session.expired",
    ]


def test_a_completed_session_cannot_be_expired(provider: SandboxPaymentProvider) -> None:
    session_id = session(provider)
    provider.pay(session_id, cards.SUCCEEDS)

    with pytest.raises(ProviderRejected):
        provider.expire_session(session_id)


# -- cancel ----------------------------------------------------------------------------------


def test_a_canceled_intent_sends_its_event_once_and_cannot_be_paid(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    payment_id = intent(provider)

    provider.cancel_payment(payment_id)
    provider.cancel_payment(payment_id)

    assert provider.retrieve(payment_id)["canceled_at"] is not None
    assert types(emitted(provider, tasks)) == ["payment_intent.canceled"]
    with pytest.raises(ProviderRejected):
        provider.pay(payment_id, cards.SUCCEEDS)


def test_a_paid_intent_cannot_be_paid_again(provider: SandboxPaymentProvider) -> None:
    payment_id = intent(provider)
    provider.pay(payment_id, cards.SUCCEEDS)

    with pytest.raises(ProviderRejected):
        provider.pay(payment_id, cards.SUCCEEDS)


@pytest.mark.parametrize("payment_id", ["pi_unknown", "cs_test_unknown", "ord_1", ""])
def test_unknown_payments_are_rejected(provider: SandboxPaymentProvider, payment_id: str) -> None:
    with pytest.raises(ProviderRejected):
        provider.pay(payment_id, cards.SUCCEEDS)
    with pytest.raises(ProviderRejected):
        provider.retrieve_payment(payment_id)


# -- idempotency --------------------------------------------------------------------------------


def test_the_same_key_and_parameters_give_the_same_object(provider: SandboxPaymentProvider) -> None:
    first = provider.create_payment_intent(make_order(), "pi:key-1")
    again = provider.create_payment_intent(make_order(), "pi:key-1")

    assert again == first
    assert again.amount == Money(2500, "EUR")


def test_the_same_key_with_other_parameters_is_refused(provider: SandboxPaymentProvider) -> None:
    provider.create_payment_intent(make_order(quantity=2), "pi:key-1")

    with pytest.raises(IdempotencyKeyReused):
        provider.create_payment_intent(make_order(quantity=3), "pi:key-1")
    with pytest.raises(IdempotencyKeyReused):  # a key is for one endpoint
        provider.create_checkout_session(make_order(), "pi:key-1", SUCCESS_URL, CANCEL_URL)


def test_a_retried_session_request_gives_the_same_session(
    provider: SandboxPaymentProvider, clock: FixedClock
) -> None:
    first = session(provider)
    clock.advance(minutes=5)  # expires_at comes from the order, not from now: same parameters

    assert session(provider) == first

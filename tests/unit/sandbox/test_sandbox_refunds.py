"""Refunds in the sandbox: full and partial, never more than was paid, failing later."""

from __future__ import annotations

import json

import pytest

from billing.adapters.sandbox import SandboxPaymentProvider, cards
from billing.domain.errors import IdempotencyKeyReused, ProviderRejected
from billing.domain.money import Money
from billing.domain.refund_status import RefundStatus
from tests.contract.provider_objects import make_order, make_refund

from .conftest import CANCEL_URL, SUCCESS_URL, RecordingTasks


def paid_intent(provider: SandboxPaymentProvider) -> str:
    payment_id = provider.create_payment_intent(make_order(), "pi:key-1").id  # 25.00 EUR
    provider.pay(payment_id, cards.SUCCEEDS)
    return payment_id


def event_types(provider: SandboxPaymentProvider, tasks: RecordingTasks) -> list[str]:
    return [provider.event(event_id).type for event_id in tasks.event_ids]


def test_a_partial_then_the_rest_refunds_the_whole_charge(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    payment_id = paid_intent(provider)

    first = provider.refund(make_refund("ref_1", 1000), payment_id, "re:ref_1")
    rest = provider.refund(make_refund("ref_2", 1500), payment_id, "re:ref_2")

    assert (first.amount, rest.amount) == (Money(1000, "EUR"), Money(1500, "EUR"))
    assert {first.status, rest.status} == {RefundStatus.SUCCEEDED}
    assert (first.reference, first.payment_id) == ("ref_1", payment_id)
    assert first.id.startswith("re_")
    charge = provider.retrieve(provider.retrieve(payment_id)["latest_charge"])
    assert (charge["amount_refunded"], charge["refunded"]) == (2500, True)
    assert event_types(provider, tasks)[1:] == [
        "charge.refunded",
        "refund.created",
        "charge.refunded",
        "refund.created",
    ]


def test_more_than_what_is_left_is_refused_and_changes_nothing(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    payment_id = paid_intent(provider)
    provider.refund(make_refund("ref_1", 2000), payment_id, "re:ref_1")
    sent = len(tasks.deferred)

    with pytest.raises(ProviderRejected) as raised:
        provider.refund(make_refund("ref_2", 501), payment_id, "re:ref_2")

    assert raised.value.details["stripe_code"] == "amount_too_large"
    assert len(tasks.deferred) == sent
    assert provider.refund(make_refund("ref_2", 500), payment_id, "re:ref_2").amount.amount == 500


def test_the_same_refund_key_gives_the_same_refund_and_other_amounts_are_refused(
    provider: SandboxPaymentProvider,
) -> None:
    payment_id = paid_intent(provider)

    first = provider.refund(make_refund("ref_1", 2500), payment_id, "re:ref_1")
    again = provider.refund(make_refund("ref_1", 2500), payment_id, "re:ref_1")

    assert again == first
    with pytest.raises(IdempotencyKeyReused):
        provider.refund(make_refund("ref_1", 2400), payment_id, "re:ref_1")


def test_an_unpaid_or_unknown_payment_cannot_be_refunded(provider: SandboxPaymentProvider) -> None:
    unpaid = provider.create_payment_intent(make_order(), "pi:key-1").id

    with pytest.raises(ProviderRejected):
        provider.refund(make_refund("ref_1", 100), unpaid, "re:ref_1")
    with pytest.raises(ProviderRejected):
        provider.refund(make_refund("ref_2", 100), "pi_unknown", "re:ref_2")


def test_a_paid_session_is_refunded_through_its_payment_intent(
    provider: SandboxPaymentProvider,
) -> None:
    session_id = provider.create_checkout_session(
        make_order(), "cs:key-1", SUCCESS_URL, CANCEL_URL
    ).id
    paid = provider.pay(session_id, cards.SUCCEEDS)

    refund = provider.refund(make_refund("ref_1", 2500), session_id, "re:ref_1")

    assert refund.payment_id == paid.payment_intent_id


def test_a_failed_refund_gives_its_amount_back_and_says_so(
    provider: SandboxPaymentProvider, tasks: RecordingTasks
) -> None:
    payment_id = paid_intent(provider)
    refund = provider.refund(make_refund("ref_1", 2500), payment_id, "re:ref_1")

    failed = provider.fail_refund(refund.id)

    assert (failed.status, failed.failure_reason) == (
        RefundStatus.FAILED,
        "expired_or_canceled_card",
    )
    assert event_types(provider, tasks)[-3:] == [
        "refund.failed",
        "refund.updated",
        "charge.refund.updated",
    ]
    body = json.loads(provider.event(tasks.event_ids[-1]).payload)
    assert body["data"]["object"]["metadata"]["refund_id"] == "ref_1"
    assert provider.refund(make_refund("ref_2", 2500), payment_id, "re:ref_2").amount.amount == 2500

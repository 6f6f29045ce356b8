"""The sandbox's events are Stripe's: built from Stripe's example objects, signed so that the
Stripe adapter itself verifies them, and translated by it into what the services expect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from billing.adapters.memory import FixedClock
from billing.adapters.sandbox import SandboxPaymentProvider, WebhookSigner, cards
from billing.adapters.sandbox.signing import sandbox_webhook_secrets
from billing.adapters.stripe import HANDLED_EVENT_TYPES, StripeConfig, StripePaymentProvider
from billing.domain.errors import InvalidSignature, PaymentDeclined
from billing.domain.money import Money
from billing.domain.provider_event import EventKind
from billing.domain.refund_status import RefundStatus
from tests.contract.provider_objects import make_order, make_refund

from .conftest import CANCEL_URL, SUCCESS_URL, WEBHOOK_SECRET, RecordingTasks

EXAMPLES = Path(__file__).resolve().parents[3] / "src/billing/adapters/sandbox/stripe_examples.json"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/stripe/fixtures3.json"


@pytest.fixture
def stripe(clock: FixedClock) -> StripePaymentProvider:
    """The Stripe adapter, configured with the sandbox's webhook secret."""
    return StripePaymentProvider(
        StripeConfig("sk_test_sandbox", webhook_secrets=WEBHOOK_SECRET), clock
    )


def signed(provider: SandboxPaymentProvider, clock: FixedClock, event_id: str) -> tuple[bytes, str]:
    payload = provider.event(event_id).payload
    return payload.encode(), WebhookSigner(WEBHOOK_SECRET, clock).header(payload)


def test_the_examples_are_stripes_own_unchanged() -> None:
    ours = json.loads(EXAMPLES.read_text())["resources"]
    official = json.loads(FIXTURES.read_text())["resources"]

    assert ours == {name: official[name] for name in ours}


def test_every_event_is_verified_and_translated_by_the_stripe_adapter(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    clock: FixedClock,
    stripe: StripePaymentProvider,
) -> None:
    declined = provider.create_payment_intent(make_order("ord_2", key="k2"), "pi:k2").id
    with pytest.raises(PaymentDeclined):
        provider.pay(declined, cards.DECLINED)
    session_id = provider.create_checkout_session(make_order(), "cs:k1", SUCCESS_URL, CANCEL_URL).id
    paid = provider.pay(session_id, cards.SUCCEEDS)
    provider.refund(make_refund("ref_1", 1000), session_id, "re:ref_1")

    events = [
        stripe.parse_webhook(*signed(provider, clock, event_id)) for event_id in tasks.event_ids
    ]

    assert [(e.type, e.kind) for e in events] == [
        ("payment_intent.payment_failed", EventKind.PAYMENT_FAILED),
        ("payment_intent.succeeded", EventKind.PAYMENT_SUCCEEDED),
        ("checkout.session.completed", EventKind.PAYMENT_SUCCEEDED),
        ("charge.refunded", EventKind.REFUND_UPDATED),
        ("refund.created", EventKind.REFUND_UPDATED),
    ]
    failed, succeeded, completed, _, refunded = events
    assert (failed.order_id, failed.payment_id, failed.failure_code) == (
        "ord_2",
        declined,
        "generic_decline",
    )
    assert {succeeded.order_id, completed.order_id} == {"ord_000001"}
    assert {succeeded.payment_id, completed.payment_id} == {paid.payment_intent_id}
    assert succeeded.amount == completed.amount == Money(2500, "EUR")
    assert [(r.reference, r.amount, r.status) for r in refunded.refunds] == [
        ("ref_1", Money(1000, "EUR"), RefundStatus.SUCCEEDED)
    ]
    assert all(not e.livemode and e.id.startswith("evt_") for e in events)
    assert {e.type for e in events} <= HANDLED_EVENT_TYPES
    assert [provider.parse_webhook(*signed(provider, clock, i)) for i in tasks.event_ids] == events


def test_a_tampered_or_stale_event_is_refused(
    provider: SandboxPaymentProvider, tasks: RecordingTasks, clock: FixedClock
) -> None:
    payment_id = provider.create_payment_intent(make_order(), "pi:k1").id
    provider.pay(payment_id, cards.SUCCEEDS)
    body, header = signed(provider, clock, tasks.event_ids[0])

    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body.replace(b"2500", b"9999"), header)
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body, header.replace("v1=", "v1=0"))
    clock.advance(minutes=6)
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body, header)


def test_without_any_configured_secret_one_is_derived_from_the_server_secret() -> None:
    derived = sandbox_webhook_secrets((), "server-secret")

    assert derived == sandbox_webhook_secrets((), "server-secret")
    assert derived != sandbox_webhook_secrets((), "other-secret")
    assert derived[0].startswith("whsec_")
    assert sandbox_webhook_secrets(("whsec_a", "whsec_b"), "server-secret") == (
        "whsec_a",
        "whsec_b",
    )
    assert sandbox_webhook_secrets((), "") != sandbox_webhook_secrets((), "")  # random, per process


def test_the_events_are_listed_newest_first_from_either_store(
    provider: SandboxPaymentProvider, tasks: RecordingTasks, clock: FixedClock
) -> None:
    session_id = provider.create_checkout_session(make_order(), "cs:k1", SUCCESS_URL, CANCEL_URL).id
    provider.pay(session_id, cards.SUCCEEDS)

    listed = provider.list_events(clock.now())

    assert [e.id for e in listed] == list(reversed(tasks.event_ids))
    assert provider.list_events(clock.now(), ["payment_intent.succeeded"])[0].kind is (
        EventKind.PAYMENT_SUCCEEDED
    )

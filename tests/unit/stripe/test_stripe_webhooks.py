"""Webhook verification over the raw bytes, and the translation of Stripe events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from billing.adapters.memory import FixedClock
from billing.adapters.stripe import HANDLED_EVENT_TYPES, StripePaymentProvider
from billing.domain.dispute import DisputeReport
from billing.domain.dispute_status import DisputeStatus
from billing.domain.errors import InvalidPayload, InvalidSignature
from billing.domain.money import Money
from billing.domain.payment import ProviderRefund
from billing.domain.provider_event import EventKind, ProviderEvent
from billing.domain.refund_status import RefundStatus
from tests.contract.stripe_emulator import sign, stripe_event, stripe_fixture

from .conftest import NOW, WEBHOOK_SECRET, ProviderFactory

TIMESTAMP = int(NOW.timestamp())


def succeeded_intent(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "pi_3Test",
        "amount": 2800,
        "amount_received": 2800,
        "currency": "eur",
        "status": "succeeded",
        "metadata": {"order_id": "ord_000001"},
        "last_payment_error": None,
        **overrides,
    }
    return stripe_fixture("payment_intent", **fields)


def body_of(type_: str, obj: dict[str, Any], **overrides: Any) -> bytes:
    event = stripe_event(type_, obj, created=TIMESTAMP, id="evt_1Test", **overrides)
    return json.dumps(event).encode()


def delivery(
    body: bytes | None = None, secret: str = WEBHOOK_SECRET, at: int = TIMESTAMP
) -> tuple[bytes, str]:
    body = body if body is not None else body_of("payment_intent.succeeded", succeeded_intent())
    return body, sign(body, secret, at)


# -- signature --------------------------------------------------------------------------------


def test_a_valid_delivery_is_accepted(provider: StripePaymentProvider) -> None:
    body, header = delivery()

    event = provider.parse_webhook(body, header)

    assert event.id == "evt_1Test"
    assert event.kind is EventKind.PAYMENT_SUCCEEDED


def test_the_tolerance_is_measured_on_the_injected_clock_both_ways(
    provider: StripePaymentProvider, clock: FixedClock
) -> None:
    body, header = delivery()

    clock.advance(seconds=300)
    assert provider.parse_webhook(body, header).id == "evt_1Test"
    clock.advance(seconds=-600)
    assert provider.parse_webhook(body, header).id == "evt_1Test"


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("wrong secret", lambda: delivery(secret="whsec_someone_else")),
        ("tampered body", lambda: _tampered()),
        ("body re-serialised", lambda: _reserialised()),
        ("stale timestamp", lambda: delivery(at=TIMESTAMP - 301)),
        ("future timestamp", lambda: delivery(at=TIMESTAMP + 301)),
        ("only v0", lambda: _v0_only()),
        ("non-UTF-8 body", lambda: _non_utf8()),
    ],
)
def test_a_delivery_that_does_not_verify_is_refused(
    provider: StripePaymentProvider, case: str, make: Any
) -> None:
    body, header = make()

    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body, header)


def _tampered() -> tuple[bytes, str]:
    body, header = delivery()
    return body.replace(b'"amount_received": 2800', b'"amount_received": 9999'), header


def _reserialised() -> tuple[bytes, str]:
    body, header = delivery()
    return json.dumps(json.loads(body), indent=2).encode(), header


def _v0_only() -> tuple[bytes, str]:
    body, header = delivery()
    return body, header.replace("v1=", "v0=")


def _non_utf8() -> tuple[bytes, str]:
    body = b'{"id": "evt_\xff"}'
    return body, f"t={TIMESTAMP},v1=" + "0" * 64


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "v1=abc", "t=soon,v1=abc", "t=1,t=2,v1=abc", f"t={TIMESTAMP}"],
    ids=["none", "empty", "garbage", "no-timestamp", "bad-timestamp", "two-timestamps", "no-v1"],
)
def test_a_missing_or_malformed_header_is_refused(
    provider: StripePaymentProvider, header: str | None
) -> None:
    body, _ = delivery()

    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body, header)


def test_during_a_rotation_old_and_new_secrets_both_verify(
    make_provider: ProviderFactory,
) -> None:
    provider = make_provider(webhook_secrets="whsec_new, whsec_old")

    for secret in ("whsec_new", "whsec_old"):
        body, header = delivery(secret=secret)
        assert provider.parse_webhook(body, header).id == "evt_1Test"


def test_after_a_rotation_the_removed_secret_is_refused(make_provider: ProviderFactory) -> None:
    provider = make_provider(webhook_secrets="whsec_new")
    body, header = delivery(secret="whsec_old")

    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body, header)


def test_a_header_with_several_v1_signatures_verifies_with_any(
    provider: StripePaymentProvider,
) -> None:
    body, header = delivery()
    other = sign(body, "whsec_other", TIMESTAMP).split(",")[1]

    assert provider.parse_webhook(body, f"{header},{other}").id == "evt_1Test"


@pytest.mark.parametrize("secrets", ["", " , ", ()])
def test_without_a_secret_every_event_is_refused(
    make_provider: ProviderFactory, secrets: object
) -> None:
    provider = make_provider(webhook_secrets=secrets)
    body, header = delivery()

    assert not provider.webhook_configured
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(body, header)


def test_a_live_event_is_refused_by_a_test_key(provider: StripePaymentProvider) -> None:
    body, header = delivery(body_of("payment_intent.succeeded", succeeded_intent(), livemode=True))

    with pytest.raises(InvalidPayload):
        provider.parse_webhook(body, header)


def test_a_test_event_is_refused_by_a_live_key(make_provider: ProviderFactory) -> None:
    provider = make_provider(secret_key="sk_live_unit")
    body, header = delivery()

    with pytest.raises(InvalidPayload):
        provider.parse_webhook(body, header)


def test_a_live_event_is_accepted_by_a_live_key(make_provider: ProviderFactory) -> None:
    provider = make_provider(secret_key="rk_live_unit")
    body, header = delivery(body_of("payment_intent.succeeded", succeeded_intent(), livemode=True))

    assert provider.parse_webhook(body, header).livemode


def test_a_thin_v2_event_notification_is_refused_cleanly(provider: StripePaymentProvider) -> None:
    thin = {
        "id": "evt_test_65R9Ijk8d6GUdO1Y5Ap16SEkmvuvQ7kwQt1FYNeYdZ6mOs",
        "object": "v2.core.event",
        "type": "v1.billing.meter.error_report_triggered",
        "livemode": False,
        "created": "2026-01-15T12:00:00.000Z",
        "related_object": {
            "id": "mtr_test_1",
            "type": "billing.meter",
            "url": "/v1/billing/meters/mtr_test_1",
        },
    }
    body, header = delivery(json.dumps(thin).encode())

    with pytest.raises(InvalidPayload, match="thin"):
        provider.parse_webhook(body, header)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"object": "event", "id": "evt_1"}',
        *(
            b'{"object": "event", "id": "evt_1", "type": "payment_intent.succeeded", '
            b'"created": 1, "livemode": false, "data": ' + data + b"}"
            for data in (b'{"object": ["pi_1"]}', b"{}", b'"pi_1"')
        ),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "missing-fields",
        "data-object-a-list",
        "no-data-object",
        "data-a-string",
    ],
)
def test_a_verified_body_that_is_not_a_stripe_event_is_invalid(
    provider: StripePaymentProvider, body: bytes
) -> None:
    with pytest.raises(InvalidPayload):
        provider.parse_webhook(*delivery(body))


# -- translation ------------------------------------------------------------------------------


def parse(provider: StripePaymentProvider, type_: str, obj: dict[str, Any]) -> ProviderEvent:
    return provider.parse_webhook(*delivery(body_of(type_, obj)))


def test_a_succeeded_payment_intent_carries_order_payment_and_amount_received(
    provider: StripePaymentProvider,
) -> None:
    body, header = delivery(body_of("payment_intent.succeeded", succeeded_intent(amount=3000)))

    event = provider.parse_webhook(body, header)

    assert event.kind is EventKind.PAYMENT_SUCCEEDED
    assert event.type == "payment_intent.succeeded"
    assert event.order_id == "ord_000001"
    assert event.payment_id == "pi_3Test"
    assert event.amount == Money(2800, "EUR")
    assert event.created_at == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert event.livemode is False
    assert event.api_version is not None
    assert event.payload == body.decode()
    assert provider.parse_event(body) == event


@pytest.mark.parametrize(
    ("type_", "kind"),
    [
        ("payment_intent.payment_failed", EventKind.PAYMENT_FAILED),
        ("payment_intent.canceled", EventKind.PAYMENT_CANCELED),
        ("payment_intent.processing", EventKind.PAYMENT_PENDING),
        ("payment_intent.requires_action", EventKind.PAYMENT_PENDING),
    ],
)
def test_other_payment_intent_events(
    provider: StripePaymentProvider, type_: str, kind: EventKind
) -> None:
    intent = succeeded_intent(status="requires_payment_method", amount_received=0)

    event = parse(provider, type_, intent)

    assert (event.kind, event.order_id, event.payment_id) == (kind, "ord_000001", "pi_3Test")
    assert event.amount == Money(2800, "EUR")
    assert event.failure_code is None


@pytest.mark.parametrize(
    ("error", "failure_code"),
    [
        (
            {"type": "card_error", "code": "card_declined", "decline_code": "stolen_card"},
            "stolen_card",
        ),
        ({"type": "card_error", "code": "expired_card"}, "expired_card"),
    ],
)
def test_a_failed_payment_names_its_decline(
    provider: StripePaymentProvider, error: dict[str, str], failure_code: str
) -> None:
    intent = succeeded_intent(status="requires_payment_method", last_payment_error=error)

    event = parse(provider, "payment_intent.payment_failed", intent)

    assert event.failure_code == failure_code


def session(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "cs_test_abc",
        "amount_total": 2800,
        "currency": "eur",
        "client_reference_id": "ord_000001",
        "metadata": {"order_id": "ord_000001"},
        "payment_intent": "pi_3Test",
        "status": "complete",
        "payment_status": "paid",
        **overrides,
    }
    return stripe_fixture("checkout.session", **fields)


@pytest.mark.parametrize(
    ("type_", "obj", "kind"),
    [
        ("checkout.session.completed", session(), EventKind.PAYMENT_SUCCEEDED),
        ("checkout.session.completed", session(payment_status="unpaid"), EventKind.PAYMENT_PENDING),
        ("checkout.session.async_payment_succeeded", session(), EventKind.PAYMENT_SUCCEEDED),
        (
            "checkout.session.async_payment_failed",
            session(payment_status="unpaid"),
            EventKind.PAYMENT_FAILED,
        ),
        (
            "checkout.session.expired",
            session(status="expired", payment_status="unpaid", payment_intent=None),
            EventKind.PAYMENT_CANCELED,
        ),
    ],
)
def test_checkout_session_events(
    provider: StripePaymentProvider, type_: str, obj: dict[str, Any], kind: EventKind
) -> None:
    event = parse(provider, type_, obj)

    assert event.kind is kind
    assert event.order_id == "ord_000001"
    assert event.payment_id == (obj["payment_intent"] or "cs_test_abc")
    assert event.amount == Money(2800, "EUR")


def test_a_session_without_our_metadata_is_found_by_its_client_reference(
    provider: StripePaymentProvider,
) -> None:
    event = parse(provider, "checkout.session.completed", session(metadata={}))

    assert event.order_id == "ord_000001"


def refund(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "re_3Test",
        "amount": 1000,
        "currency": "eur",
        "payment_intent": "pi_3Test",
        "metadata": {"refund_id": "ref_000007", "order_id": "ord_000001"},
        "status": "succeeded",
        **overrides,
    }
    return stripe_fixture("refund", **fields)


@pytest.mark.parametrize(
    ("type_", "obj", "status"),
    [
        ("refund.created", refund(status="pending"), RefundStatus.PENDING),
        ("refund.updated", refund(), RefundStatus.SUCCEEDED),
        ("charge.refund.updated", refund(), RefundStatus.SUCCEEDED),
        (
            "refund.failed",
            refund(status="failed", failure_reason="expired_or_canceled_card"),
            RefundStatus.FAILED,
        ),
    ],
)
def test_refund_events_carry_the_refund(
    provider: StripePaymentProvider, type_: str, obj: dict[str, Any], status: RefundStatus
) -> None:
    event = parse(provider, type_, obj)

    assert event.kind is EventKind.REFUND_UPDATED
    assert (event.order_id, event.payment_id) == ("ord_000001", "pi_3Test")
    assert event.refunds == (
        ProviderRefund(
            id="re_3Test",
            payment_id="pi_3Test",
            amount=Money(1000, "EUR"),
            status=status,
            reference="ref_000007",
            failure_reason=obj.get("failure_reason"),
        ),
    )


def test_a_dashboard_refund_has_no_reference_and_is_found_by_payment(
    provider: StripePaymentProvider,
) -> None:
    event = parse(provider, "refund.created", refund(metadata={}))

    assert event.order_id is None
    assert event.payment_id == "pi_3Test"
    assert event.refunds[0].reference is None


def test_charge_refunded_carries_its_refunds_when_expanded(
    provider: StripePaymentProvider,
) -> None:
    charge = stripe_fixture("charge", payment_intent="pi_3Test", currency="eur")
    charge["refunds"]["data"] = [refund()]

    event = parse(provider, "charge.refunded", charge)

    assert event.kind is EventKind.REFUND_UPDATED
    assert event.payment_id == "pi_3Test"
    assert [r.id for r in event.refunds] == ["re_3Test"]


def test_charge_refunded_without_its_refund_list_carries_none(
    provider: StripePaymentProvider,
) -> None:
    charge = stripe_fixture("charge", payment_intent="pi_3Test")
    del charge["refunds"]  # not included since API version 2022-11-15

    event = parse(provider, "charge.refunded", charge)

    assert (event.kind, event.refunds) == (EventKind.REFUND_UPDATED, ())


@pytest.mark.parametrize(
    "type_",
    [
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    ],
)
def test_every_dispute_event_carries_the_dispute_as_it_stands(
    provider: StripePaymentProvider, type_: str
) -> None:
    dispute = stripe_fixture("dispute", payment_intent="pi_3Test", status="lost")

    event = parse(provider, type_, dispute)

    assert (event.kind, event.payment_id) == (EventKind.DISPUTE_UPDATED, "pi_3Test")
    assert event.amount == Money(1000, "USD")
    assert event.dispute == DisputeReport(
        id="dp_1Pgc71B7WZ01zgkWMevJiAUx",
        payment_id="pi_3Test",
        amount=Money(1000, "USD"),
        status=DisputeStatus.LOST,
        opened_at=datetime.fromtimestamp(1234567890, UTC),
        reason="general",
        evidence_due_by=datetime.fromtimestamp(1723679999, UTC),
    )


def test_a_dispute_without_evidence_details_has_no_due_date(
    provider: StripePaymentProvider,
) -> None:
    dispute = stripe_fixture("dispute", payment_intent="pi_3Test", evidence_details=None)

    event = parse(provider, "charge.dispute.created", dispute)

    assert event.dispute is not None
    assert (event.dispute.status, event.dispute.evidence_due_by) == (
        DisputeStatus.WARNING_NEEDS_RESPONSE,
        None,
    )


def test_an_unknown_type_is_unhandled_and_its_object_not_read(
    provider: StripePaymentProvider,
) -> None:
    body = json.dumps(stripe_fixture("event", livemode=False)).encode()  # plan.created

    event = provider.parse_webhook(*delivery(body))

    assert event.kind is EventKind.UNHANDLED
    assert event.type == "plan.created"
    assert not event.concerns_an_order


@pytest.mark.parametrize(
    ("type_", "obj"),
    [
        ("payment_intent.succeeded", stripe_fixture("charge")),
        ("payment_intent.succeeded", succeeded_intent(amount_received="2800")),
        ("checkout.session.completed", session(amount_total=None)),
        ("refund.updated", refund(status="weird")),
        ("charge.dispute.updated", stripe_fixture("dispute", status="charge_refunded")),
    ],
    ids=[
        "wrong-object",
        "string-amount",
        "paid-session-without-amount",
        "unknown-refund-status",
        "unknown-dispute-status",
    ],
)
def test_a_handled_event_with_unreadable_fields_is_invalid(
    provider: StripePaymentProvider, type_: str, obj: dict[str, Any]
) -> None:
    with pytest.raises(InvalidPayload):
        parse(provider, type_, obj)


def test_parse_event_reads_a_journaled_payload_without_a_signature(
    make_provider: ProviderFactory,
) -> None:
    unconfigured = make_provider(webhook_secrets=())
    body = body_of("payment_intent.succeeded", succeeded_intent())

    assert unconfigured.parse_event(body).kind is EventKind.PAYMENT_SUCCEEDED
    with pytest.raises(InvalidPayload):
        unconfigured.parse_event(b"\xff\xfe")


def test_the_handled_types_are_exactly_those_the_issue_lists() -> None:
    assert sorted(HANDLED_EVENT_TYPES) == sorted(
        [
            "payment_intent.succeeded",
            "payment_intent.payment_failed",
            "payment_intent.canceled",
            "payment_intent.processing",
            "payment_intent.requires_action",
            "checkout.session.completed",
            "checkout.session.expired",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "charge.refunded",
            "refund.created",
            "refund.updated",
            "refund.failed",
            "charge.refund.updated",
            "charge.dispute.created",
            "charge.dispute.updated",
            "charge.dispute.closed",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.funds_reinstated",
        ]
    )
    assert len(HANDLED_EVENT_TYPES) <= 20  # Stripe lists events of at most 20 types at once

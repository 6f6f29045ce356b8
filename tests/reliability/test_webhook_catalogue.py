"""The webhook bad-input catalogue: every way a delivery can be wrong, and what it gets.

Each case goes through ``POST /billing/webhooks/stripe/`` of the real app with the Stripe
adapter, bodies built from Stripe's own example objects (``tests/fixtures/stripe/``) and
headers signed by stripe-python (``stripe.WebhookSignature.generate_signature_header``). Each
asserts the status code, the error code or outcome, the journal, the order, the counters — and
that nothing else changed.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import respx

from billing.domain.invoice import DocumentKind
from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus
from billing.services.webhooks import PROCESSED_METRIC
from tests.contract.stripe_emulator import stripe_fixture

from .conftest import (
    CART_TOTAL,
    OLD_WEBHOOK_SECRET,
    QUIET_HTTPX,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    StripeShop,
    make_stripe_shop,
    stripe_settings,
)

pytestmark = QUIET_HTTPX
TOLERANCE = 300


@attrs.define
class Pending:
    """A pending guest order and its PaymentIntent, before the case's delivery."""

    shop: StripeShop
    order_id: str
    intent_id: str

    def paid_body(self, **intent: Any) -> dict[str, Any]:
        event = self.shop.paid_event(self.intent_id, "evt_case")
        event["data"]["object"].update(intent)
        return event

    def now(self) -> int:
        return int(self.shop.clock.now().timestamp())


@pytest.fixture
def pending(shop: StripeShop) -> Pending:
    order_id, _, intent_id = shop.guest_order()
    return Pending(shop, order_id, intent_id)


def _dumps(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


def _valid(p: Pending, body: bytes) -> tuple[bytes, str | None]:
    return body, p.shop.signed(body)


def _hmac_header(body: bytes, secret: str, timestamp: int, scheme: str = "v1") -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},{scheme}={digest}"


# -- deliveries refused before anything is stored (400, nothing journaled) ----------------------

Make = Callable[[Pending], tuple[bytes, str | None]]


def _missing_header(p: Pending) -> tuple[bytes, str | None]:
    return _dumps(p.paid_body()), None


def _empty_header(p: Pending) -> tuple[bytes, str | None]:
    return _dumps(p.paid_body()), ""


def _malformed_header(p: Pending) -> tuple[bytes, str | None]:
    return _dumps(p.paid_body()), "this is not a signature"


def _two_timestamps(p: Pending) -> tuple[bytes, str | None]:
    body = _dumps(p.paid_body())
    return body, f"t={p.now()},{p.shop.signed(body)}"


def _only_v0(p: Pending) -> tuple[bytes, str | None]:
    body = _dumps(p.paid_body())
    return body, _hmac_header(body, WEBHOOK_SECRET, p.now(), scheme="v0")


def _wrong_secret(p: Pending) -> tuple[bytes, str | None]:
    body = _dumps(p.paid_body())
    return body, p.shop.signed(body, secret="whsec_somebody_else")


def _tampered(p: Pending) -> tuple[bytes, str | None]:
    body = _dumps(p.paid_body())
    signature = p.shop.signed(body)
    return body.replace(b'"amount_received": 10000', b'"amount_received": 1'), signature


def _stale(p: Pending) -> tuple[bytes, str | None]:
    body = _dumps(p.paid_body())
    return body, p.shop.signed(body, at=p.now() - TOLERANCE - 1)


def _future(p: Pending) -> tuple[bytes, str | None]:
    body = _dumps(p.paid_body())
    return body, p.shop.signed(body, at=p.now() + TOLERANCE + 1)


def _non_utf8(p: Pending) -> tuple[bytes, str | None]:
    body = _dumps(p.paid_body()).replace(b'"evt_case"', b'"evt_\xff\xfe"')
    return body, _hmac_header(body, WEBHOOK_SECRET, p.now())


def _invalid_json(p: Pending) -> tuple[bytes, str | None]:
    return _valid(p, b'{"id": "evt_case", "type": ')


def _empty_body(p: Pending) -> tuple[bytes, str | None]:
    return _valid(p, b"")


def _deeply_nested(p: Pending) -> tuple[bytes, str | None]:
    return _valid(p, b"[" * 50_000 + b"]" * 50_000)


def _nested_past_the_limit(p: Pending) -> tuple[bytes, str | None]:
    event = p.paid_body()
    nested: dict[str, Any] = {}
    for _ in range(100):  # a Stripe event nests about ten levels
        nested = {"n": nested}
    event["data"]["object"]["metadata"] = {"deep": nested}  # valid JSON, a real event, too deep
    return _valid(p, _dumps(event))


def _not_an_object(p: Pending) -> tuple[bytes, str | None]:
    return _valid(p, _dumps([p.paid_body()]))  # type: ignore[arg-type]


def _without(field: str) -> Make:
    def make(p: Pending) -> tuple[bytes, str | None]:
        event = p.paid_body()
        del event[field]
        return _valid(p, _dumps(event))

    return make


def _thin_v2(p: Pending) -> tuple[bytes, str | None]:
    thin = {
        "id": "evt_test_65R9Ijk8d6GUdO1Y5Ap16SEkmvuvQ7kwQt1FYNeYdZ6mOs",
        "object": "v2.core.event",
        "type": "v1.payment_intent.succeeded",
        "livemode": False,
        "created": "2026-01-15T12:00:00.000Z",
        "related_object": {
            "id": p.intent_id,
            "type": "payment_intent",
            "url": f"/v1/payment_intents/{p.intent_id}",
        },
    }
    return _valid(p, _dumps(thin))


def _livemode(p: Pending) -> tuple[bytes, str | None]:
    event = p.paid_body()
    event["livemode"] = True
    event["data"]["object"]["livemode"] = True
    return _valid(p, _dumps(event))


def _wrong_object(p: Pending) -> tuple[bytes, str | None]:
    event = p.paid_body()
    event["data"]["object"] = stripe_fixture("refund", payment_intent=p.intent_id)
    return _valid(p, _dumps(event))


@attrs.frozen
class Refused:
    make: Make
    code: str


REFUSED = {
    "missing-signature-header": Refused(_missing_header, "invalid_signature"),
    "empty-signature-header": Refused(_empty_header, "invalid_signature"),
    "malformed-signature-header": Refused(_malformed_header, "invalid_signature"),
    "two-timestamps": Refused(_two_timestamps, "invalid_signature"),
    "only-v0-signature": Refused(_only_v0, "invalid_signature"),
    "wrong-secret": Refused(_wrong_secret, "invalid_signature"),
    "tampered-body": Refused(_tampered, "invalid_signature"),
    "stale-timestamp": Refused(_stale, "invalid_signature"),
    "future-timestamp": Refused(_future, "invalid_signature"),
    "non-utf8-body": Refused(_non_utf8, "invalid_signature"),
    "invalid-json-valid-signature": Refused(_invalid_json, "invalid_payload"),
    "empty-body-valid-signature": Refused(_empty_body, "invalid_payload"),
    "json-not-an-object": Refused(_not_an_object, "invalid_payload"),
    "nested-fifty-thousand-deep-valid-signature": Refused(_deeply_nested, "invalid_payload"),
    "event-nested-past-the-depth-limit": Refused(_nested_past_the_limit, "invalid_payload"),
    "event-without-id": Refused(_without("id"), "invalid_payload"),
    "event-without-type": Refused(_without("type"), "invalid_payload"),
    "thin-v2-event": Refused(_thin_v2, "invalid_payload"),
    "livemode-mismatch": Refused(_livemode, "invalid_payload"),
    "handled-type-carrying-another-object": Refused(_wrong_object, "invalid_payload"),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_delivery_is_refused_with_400_and_changes_nothing(
    pending: Pending, case: Refused
) -> None:
    shop = pending.shop
    before = shop.tables()
    body, signature = case.make(pending)

    answer = shop.post_webhook(body, signature)

    assert answer.status_code == 400
    assert answer.json is not None
    assert (answer.json["code"], answer.json["retryable"]) == (case.code, False)
    assert shop.tables() == before
    assert shop.metrics.count(PROCESSED_METRIC, outcome="rejected", code=case.code) == 1
    assert shop.metrics.count(PROCESSED_METRIC) == 1


def test_a_body_over_one_mebibyte_is_refused_with_413_before_it_is_read(
    pending: Pending,
) -> None:
    shop = pending.shop
    before = shop.tables()
    event = pending.paid_body(description="x" * (1024 * 1024))
    body = _dumps(event)

    answer = shop.post_webhook(body, shop.signed(body))

    assert (answer.status_code, answer.json["code"]) == (413, "payload_too_large")  # type: ignore[index]
    assert shop.tables() == before
    assert shop.metrics.count(PROCESSED_METRIC) == 0


def _chunked(shop: StripeShop, body: bytes, signature: str) -> Any:
    """POST ``body`` with ``Transfer-Encoding: chunked`` and no ``Content-Length``, as a server
    hands it to the app (``wsgi.input_terminated``)."""
    return shop.client.post(
        WEBHOOK_URL,
        input_stream=io.BytesIO(body),
        headers={"Stripe-Signature": signature, "Transfer-Encoding": "chunked"},
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_without_length_is_read_and_processed(pending: Pending) -> None:
    shop = pending.shop
    body = _dumps(pending.paid_body())

    answer = _chunked(shop, body, shop.signed(body))

    assert answer.status_code == 200, answer.json
    assert answer.json["outcome"] == "processed"  # type: ignore[index]
    assert shop.tables().orders[pending.order_id].status is OrderStatus.PAID


def test_a_chunked_body_over_one_mebibyte_is_refused_with_413(pending: Pending) -> None:
    shop = pending.shop
    before = shop.tables()
    body = _dumps(pending.paid_body(description="x" * (1024 * 1024)))

    answer = _chunked(shop, body, shop.signed(body))

    assert (answer.status_code, answer.json["code"]) == (413, "payload_too_large")  # type: ignore[index]
    assert shop.tables() == before


# -- deliveries that verify but cannot or need not apply --------------------------------------


@attrs.frozen
class Journaled:
    make: Callable[[Pending], dict[str, Any]]
    status: int
    outcome: str
    code: str | None
    order_status: OrderStatus = OrderStatus.PENDING_PAYMENT


JOURNALED = {
    "unknown-type": Journaled(
        lambda p: p.shop.event("customer.created", stripe_fixture("refund"), "evt_case"),
        200,
        "ignored",
        "not_handled",
    ),
    # Failed for good: answered 200 (a redelivery fails the same way), replayed by a person.
    "amount-mismatch": Journaled(
        lambda p: p.paid_body(amount_received=CART_TOTAL - 1, amount=CART_TOTAL - 1),
        200,
        "failed",
        "amount_mismatch",
    ),
    "currency-mismatch": Journaled(
        lambda p: p.paid_body(currency="usd"), 200, "failed", "amount_mismatch"
    ),
    "unknown-order": Journaled(
        lambda p: p.paid_body(metadata={"order_id": "ord_we_never_made"}),
        503,
        "parked",
        "order_not_found",
    ),
    "another-systems-payment": Journaled(
        lambda p: p.paid_body(id="pi_3NotOurs000000", metadata={}),
        200,
        "ignored",
        "unknown_payment",
    ),
}


@pytest.mark.parametrize("case", JOURNALED.values(), ids=JOURNALED.keys())
def test_a_verified_event_that_cannot_apply_is_journaled_with_its_outcome(
    pending: Pending, case: Journaled
) -> None:
    shop = pending.shop
    before = shop.tables()
    event = case.make(pending)

    answer = shop.deliver(event)

    assert answer.status_code == case.status, answer.json
    assert answer.json is not None
    assert (answer.json["outcome"], answer.json["code"]) == (case.outcome, case.code)
    assert answer.json["retryable"] is (case.status == 503)
    after = shop.tables()
    [stored] = after.webhook_events.values()
    assert (stored.id, str(stored.status)) == (event["id"], case.outcome)
    assert after.orders[pending.order_id].status is case.order_status
    assert after.orders == before.orders
    assert (after.invoices, after.entitlements, after.refunds) == ({}, {}, {})
    assert shop.metrics.count(PROCESSED_METRIC, outcome=case.outcome) == 1


def test_a_dispute_flags_the_order_and_is_counted(pending: Pending) -> None:
    shop = pending.shop
    shop.pay(pending.intent_id)
    paid = shop.tables()
    dispute = stripe_fixture(
        "dispute", payment_intent=pending.intent_id, amount=CART_TOTAL, currency="eur"
    )

    answer = shop.deliver(shop.event("charge.dispute.created", dispute, "evt_dispute"))

    assert (answer.status_code, answer.json["outcome"]) == (200, "processed")  # type: ignore[index]
    after = shop.tables()
    order = after.orders[pending.order_id]
    assert order.disputed is True
    assert order.status is OrderStatus.PAID
    assert order.transitions == paid.orders[pending.order_id].transitions
    assert (after.invoices, after.entitlements, after.refunds) == (
        paid.invoices,
        paid.entitlements,
        paid.refunds,
    )
    assert shop.metrics.count("billing_dispute_total", state="opened") == 1


# -- replays, races and odd orders of arrival ---------------------------------------------------


def test_a_duplicate_delivery_answers_200_and_changes_nothing(pending: Pending) -> None:
    shop = pending.shop
    event = shop.paid_event(pending.intent_id)
    first = shop.deliver(event)
    after_first = shop.tables()
    shop.clock.advance(minutes=5)

    second = shop.deliver(event)  # Stripe's retry: same event, signed again later

    assert (first.status_code, first.json["outcome"]) == (200, "processed")  # type: ignore[index]
    assert (second.status_code, second.json["outcome"]) == (200, "duplicate")  # type: ignore[index]
    assert shop.tables() == after_first
    [invoice] = after_first.invoices.values()
    assert invoice.number == "INV-2026-000001"


def test_concurrent_duplicates_apply_once(pending: Pending) -> None:
    shop = pending.shop
    body = _dumps(shop.paid_event(pending.intent_id))
    signature = shop.signed(body)
    start = threading.Barrier(8)
    answers: list[tuple[int, str]] = []

    def deliver() -> None:
        client = shop.app.test_client()
        start.wait(5)
        answer = client.post(WEBHOOK_URL, data=body, headers={"Stripe-Signature": signature})
        answers.append((answer.status_code, answer.json["outcome"]))  # type: ignore[index]

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(answers) == [(200, "duplicate")] * 7 + [(200, "processed")]
    tables = shop.tables()
    order = tables.orders[pending.order_id]
    assert [t.to_status for t in order.transitions].count(OrderStatus.PAID) == 1
    assert len(tables.invoices) == 1
    assert len(tables.entitlements) == 2


def _refund_event(
    p: Pending, event_id: str, status: str, amount: int, refund_id: str = "re_3Dashboard"
) -> dict[str, Any]:
    refund = stripe_fixture(
        "refund",
        id=refund_id,
        amount=amount,
        currency="eur",
        payment_intent=p.intent_id,
        metadata={"order_id": p.order_id},
        status=status,
        failure_reason="expired_or_canceled_card" if status == "failed" else None,
    )
    type_ = "refund.failed" if status == "failed" else "refund.updated"
    return p.shop.event(type_, refund, event_id)


def test_a_refund_arriving_before_its_payment_waits_then_applies_once(pending: Pending) -> None:
    shop = pending.shop
    refund = _refund_event(pending, "evt_refund", "succeeded", 2500)

    early = shop.deliver(refund)

    # Parked, answered 200: it runs again by itself when the order is paid.
    assert (early.status_code, early.json["outcome"], early.json["code"]) == (  # type: ignore[index]
        200,
        "parked",
        "awaiting_payment",
    )
    assert shop.tables().refunds == {}
    assert shop.tables().orders[pending.order_id].status is OrderStatus.PENDING_PAYMENT

    paid = shop.pay(pending.intent_id)  # the parked refund runs again once the order is paid
    retried = shop.deliver(copy.deepcopy(refund))  # Stripe's own retry of the refund event

    assert (paid.status_code, paid.json["outcome"]) == (200, "processed")  # type: ignore[index]
    assert (retried.status_code, retried.json["outcome"]) == (200, "duplicate")  # type: ignore[index]
    tables = shop.tables()
    order = tables.orders[pending.order_id]
    assert order.status is OrderStatus.PARTIALLY_REFUNDED
    assert (order.amount_paid, order.amount_refunded) == (CART_TOTAL, 2500)
    [stored_refund] = tables.refunds.values()
    assert (stored_refund.provider_refund_id, stored_refund.amount) == ("re_3Dashboard", 2500)
    assert sorted(d.number for d in tables.invoices.values()) == [
        "CN-2026-000001",
        "INV-2026-000001",
    ]
    assert {e.id: e.status for e in tables.webhook_events.values()} == {
        "evt_refund": WebhookStatus.PROCESSED,
        "evt_paid": WebhookStatus.PROCESSED,
    }


def test_a_refund_failing_after_it_succeeded_gives_the_money_and_entitlements_back(
    pending: Pending,
) -> None:
    shop = pending.shop
    shop.pay(pending.intent_id)
    succeeded = shop.deliver(_refund_event(pending, "evt_refund_ok", "succeeded", CART_TOTAL))
    refunded = shop.tables()

    failed = shop.deliver(_refund_event(pending, "evt_refund_failed", "failed", CART_TOTAL))

    assert (succeeded.status_code, succeeded.json["outcome"]) == (200, "processed")  # type: ignore[index]
    assert refunded.orders[pending.order_id].status is OrderStatus.REFUNDED
    assert not any(e.active for e in refunded.entitlements.values())
    assert (failed.status_code, failed.json["outcome"]) == (200, "processed")  # type: ignore[index]
    after = shop.tables()
    order = after.orders[pending.order_id]
    assert (order.status, order.amount_refunded) == (OrderStatus.PAID, 0)
    assert order.transitions[-1].from_status is OrderStatus.REFUNDED
    [refund] = after.refunds.values()
    assert (str(refund.status), refund.failure_reason) == ("failed", "expired_or_canceled_card")
    assert all(e.active for e in after.entitlements.values())
    assert len(after.entitlements) == 2
    # Documents are kept: the credit note stays, and an invoice-series document cancels it.
    assert {k: v for k, v in after.invoices.items() if k in refunded.invoices} == refunded.invoices
    [cancellation] = [d for k, d in after.invoices.items() if k not in refunded.invoices]
    assert (cancellation.kind, cancellation.number, cancellation.refund_id) == (
        DocumentKind.CREDIT_NOTE_CANCELLATION,
        "INV-2026-000002",
        refund.id,
    )


# -- secret rotation ---------------------------------------------------------------------------


@pytest.fixture
def rotating(router: respx.MockRouter) -> Iterator[StripeShop]:
    made = make_stripe_shop(
        router,
        settings=stripe_settings(stripe_webhook_secrets=(WEBHOOK_SECRET, OLD_WEBHOOK_SECRET)),
    )
    yield made
    made.container.unwire()


def test_during_a_rotation_both_secrets_verify(rotating: StripeShop) -> None:
    _, _, first = rotating.guest_order("a@example.com")
    _, _, second = rotating.guest_order("b@example.com")

    old = rotating.deliver(rotating.paid_event(first, "evt_old"), secret=OLD_WEBHOOK_SECRET)
    new = rotating.deliver(rotating.paid_event(second, "evt_new"), secret=WEBHOOK_SECRET)

    assert (old.status_code, old.json["outcome"]) == (200, "processed")  # type: ignore[index]
    assert (new.status_code, new.json["outcome"]) == (200, "processed")  # type: ignore[index]


def test_after_a_rotation_the_retired_secret_is_refused(pending: Pending) -> None:
    shop = pending.shop  # configured with the current secret only
    before = shop.tables()

    answer = shop.deliver(shop.paid_event(pending.intent_id), secret=OLD_WEBHOOK_SECRET)

    assert (answer.status_code, answer.json["code"]) == (400, "invalid_signature")  # type: ignore[index]
    assert shop.tables() == before


def test_a_header_with_several_v1_signatures_verifies_with_any(pending: Pending) -> None:
    shop = pending.shop
    body = _dumps(shop.paid_event(pending.intent_id))
    good = shop.signed(body)
    bad = shop.signed(body, secret="whsec_other")
    header = f"{good},v1={bad.split('v1=')[1]}"

    answer = shop.post_webhook(body, header)

    assert (answer.status_code, answer.json["outcome"]) == (200, "processed")  # type: ignore[index]

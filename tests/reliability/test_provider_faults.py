"""Stripe failing under a checkout: the caller is told to retry, and the retry heals.

Every fault goes through the HTTP app and the real Stripe adapter, with Stripe emulated over
respx: a timeout after Stripe created the PaymentIntent (the answer was lost), a connection
reset before or after, a 500, a 429 and a 409 lock conflict. The caller gets 503 with the
stable code ``provider_unavailable`` and ``retryable: true``; retrying with the same
``Idempotency-Key`` returns the same order and the same PaymentIntent, and Stripe saw one
idempotency key and created one object. A crash of our process between Stripe's answer and our
commit is healed the same way by the next attempt, which reuses the persisted key.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import respx

from billing.adapters.sql import SqlUnitOfWorkFactory, make_engine, upgrade
from billing.domain.state import OrderStatus
from billing.services.payments import PaymentService
from tests.contract.stripe_emulator import StripeEmulator, error_body

from .conftest import (
    QUIET_HTTPX,
    FixedClock,
    StripeShop,
    make_stripe_shop,
    stripe_settings,
)

pytestmark = QUIET_HTTPX
KEY = "5d1c8a3e-7f2b-4c6d-9e0a-1b3f5a7c9d2e"  # a guest's key is a secret: a UUID4


@attrs.frozen
class Fault:
    """What goes wrong with one ``POST /v1/payment_intents``: an exception httpx raises, or an
    error response; ``after_effect``: Stripe created the object and the answer was lost."""

    raised: Exception | None = None
    status: int | None = None
    body: dict[str, Any] | None = None
    after_effect: bool = False

    def response(self) -> httpx.Response:
        assert self.status is not None
        return httpx.Response(self.status, json=self.body)


class FaultyStripe(StripeEmulator):
    """The emulator, with faults queued for the next PaymentIntent creations."""

    def __init__(self, router: respx.MockRouter, clock: FixedClock) -> None:
        self.faults: deque[Fault] = deque()
        super().__init__(router, clock)

    def _create_intent(self, request: httpx.Request) -> httpx.Response:
        fault = self.faults.popleft() if self.faults else None
        if fault is not None and not fault.after_effect:
            if fault.raised is not None:
                raise fault.raised
            return fault.response()
        answer = super()._create_intent(request)
        if fault is not None:
            if fault.raised is not None:
                raise fault.raised
            return fault.response()
        return answer


FAULTS = {
    "timeout-after-create": Fault(raised=httpx.ReadTimeout("timed out"), after_effect=True),
    "connection-reset-before-create": Fault(
        raised=httpx.ReadError("[Errno 104] Connection reset by peer")
    ),
    "connection-reset-after-create": Fault(
        raised=httpx.ReadError("[Errno 104] Connection reset by peer"), after_effect=True
    ),
    "stripe-500": Fault(status=500, body=error_body("api_error", "Internal error")),
    "stripe-429": Fault(
        status=429, body=error_body("invalid_request_error", "Too many requests", "rate_limit")
    ),
    "stripe-409-lock": Fault(
        status=409,
        body=error_body("invalid_request_error", "Object locked", "lock_timeout"),
    ),
}


@pytest.fixture
def faulty(router: respx.MockRouter) -> Iterator[tuple[StripeShop, FaultyStripe]]:
    made = make_stripe_shop(router, emulator=FaultyStripe)
    assert isinstance(made.stripe, FaultyStripe)
    yield made, made.stripe
    made.container.unwire()


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_provider_fault_on_checkout_is_retryable_and_the_retry_heals(
    faulty: tuple[StripeShop, FaultyStripe], fault: Fault
) -> None:
    shop, stripe = faulty
    stripe.faults.append(fault)

    failed = shop.checkout(key=KEY, email="guest@example.com")

    assert failed.status_code == 503
    assert failed.json is not None
    assert (failed.json["code"], failed.json["retryable"]) == ("provider_unavailable", True)
    tables = shop.tables()
    [order] = tables.orders.values()
    assert order.status is OrderStatus.DRAFT
    [attempt] = tables.payment_attempts.values()
    assert (attempt.status, attempt.error_code) == ("failed", "provider_unavailable")
    assert attempt.provider_payment_id is None
    assert len(stripe.intents) == (1 if fault.after_effect else 0)
    assert (tables.webhook_events, tables.invoices, tables.entitlements) == ({}, {}, {})

    retried = shop.checkout(key=KEY, email="guest@example.com")

    assert retried.status_code == 201, retried.json
    assert retried.json is not None
    assert retried.json["order"]["id"] == order.id
    assert retried.json["order"]["status"] == "pending_payment"
    [intent_id] = stripe.intents
    assert retried.json["payment"]["id"] == intent_id
    keys = {request.headers["Idempotency-Key"] for request in shop.intent_requests()}
    assert keys == {attempt.idempotency_key}
    assert attempt.idempotency_key.startswith("pi:")
    after = shop.tables()
    assert list(after.orders) == [order.id]
    [healed] = after.payment_attempts.values()
    assert (healed.id, healed.provider_payment_id, healed.error_code) == (
        attempt.id,
        intent_id,
        None,
    )
    # A third call (the client retrying again) changes nothing more.
    again = shop.checkout(key=KEY, email="guest@example.com")
    assert again.status_code == 201
    assert again.json is not None
    assert again.json["payment"]["id"] == intent_id
    assert len(stripe.intents) == 1
    assert shop.tables() == after


@pytest.mark.parametrize(
    "fault",
    [FAULTS["timeout-after-create"], FAULTS["connection-reset-before-create"]],
    ids=["timeout-after-create", "connection-reset-before-create"],
)
def test_stripe_python_retries_a_network_fault_itself_with_the_same_key(
    router: respx.MockRouter, fault: Fault
) -> None:
    shop = make_stripe_shop(
        router, settings=stripe_settings(stripe_max_network_retries=2), emulator=FaultyStripe
    )
    assert isinstance(shop.stripe, FaultyStripe)
    shop.stripe.faults.append(fault)

    answer = shop.checkout(key=KEY, email="guest@example.com")

    assert answer.status_code == 201, answer.json
    assert len(shop.stripe.intents) == 1
    requests = shop.intent_requests()
    assert len(requests) == 2
    assert len({request.headers["Idempotency-Key"] for request in requests}) == 1
    [attempt] = shop.tables().payment_attempts.values()
    assert attempt.provider_payment_id == answer.json["payment"]["id"]  # type: ignore[index]
    shop.container.unwire()


def test_a_checkout_retried_after_stripe_forgot_its_key_finds_its_payment_intent(
    faulty: tuple[StripeShop, FaultyStripe],
) -> None:
    shop, stripe = faulty
    stripe.faults.append(FAULTS["timeout-after-create"])
    failed = shop.checkout(key=KEY, email="guest@example.com")
    assert failed.status_code == 503
    [made] = stripe.intents  # Stripe has it; we never learned its id
    shop.clock.advance(hours=25)  # Stripe keeps an idempotency key for 24 hours

    retried = shop.checkout(key=KEY, email="guest@example.com")

    assert retried.status_code == 201, retried.json
    assert retried.json is not None
    assert retried.json["payment"]["id"] == made
    assert list(stripe.intents) == [made]  # found by the order id it carries, not made again
    assert len(shop.intent_requests()) == 1
    order_id = retried.json["order"]["id"]
    assert stripe.searches == [f"metadata['order_id']:'{order_id}'"]
    [attempt] = shop.tables().payment_attempts.values()
    assert (attempt.provider_payment_id, attempt.error_code) == (made, None)
    paid = shop.pay(made)
    assert (paid.status_code, paid.json["outcome"]) == (200, "processed")  # type: ignore[index]


def test_the_emulator_forgets_a_key_after_24_hours_as_stripe_does(
    faulty: tuple[StripeShop, FaultyStripe],
) -> None:
    shop, stripe = faulty
    order_id, _, first = shop.guest_order()
    order = shop.tables().orders[order_id]
    provider = shop.container.payment_provider()
    shop.clock.advance(hours=23, minutes=59)
    same = provider.create_payment_intent(order, f"pi:{order.idempotency_key}")
    shop.clock.advance(minutes=2)
    forgotten = provider.create_payment_intent(order, f"pi:{order.idempotency_key}")

    assert same.id == first
    assert forgotten.id != first  # what the search above guards against
    assert len(stripe.intents) == 2


class Crash(BaseException):
    """The process dies: nothing after this point runs, nothing is committed."""


def test_a_crash_after_stripe_created_the_payment_is_healed_by_the_persisted_key(
    router: respx.MockRouter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    upgrade(url)
    stripe = StripeEmulator(router, FixedClock())

    def process() -> StripeShop:
        """One run of the service on the same database file (a new process after a crash)."""
        engine = make_engine(url)
        return make_stripe_shop(
            router, uow_factory=SqlUnitOfWorkFactory(engine), emulator=lambda *_: stripe
        )

    def crash(self: PaymentService, *args: object) -> None:
        raise Crash

    first = process()
    with monkeypatch.context() as patched:
        patched.setattr(PaymentService, "_record_payment", crash)
        with pytest.raises(Crash):
            first.checkout(key=KEY, email="guest@example.com")
    first.container.unwire()
    [intent_id] = stripe.intents  # Stripe has it; we never recorded its id

    second = process()
    answer = second.checkout(key=KEY, email="guest@example.com")

    assert answer.status_code == 201, answer.json
    assert answer.json is not None
    assert answer.json["payment"]["id"] == intent_id
    assert len(stripe.intents) == 1
    requests = [
        call.request
        for call in router.calls
        if call.request.method == "POST" and call.request.url.path == "/v1/payment_intents"
    ]
    assert len(requests) == 2
    assert len({request.headers["Idempotency-Key"] for request in requests}) == 1
    with second.uow_factory() as uow:
        order = uow.orders.get(answer.json["order"]["id"])
        [attempt] = uow.payment_attempts.list_for_order(order.id)
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert order.provider_payment_id == intent_id
    assert attempt.provider_payment_id == intent_id
    assert attempt.idempotency_key == requests[0].headers["Idempotency-Key"]
    second.container.unwire()
    second.container.uow_factory.reset_override()
    assert isinstance(second.uow_factory, SqlUnitOfWorkFactory)
    second.uow_factory.engine.dispose()

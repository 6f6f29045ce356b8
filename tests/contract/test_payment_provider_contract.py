"""The PaymentProvider contract: what the services rely on, whichever provider runs.

Each provider is driven through a ``Harness``: the provider itself, plus what happens on the
provider's side without us (the customer pays) and a signed "payment succeeded" delivery.
To add a provider (the sandbox, Stripe's test mode), write a harness factory and add it to
``HARNESSES``.
"""

from __future__ import annotations

import json
import socket
import tempfile
from collections.abc import Callable, Iterator

import attrs
import pytest
import respx

from billing.adapters.memory import FakeEvents, FakePaymentProvider, FixedClock, InlineTaskQueue
from billing.adapters.sandbox import (
    MemorySandboxStore,
    SandboxPaymentProvider,
    SandboxStore,
    SqlSandboxStore,
    WebhookSigner,
    cards,
)
from billing.adapters.sql import make_engine, upgrade
from billing.adapters.stripe import StripeConfig, StripePaymentProvider
from billing.domain.errors import InvalidSignature, ProviderError, ProviderRejected
from billing.domain.order import Order
from billing.domain.payment import PaymentMode
from billing.domain.provider_event import EventKind
from billing.domain.refund_status import RefundStatus
from billing.ports.payments import PaymentProvider

from .provider_objects import NOW, make_order, make_refund
from .stripe_emulator import API_BASE, StripeEmulator, sign, stripe_event

# stripe-python's HTTPXClient hands httpx the form body as ``data=str``.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

SUCCESS_URL = "https://shop.example/billing/success/"
CANCEL_URL = "https://shop.example/billing/cancel/"


@attrs.frozen
class Harness:
    provider: PaymentProvider
    #: The customer pays the payment (PaymentIntent or Checkout Session) with this id.
    complete: Callable[[str], None]
    #: The customer pays, and the provider sends its signed delivery: (body, signature header).
    paid_delivery: Callable[[str], tuple[bytes, str]]
    #: The same provider with no webhook secret configured.
    unconfigured: Callable[[], PaymentProvider]
    #: The customer a payment (by id) was created for, as the provider keeps it.
    customer_of: Callable[[str], str | None]


def _ignore(_: object) -> None:
    return None


def fake_harness(clock: FixedClock) -> Iterator[Harness]:
    provider = FakePaymentProvider(clock)
    events = FakeEvents(provider)

    def paid_delivery(payment_id: str) -> tuple[bytes, str]:
        delivery = events.payment_succeeded(payment_id)
        return delivery.payload, delivery.signature

    yield Harness(
        provider=provider,
        complete=lambda payment_id: _ignore(provider.complete(payment_id)),
        paid_delivery=paid_delivery,
        unconfigured=lambda: FakePaymentProvider(clock, webhook_secret=None),
        customer_of=lambda payment_id: provider.customer_of[payment_id],
    )


def stripe_harness(clock: FixedClock) -> Iterator[Harness]:
    secret = "whsec_contract"
    with respx.mock(base_url=API_BASE, assert_all_mocked=True, assert_all_called=False) as router:
        emulator = StripeEmulator(router, clock)
        config = StripeConfig("sk_test_contract", webhook_secrets=secret, max_network_retries=0)
        provider = StripePaymentProvider(config, clock)

        def paid_delivery(payment_id: str) -> tuple[bytes, str]:
            intent = emulator.complete(payment_id)
            now = int(clock.now().timestamp())
            if payment_id in emulator.sessions:
                type_, obj = "checkout.session.completed", emulator.sessions[payment_id]
            else:
                type_, obj = "payment_intent.succeeded", intent
            event = stripe_event(type_, obj, created=now, id=f"evt_{payment_id}")
            body = json.dumps(event).encode()
            return body, sign(body, secret, now)

        yield Harness(
            provider=provider,
            complete=lambda payment_id: _ignore(emulator.complete(payment_id)),
            paid_delivery=paid_delivery,
            unconfigured=lambda: StripePaymentProvider(
                StripeConfig("sk_test_contract", max_network_retries=0), clock
            ),
            customer_of=lambda payment_id: {**emulator.intents, **emulator.sessions}[payment_id][
                "customer"
            ],
        )


def _sandbox(clock: FixedClock, store: SandboxStore) -> Harness:
    secret = "whsec_contract"
    tasks = InlineTaskQueue()  # no handler: the events wait in the sandbox's store
    base_url = "https://shop.example"
    provider = SandboxPaymentProvider(store, clock, tasks, secret, base_url)
    signer = WebhookSigner(secret, clock)
    paid_types = {"payment_intent.succeeded", "checkout.session.completed"}

    def paid_delivery(payment_id: str) -> tuple[bytes, str]:
        provider.pay(payment_id, cards.SUCCEEDS)
        event = [e for e in provider.undelivered_events() if e.type in paid_types][-1]
        return event.payload.encode(), signer.header(event.payload)

    return Harness(
        provider=provider,
        complete=lambda payment_id: _ignore(provider.pay(payment_id, cards.SUCCEEDS)),
        paid_delivery=paid_delivery,
        unconfigured=lambda: SandboxPaymentProvider(store, clock, tasks, None, base_url),
        customer_of=lambda payment_id: provider.retrieve(payment_id)["customer"],
    )


def sandbox_harness(clock: FixedClock) -> Iterator[Harness]:
    yield _sandbox(clock, MemorySandboxStore())


def sandbox_sqlite_harness(clock: FixedClock) -> Iterator[Harness]:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{directory}/billing.db")
        try:
            upgrade(engine)
            yield _sandbox(clock, SqlSandboxStore(engine))
        finally:
            engine.dispose()


#: Every provider the contract runs over.
HARNESSES: dict[str, Callable[[FixedClock], Iterator[Harness]]] = {
    "fake": fake_harness,
    "stripe": stripe_harness,
    "sandbox": sandbox_harness,
    "sandbox-sqlite": sandbox_sqlite_harness,
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a provider contract test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    yield from HARNESSES[request.param](FixedClock(NOW))


def create(harness: Harness, mode: PaymentMode, order: Order, key: str) -> str:
    provider = harness.provider
    if mode is PaymentMode.PAYMENT_INTENT:
        return provider.create_payment_intent(order, key).id
    return provider.create_checkout_session(order, key, SUCCESS_URL, CANCEL_URL).id


def test_the_provider_implements_the_port(harness: Harness) -> None:
    assert isinstance(harness.provider, PaymentProvider)
    assert harness.provider.name


def test_a_payment_intent_is_created_for_the_order_total(harness: Harness) -> None:
    order = make_order()

    payment = harness.provider.create_payment_intent(order, "pi:key-1")

    assert payment.mode is PaymentMode.PAYMENT_INTENT
    assert payment.amount == order.total
    assert payment.status == "requires_payment_method"
    assert payment.client_secret
    assert payment.payment_intent_id == payment.id


def test_a_checkout_session_is_open_with_a_url(harness: Harness) -> None:
    order = make_order()

    payment = harness.provider.create_checkout_session(order, "cs:key-1", SUCCESS_URL, CANCEL_URL)

    assert payment.mode is PaymentMode.CHECKOUT_SESSION
    assert payment.amount == order.total
    assert payment.status == "open"
    assert payment.checkout_url is not None
    assert payment.checkout_url.startswith("https://")


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_the_same_key_returns_the_same_payment(harness: Harness, mode: PaymentMode) -> None:
    order = make_order()

    first = create(harness, mode, order, "key:same")
    second = create(harness, mode, order, "key:same")
    other = create(harness, mode, make_order("ord_000002", key="key-2"), "key:other")

    assert first == second
    assert other != first


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_the_same_key_with_other_parameters_is_rejected(
    harness: Harness, mode: PaymentMode
) -> None:
    create(harness, mode, make_order(quantity=2), "key:reused")

    with pytest.raises(ProviderRejected):
        create(harness, mode, make_order(quantity=3), "key:reused")


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_retrieve_returns_the_created_payment(harness: Harness, mode: PaymentMode) -> None:
    order = make_order()
    payment_id = create(harness, mode, order, "key-1")

    found = harness.provider.retrieve_payment(payment_id)

    assert (found.id, found.mode, found.amount) == (payment_id, mode, order.total)


def test_retrieving_an_unknown_payment_is_rejected(harness: Harness) -> None:
    with pytest.raises(ProviderRejected):
        harness.provider.retrieve_payment("pi_unknown")


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_a_canceled_payment_reports_canceled_and_canceling_again_is_harmless(
    harness: Harness, mode: PaymentMode
) -> None:
    payment_id = create(harness, mode, make_order(), "key-1")

    harness.provider.cancel_payment(payment_id)
    harness.provider.cancel_payment(payment_id)

    assert harness.provider.retrieve_payment(payment_id).status == "canceled"


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_a_succeeded_payment_cannot_be_canceled(harness: Harness, mode: PaymentMode) -> None:
    payment_id = create(harness, mode, make_order(), "key-1")
    harness.complete(payment_id)

    with pytest.raises(ProviderRejected):
        harness.provider.cancel_payment(payment_id)
    assert harness.provider.retrieve_payment(payment_id).status == "succeeded"


def test_an_unpaid_payment_cannot_be_refunded(harness: Harness) -> None:
    payment_id = create(harness, PaymentMode.PAYMENT_INTENT, make_order(), "key-1")

    with pytest.raises(ProviderRejected):
        harness.provider.refund(make_refund("ref_1", 500), payment_id, "re:ref_1")


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_refunds_never_exceed_what_was_paid(harness: Harness, mode: PaymentMode) -> None:
    payment_id = create(harness, mode, make_order(), "key-1")  # 2 x 12.50 EUR
    harness.complete(payment_id)

    first = harness.provider.refund(make_refund("ref_1", 1000), payment_id, "re:ref_1")
    rest = harness.provider.refund(make_refund("ref_2", 1500), payment_id, "re:ref_2")

    assert [r.amount.amount for r in (first, rest)] == [1000, 1500]
    assert {r.amount.currency for r in (first, rest)} == {"EUR"}
    assert [r.reference for r in (first, rest)] == ["ref_1", "ref_2"]
    assert {r.status for r in (first, rest)} == {RefundStatus.SUCCEEDED}
    with pytest.raises(ProviderRejected):
        harness.provider.refund(make_refund("ref_3", 1), payment_id, "re:ref_3")


def test_the_same_refund_key_returns_the_same_refund(harness: Harness) -> None:
    payment_id = create(harness, PaymentMode.PAYMENT_INTENT, make_order(), "key-1")
    harness.complete(payment_id)
    refund = make_refund("ref_1", 2500)

    first = harness.provider.refund(refund, payment_id, "re:ref_1")
    again = harness.provider.refund(refund, payment_id, "re:ref_1")

    assert first == again


def test_every_error_is_a_provider_error(harness: Harness) -> None:
    with pytest.raises(ProviderError):
        harness.provider.cancel_payment("pi_unknown")


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_a_signed_payment_event_is_verified_and_translated(
    harness: Harness, mode: PaymentMode
) -> None:
    order = make_order()
    payment_id = create(harness, mode, order, "key-1")
    body, signature = harness.paid_delivery(payment_id)

    event = harness.provider.parse_webhook(body, signature)

    assert harness.provider.webhook_configured
    assert event.kind is EventKind.PAYMENT_SUCCEEDED
    assert event.order_id == order.id
    assert event.amount == order.total
    paid = harness.provider.retrieve_payment(payment_id)
    assert event.payment_id in (payment_id, paid.payment_intent_id)
    assert event.payload == body.decode()
    assert harness.provider.parse_event(body) == event


def test_a_tampered_delivery_is_refused(harness: Harness) -> None:
    payment_id = create(harness, PaymentMode.PAYMENT_INTENT, make_order(), "key-1")
    body, signature = harness.paid_delivery(payment_id)

    with pytest.raises(InvalidSignature):
        harness.provider.parse_webhook(body.replace(b"2500", b"9999"), signature)


def test_without_a_webhook_secret_every_delivery_is_refused(harness: Harness) -> None:
    payment_id = create(harness, PaymentMode.PAYMENT_INTENT, make_order(), "key-1")
    body, signature = harness.paid_delivery(payment_id)
    unconfigured = harness.unconfigured()

    assert not unconfigured.webhook_configured
    with pytest.raises(InvalidSignature):
        unconfigured.parse_webhook(body, signature)


def test_a_customer_is_created_once_per_key(harness: Harness) -> None:
    first = harness.provider.create_customer("user-1", "ada@example.com", "cus:user-1")
    again = harness.provider.create_customer("user-1", "ada@example.com", "cus:user-1")
    other = harness.provider.create_customer("user-2", None, "cus:user-2")

    assert first.startswith("cus_")
    assert again == first
    assert other != first


@pytest.mark.parametrize("mode", list(PaymentMode))
def test_a_payment_is_attached_to_its_customer(harness: Harness, mode: PaymentMode) -> None:
    customer = harness.provider.create_customer("user-1", None, "cus:user-1")
    order = make_order()
    if mode is PaymentMode.PAYMENT_INTENT:
        payment = harness.provider.create_payment_intent(order, "pi:k", customer_id=customer)
    else:
        payment = harness.provider.create_checkout_session(
            order, "cs:k", SUCCESS_URL, CANCEL_URL, customer_id=customer
        )
    guest = create(harness, mode, make_order(), "guest-key")

    assert harness.customer_of(payment.id) == customer
    assert harness.customer_of(guest) is None

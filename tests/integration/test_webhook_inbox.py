"""Issue 5 end to end: Stripe's signed deliveries through ``POST /billing/webhooks/stripe/``.

The real app (``create_app``) with the Stripe provider, on a SQLite file and on a private
PostgreSQL schema. Orders are made by the checkout service against the emulated Stripe API;
events are Stripe's example objects carrying those orders' ids, signed by stripe-python.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

import pytest
from dependency_injector import providers
from tests.contract.stripe_emulator import stripe_fixture
from tests.integration.webhook_inbox_app import (
    ADMIN,
    BUYER,
    QUIET_HTTPX,
    TOTAL,
    Event,
    Inbox,
    metric,
)

from billing.domain.errors import OrderNotFound
from billing.domain.events import DomainEvent
from billing.domain.order import Order
from billing.domain.outbox import Job
from billing.domain.refund import RefundOrigin
from billing.domain.refund_status import RefundStatus
from billing.domain.state import OrderStatus
from billing.domain.webhook import SETTLED, WebhookStatus
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.services.reactions import Reactions

pytestmark = pytest.mark.filterwarnings(QUIET_HTTPX)

EVENTS = ("paid", "partial_refund", "full_refund", "stale_failure")
PERMUTATIONS = list(itertools.permutations(EVENTS))
#: PostgreSQL runs a few arrival orders: in order, reversed, refunds first, failure last.
POSTGRES_PERMUTATIONS = [PERMUTATIONS[i] for i in (0, 23, 17, 6)]


def _transitions(order: Order) -> list[OrderStatus]:
    return [t.to_status for t in order.transitions]


# -- arrival order -----------------------------------------------------------------------------


def _event_set(inbox: Inbox) -> tuple[str, str, dict[str, Event]]:
    """One order's events as Stripe would send them: a declined attempt, the payment, a
    dashboard refund of 30.00 and then the rest (``charge.refunded`` lists both refunds)."""
    order_id, payment_id = inbox.checkout()
    stale = inbox.payment_failed(payment_id)
    paid = inbox.payment_succeeded(payment_id)
    partial = inbox.dashboard_refund(payment_id, 3000, "re_inbox_partial")
    rest = inbox.dashboard_refund(payment_id, 7000, "re_inbox_rest")
    return (
        order_id,
        payment_id,
        {
            "paid": paid,
            "partial_refund": inbox.event("refund.created", partial),
            "full_refund": inbox.charge_refunded(payment_id, [partial, rest]),
            "stale_failure": stale,
        },
    )


CASES = [pytest.param("sqlite", p, id="sqlite-" + "-".join(p)) for p in PERMUTATIONS] + [
    pytest.param("postgres", p, id="postgres-" + "-".join(p)) for p in POSTGRES_PERMUTATIONS
]


@pytest.mark.parametrize(("inbox", "arrival"), CASES, indirect=["inbox"])
def test_every_arrival_order_converges_to_the_same_state_and_refunds(
    inbox: Inbox, arrival: tuple[str, ...]
) -> None:
    order_id, payment_id, events = _event_set(inbox)

    answers = []
    for name in arrival:
        answers.append(inbox.deliver(events[name]))
        answers.append(inbox.deliver(events[name]))  # at least once: every event twice

    assert [a.status_code for a in answers] == [200] * 8
    order = inbox.order(order_id)
    assert (order.status, order.amount_paid, order.amount_refunded) == (
        OrderStatus.REFUNDED,
        TOTAL,
        TOTAL,
    )
    assert order.provider_payment_id == payment_id
    refunds = inbox.refunds(order_id)
    assert sorted((r.provider_refund_id, r.amount, r.status, r.origin) for r in refunds) == [
        ("re_inbox_partial", 3000, RefundStatus.SUCCEEDED, RefundOrigin.PROVIDER),
        ("re_inbox_rest", 7000, RefundStatus.SUCCEEDED, RefundOrigin.PROVIDER),
    ]
    journal = {name: inbox.webhook_event(event["id"]) for name, event in events.items()}
    assert all(e.status in SETTLED for e in journal.values())
    assert all(e.order_id == order_id for e in journal.values())
    assert sorted(d.number for d in inbox.documents(order_id)) == [
        "CN-2026-000001",
        "CN-2026-000002",
        "INV-2026-000001",
    ]
    entitlements = inbox.entitlements(order_id)
    assert sorted(e.key for e in entitlements) == ["course:stripe", "library:book"]
    assert not any(e.active for e in entitlements)
    visited = _transitions(order)
    assert visited.count(OrderStatus.PAID) == 1
    assert visited[-1] is OrderStatus.REFUNDED


# -- events we cannot apply ---------------------------------------------------------------------


def test_an_event_for_a_payment_made_by_another_system_is_ignored(inbox: Inbox) -> None:
    order_id, _ = inbox.checkout()
    foreign = stripe_fixture(
        "payment_intent",
        id="pi_made_elsewhere",
        amount=TOTAL,
        amount_received=TOTAL,
        currency="eur",
        status="succeeded",
        metadata={},  # no order of ours
    )
    event = inbox.event("payment_intent.succeeded", foreign)

    first = inbox.deliver(event)
    again = inbox.deliver(event)

    assert (first.status_code, first.json["outcome"], first.json["code"]) == (
        200,
        "ignored",
        "unknown_payment",
    )
    assert (again.status_code, again.json["outcome"]) == (200, "duplicate")
    stored = inbox.webhook_event(event["id"])
    assert (stored.status, stored.attempts, stored.order_id) == (WebhookStatus.IGNORED, 1, None)
    assert inbox.order(order_id).status is OrderStatus.PENDING_PAYMENT


def test_an_event_for_an_order_not_committed_yet_is_kept_and_applied_when_retried(
    inbox: Inbox,
) -> None:
    # A checkout whose PaymentIntent is paid before its order is visible here: the order id
    # comes from the request key, the PaymentIntent is the emulator's first object.
    key = "7c2e9f41-3b6d-4a8e-b5c0-2d4f6a8b0c1e"  # a guest's key: a UUID4
    order_id = inbox.container.order_tokens().order_id_for(f"guest:{BUYER}", key)
    intent = stripe_fixture(
        "payment_intent",
        id="pi_emu000001",
        amount=TOTAL,
        amount_received=TOTAL,
        currency="eur",
        status="succeeded",
        metadata={"order_id": order_id},
    )
    event = inbox.event("payment_intent.succeeded", intent)

    early = inbox.deliver(event)

    assert early.status_code == 503
    assert (early.json["outcome"], early.json["code"], early.json["retryable"]) == (
        "parked",
        "order_not_found",
        True,
    )
    kept = inbox.webhook_event(event["id"])
    assert (kept.status, kept.attempts, kept.order_id) == (WebhookStatus.PARKED, 1, order_id)
    assert str(kept.last_error).startswith("order_not_found: ")
    with pytest.raises(OrderNotFound):
        inbox.order(order_id)

    assert inbox.checkout(request_key=key) == (order_id, "pi_emu000001")
    assert inbox.order(order_id).status is OrderStatus.PENDING_PAYMENT
    inbox.clock.advance(minutes=5)  # Stripe's retry
    retried = inbox.deliver(event)

    assert (retried.status_code, retried.json["outcome"]) == (200, "processed")
    assert inbox.order(order_id).status is OrderStatus.PAID
    settled = inbox.webhook_event(event["id"])
    assert (settled.status, settled.attempts, settled.last_error) == (
        WebhookStatus.PROCESSED,
        2,
        None,
    )
    assert [d.number for d in inbox.documents(order_id)] == ["INV-2026-000001"]


# -- failures ------------------------------------------------------------------------------------


class CrashingReactions(Reactions):
    """Grants the entitlements and numbers the invoice, then crashes: inside the transaction."""

    def apply(self, uow: UnitOfWork, order: Order, events: Iterable[DomainEvent]) -> list[Job]:
        jobs = super().apply(uow, order, events)
        if jobs:
            raise RuntimeError("injected crash after the invoice was numbered")
        return jobs


def test_a_crash_mid_transaction_applies_nothing_and_replay_then_succeeds(inbox: Inbox) -> None:
    order_id, payment_id = inbox.checkout()
    before = inbox.order(order_id)
    event = inbox.payment_succeeded(payment_id)
    container = inbox.container
    container.reactions.override(
        providers.Singleton(CrashingReactions, container.entitlements, container.invoices)
    )
    container.webhooks.reset()
    try:
        crashed = inbox.deliver(event)
    finally:
        container.reactions.reset_override()
        container.webhooks.reset()

    assert crashed.status_code == 500
    failed = inbox.webhook_event(event["id"])
    assert (failed.status, failed.attempts) == (WebhookStatus.FAILED, 1)
    assert failed.last_error == "internal_error: injected crash after the invoice was numbered"
    after = inbox.order(order_id)
    assert (after.status, after.amount_paid, after.transitions) == (
        OrderStatus.PENDING_PAYMENT,
        0,
        before.transitions,
    )
    assert inbox.all_documents() == []
    assert inbox.entitlements(order_id) == []

    replayed = inbox.client.post(f"/billing/admin/webhooks/{event['id']}/replay", headers=ADMIN)

    assert replayed.status_code == 200
    assert (replayed.json["outcome"], replayed.json["order_id"]) == ("processed", order_id)
    assert inbox.order(order_id).status is OrderStatus.PAID
    assert [d.number for d in inbox.all_documents()] == ["INV-2026-000001"]  # no gap
    assert len(inbox.entitlements(order_id)) == 2
    settled = inbox.webhook_event(event["id"])
    assert (settled.status, settled.attempts, settled.last_error) == (
        WebhookStatus.PROCESSED,
        2,
        None,
    )
    assert inbox.deliver(event).json["outcome"] == "duplicate"


@pytest.mark.parametrize(
    ("amount", "currency"), [(TOTAL - 1, "eur"), (TOTAL, "usd")], ids=["amount", "currency"]
)
def test_a_payment_that_does_not_match_the_order_fails_and_is_counted(
    inbox: Inbox, amount: int, currency: str
) -> None:
    order_id, payment_id = inbox.checkout()
    before = inbox.order(order_id)
    intent = inbox.stripe.complete(payment_id)
    intent.update(amount=amount, amount_received=amount, currency=currency)
    event = inbox.event("payment_intent.succeeded", intent)

    answer = inbox.deliver(event)

    # 200: Stripe's retries could only fail again; the journal and health keep it in sight.
    assert answer.status_code == 200
    assert (answer.json["outcome"], answer.json["code"]) == ("failed", "amount_mismatch")
    assert answer.json["retryable"] is False
    failed = inbox.webhook_event(event["id"])
    assert failed.status is WebhookStatus.FAILED
    assert str(failed.last_error).startswith("amount_mismatch: ")
    after = inbox.order(order_id)
    assert (after.status, after.amount_paid, after.transitions) == (
        before.status,
        0,
        before.transitions,
    )
    assert inbox.all_documents() == []
    exposition = inbox.client.get("/billing/metrics").get_data(as_text=True)
    processed = "billing_webhook_processed_total"
    assert metric(exposition, processed, outcome="failed", code="amount_mismatch") == 1
    assert metric(exposition, processed, type="payment_intent.succeeded", outcome="failed") == 1
    assert metric(exposition, "billing_webhook_backlog", status="failed") == 1


class _Wrapping:
    """A unit-of-work factory around another one: its status reads go to the wrapped one."""

    def __init__(self, factory: UnitOfWorkFactory) -> None:
        self._factory = factory

    def journaled_status(self, event_id: str) -> WebhookStatus | None:
        return self._factory.journaled_status(event_id)

    def remembered_status(self, event_id: str) -> WebhookStatus | None:
        return self._factory.remembered_status(event_id)


class LetsAnotherDeliveryIn(_Wrapping):
    """A unit-of-work factory that runs ``meanwhile`` once, before the ``at``-th unit of work:
    another delivery getting in between two transactions of this one."""

    def __init__(self, factory: UnitOfWorkFactory, at: int, meanwhile: Callable[[], None]) -> None:
        super().__init__(factory)
        self._at, self._meanwhile = at, meanwhile
        self._calls = 0

    def __call__(self) -> UnitOfWork:
        self._calls += 1
        if self._calls == self._at:
            self._meanwhile()
        return self._factory()


def test_a_failure_does_not_overwrite_what_another_delivery_applied_meanwhile(
    inbox: Inbox,
) -> None:
    # Delivery A finds no order and rolls back; before A journals that failure, the order is
    # committed and a retry (delivery B) applies the event. A's failure must not undo B's record.
    key = "0cgVLbMjXPbFHT5D2I0sVQ"  # a guest's key: secrets.token_urlsafe(16)
    order_id = inbox.container.order_tokens().order_id_for(f"guest:{BUYER}", key)
    intent = stripe_fixture(
        "payment_intent",
        id="pi_emu000001",
        amount=TOTAL,
        amount_received=TOTAL,
        currency="eur",
        status="succeeded",
        metadata={"order_id": order_id},
    )
    event = inbox.event("payment_intent.succeeded", intent)
    outcomes: list[str] = []

    def checkout_then_retry() -> None:
        inbox.checkout(request_key=key)
        outcomes.append(inbox.deliver(event, inbox.app.test_client()).json["outcome"])

    container = inbox.container
    racing = LetsAnotherDeliveryIn(inbox.uow_factory, 2, checkout_then_retry)
    container.uow_factory.override(providers.Object(racing))
    container.webhooks.reset()
    try:
        first = inbox.deliver(event)
    finally:
        container.uow_factory.reset_override()
        container.webhooks.reset()

    assert outcomes == ["processed"]
    assert (first.status_code, first.json["code"]) == (503, "order_not_found")
    stored = inbox.webhook_event(event["id"])
    assert (stored.status, stored.attempts, stored.last_error) == (
        WebhookStatus.PROCESSED,
        1,
        None,
    )
    assert inbox.order(order_id).status is OrderStatus.PAID
    assert inbox.deliver(event).json["outcome"] == "duplicate"


class CountsStatusReads(_Wrapping):
    """A unit-of-work factory that counts its transactions and the status reads made outside
    any transaction."""

    reads = 0
    transactions = 0

    def __call__(self) -> UnitOfWork:
        self.transactions += 1
        return self._factory()

    def journaled_status(self, event_id: str) -> WebhookStatus | None:
        self.reads += 1
        return super().journaled_status(event_id)


def test_a_new_event_is_applied_without_a_status_read_and_a_storm_costs_one(
    inbox: Inbox,
) -> None:
    # A new event goes straight to its journaled, claimed transaction (the read before it was
    # a round trip, and a pool checkout, wasted on every new event). The first redelivery of a
    # settled event is found in its transaction, then read once; the next ones need nothing.
    _, payment_id = inbox.checkout()
    event = inbox.payment_succeeded(payment_id)
    counting = CountsStatusReads(inbox.uow_factory)
    container = inbox.container
    container.uow_factory.override(providers.Object(counting))
    container.webhooks.reset()
    try:
        first = inbox.deliver(event)
        reads_after_first = counting.reads
        second = inbox.deliver(event)
        reads_after_second, transactions = counting.reads, counting.transactions
        storm = [inbox.deliver(event).json["outcome"] for _ in range(5)]
    finally:
        container.uow_factory.reset_override()
        container.webhooks.reset()

    assert first.json["outcome"] == "processed"
    assert reads_after_first == 0
    assert second.json["outcome"] == "duplicate"
    assert reads_after_second == 1
    assert storm == ["duplicate"] * 5
    assert (counting.reads, counting.transactions) == (1, transactions)
    stored = inbox.webhook_event(event["id"])
    assert (stored.status, stored.attempts) == (WebhookStatus.PROCESSED, 1)

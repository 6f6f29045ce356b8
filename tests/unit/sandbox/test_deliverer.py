"""The deliverer POSTs each stored event, signed, until a 2xx; retries back off exponentially,
and an event no attempt got through stays pending until a later run delivers it."""

from __future__ import annotations

import json
import random
import threading
import time

import httpx
import pytest

from billing.adapters.memory import FixedClock
from billing.adapters.sandbox import (
    DeliveryFailed,
    DeliveryPolicy,
    MemorySandboxStore,
    Rehearsal,
    SandboxPaymentProvider,
    SandboxStore,
    WebhookDeliverer,
    WebhookSigner,
    cards,
)
from billing.adapters.stripe import StripeConfig, StripePaymentProvider
from tests.contract.provider_objects import make_order

from .conftest import WEBHOOK_SECRET, RecordingTasks

URL = "http://127.0.0.1:8000/billing/webhooks/stripe/"


class Endpoint:
    """A webhook endpoint that answers the statuses it is given, then 200, and verifies every
    request with the Stripe adapter."""

    def __init__(self, clock: FixedClock, statuses: list[int | Exception] | None = None) -> None:
        self.answers = list(statuses or [])
        self.received: list[str] = []
        self._stripe = StripePaymentProvider(
            StripeConfig("sk_test_endpoint", webhook_secrets=WEBHOOK_SECRET), clock
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        event = self._stripe.parse_webhook(request.content, request.headers["Stripe-Signature"])
        assert request.headers["Content-Type"].startswith("application/json")
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        if answer < 300:
            self.received.append(event.id)
        return httpx.Response(answer, json={"received": event.id})


def deliverer(
    store: SandboxStore,
    clock: FixedClock,
    endpoint: Endpoint,
    sleeps: list[float],
    **options: object,
) -> WebhookDeliverer:
    return WebhookDeliverer(
        store,
        WebhookSigner(WEBHOOK_SECRET, clock),
        URL,
        clock,
        client=httpx.Client(transport=httpx.MockTransport(endpoint)),
        sleep=sleeps.append,
        **options,  # type: ignore[arg-type]
    )


def paid(provider: SandboxPaymentProvider, tasks: RecordingTasks) -> str:
    payment_id = provider.create_payment_intent(make_order(), "pi:k1").id
    provider.pay(payment_id, cards.SUCCEEDS)
    return tasks.event_ids[-1]


def test_an_event_is_retried_with_exponential_backoff_until_a_2xx(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)
    endpoint = Endpoint(clock, [500, 503, httpx.ConnectError("refused"), 400])
    sleeps: list[float] = []

    delivered = deliverer(store, clock, endpoint, sleeps).deliver(event_id)

    assert endpoint.received == [event_id]
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
    assert delivered.delivered_at == clock.now()
    assert delivered.attempts == 5
    assert provider.undelivered_events() == []


def test_a_delivered_event_is_not_sent_again(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)
    endpoint = Endpoint(clock)
    sender = deliverer(store, clock, endpoint, [])

    sender.deliver(event_id)
    sender.deliver(event_id)

    assert endpoint.received == [event_id]


def test_an_event_no_attempt_got_through_stays_pending_until_a_later_run(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)
    endpoint = Endpoint(clock, [500, 500, 500])
    sleeps: list[float] = []
    sender = deliverer(store, clock, endpoint, sleeps, policy=DeliveryPolicy(attempts=3, base=1))

    with pytest.raises(DeliveryFailed):
        sender.deliver(event_id)

    [pending] = provider.undelivered_events()
    assert (pending.id, pending.attempts) == (event_id, 3)
    assert pending.last_error is not None
    assert pending.last_error.startswith("HTTP 500")
    assert sleeps == [1.0, 2.0]
    assert endpoint.received == []

    assert sender.deliver_pending() == []
    assert endpoint.received == [event_id]
    assert provider.undelivered_events() == []


def test_pending_events_are_delivered_oldest_first(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    session_id = provider.create_checkout_session(
        make_order(), "cs:k1", "https://s.example/ok", "https://s.example/no"
    ).id
    provider.pay(session_id, cards.SUCCEEDS)
    endpoint = Endpoint(clock)

    deliverer(store, clock, endpoint, []).deliver_pending()

    assert endpoint.received == tasks.event_ids
    assert len(endpoint.received) == 2


def test_the_task_handler_delivers_the_event_it_names(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)
    endpoint = Endpoint(clock)
    [(task, params)] = tasks.deferred

    deliverer(store, clock, endpoint, []).handle(params)

    assert task == "sandbox_deliver_event"
    assert endpoint.received == [event_id]


def test_rehearsal_duplicates_every_delivery(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)
    endpoint = Endpoint(clock)

    deliverer(store, clock, endpoint, [], rehearsal=Rehearsal(duplicate=True)).deliver(event_id)

    assert endpoint.received == [event_id, event_id]


def test_rehearsal_drops_a_share_of_attempts_and_retries_them(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)
    endpoint = Endpoint(clock)
    draws = iter([0.1, 0.2, 0.9])  # the first two attempts fall under 30 %
    sleeps: list[float] = []

    delivered = deliverer(
        store,
        clock,
        endpoint,
        sleeps,
        rehearsal=Rehearsal(failure_rate=0.3),
        chance=lambda: next(draws),
    ).deliver(event_id)

    assert endpoint.received == [event_id]
    assert (delivered.attempts, sleeps) == (3, [0.5, 1.0])


def test_every_attempt_is_signed_afresh(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)
    headers: list[str] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers["Stripe-Signature"])
        assert json.loads(request.content)["id"] == event_id
        clock.advance(seconds=30)
        return httpx.Response(500 if len(headers) == 1 else 204)

    WebhookDeliverer(
        store,
        WebhookSigner(WEBHOOK_SECRET, clock),
        URL,
        clock,
        client=httpx.Client(transport=httpx.MockTransport(endpoint)),
        sleep=lambda _: None,
    ).deliver(event_id)

    assert len(headers) == 2
    assert headers[0] != headers[1]
    assert headers[1].startswith(f"t={int(clock.now().timestamp()) - 30},v1=")


def test_rehearsal_shuffles_the_waiting_deliveries(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    for number in range(6):
        payment_id = provider.create_payment_intent(make_order(key=f"k{number}"), f"pi:{number}").id
        provider.pay(payment_id, cards.SUCCEEDS)
    endpoint = Endpoint(clock)
    expected = list(tasks.event_ids)
    random.Random(7).shuffle(expected)  # the permutation the deliverer's generator will draw

    shuffled = deliverer(
        store, clock, endpoint, [], rehearsal=Rehearsal(shuffle=True), rng=random.Random(7)
    )
    left = shuffled.deliver_pending()

    assert left == []
    assert endpoint.received == expected
    assert expected != tasks.event_ids
    assert provider.undelivered_events() == []


def test_without_shuffling_the_order_is_kept() -> None:
    sender = WebhookDeliverer(
        MemorySandboxStore(), WebhookSigner(WEBHOOK_SECRET, FixedClock()), URL, FixedClock()
    )

    assert sender.arrange([3, 1, 2]) == [3, 1, 2]
    assert not sender.rehearsal.shuffle


def test_rehearsal_holds_each_delivery_back_a_random_time(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)
    endpoint = Endpoint(clock, [500])
    sleeps: list[float] = []
    sender = deliverer(
        store, clock, endpoint, sleeps, rehearsal=Rehearsal(max_delay=2.0), rng=random.Random(3)
    )

    sender.deliver(event_id)
    sender.deliver(event_id)  # delivered already: neither held back nor sent

    assert sleeps == [random.Random(3).uniform(0.0, 2.0), 0.5]  # the hold, then the backoff
    assert endpoint.received == [event_id]


def test_a_sweep_runs_until_stopped_and_delivers_what_is_pending(
    provider: SandboxPaymentProvider,
    tasks: RecordingTasks,
    store: SandboxStore,
    clock: FixedClock,
) -> None:
    event_id = paid(provider, tasks)  # its task was never run: only a sweep can send it
    endpoint = Endpoint(clock)
    sender = deliverer(store, clock, endpoint, [])
    stop = threading.Event()
    sweeping = threading.Thread(target=sender.sweep_forever, args=(stop, 0.01))

    sweeping.start()
    deadline = time.monotonic() + 10
    while provider.undelivered_events() and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    sweeping.join(timeout=5)

    assert not sweeping.is_alive()
    assert endpoint.received == [event_id]
    assert provider.undelivered_events() == []

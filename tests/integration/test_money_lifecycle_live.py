"""Disputes and double captures on the live app, on SQLite and PostgreSQL, as Stripe meets them.

The app with the Stripe provider (``webhook_inbox_app``): orders made by the real checkout
against the emulated Stripe API, events built from Stripe's example objects and signed by
stripe-python. Disputes go both ways and arrive in any order; a second capture ends refunded
exactly once, however its events are duplicated, reordered or raced; operators see open disputes
in the metrics and on the command line, failed events with ``billing webhooks list``.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from tests.contract.stripe_emulator import stripe_fixture
from tests.integration.webhook_inbox_app import (
    QUIET_HTTPX,
    TOTAL,
    Event,
    Inbox,
    metric,
    postgres_inbox,
    sqlite_inbox,
)

from billing.domain.invoice import DocumentKind
from billing.domain.state import OrderStatus
from billing.entrypoints.cli import main

pytestmark = pytest.mark.filterwarnings(QUIET_HTTPX)

STEPS = {
    "lost": (
        ("charge.dispute.created", "needs_response"),
        ("charge.dispute.funds_withdrawn", "needs_response"),
        ("charge.dispute.updated", "under_review"),
        ("charge.dispute.closed", "lost"),
    ),
    "won": (
        ("charge.dispute.created", "needs_response"),
        ("charge.dispute.funds_withdrawn", "needs_response"),
        ("charge.dispute.closed", "won"),
        ("charge.dispute.funds_reinstated", "won"),
    ),
}


def _paid(inbox: Inbox, email: str = "buyer@example.com") -> tuple[str, str]:
    order_id, payment_id = inbox.checkout(email=email)
    answer = inbox.deliver(inbox.payment_succeeded(payment_id))
    assert (answer.status_code, answer.json["outcome"]) == (200, "processed")  # type: ignore[index]
    return order_id, payment_id


def _dispute_events(inbox: Inbox, payment_id: str, outcome: str, dispute_id: str) -> list[Event]:
    due = int((inbox.clock.now() + timedelta(days=7)).timestamp())
    events = []
    for type_, status in STEPS[outcome]:
        dispute = stripe_fixture(
            "dispute",
            id=dispute_id,
            payment_intent=payment_id,
            charge=f"ch_{payment_id}",
            amount=TOTAL,
            currency="eur",
            status=status,
            reason="fraudulent",
            created=int(inbox.clock.now().timestamp()),
        )
        dispute["evidence_details"]["due_by"] = due
        events.append(inbox.event(type_, dispute))
    return events


def _state(inbox: Inbox, order_id: str) -> tuple[object, ...]:
    order = inbox.order(order_id)
    with inbox.uow_factory() as uow:
        disputes = [(d.status, d.amount) for d in uow.disputes.list_for_order(order_id)]
    active = sorted(e.key for e in inbox.entitlements(order_id) if e.active)
    kinds = sorted(str(d.kind) for d in inbox.documents(order_id))
    amounts = (order.amount_paid, order.amount_refunded, order.amount_disputed_lost)
    return order.status, order.disputed, amounts, disputes, active, kinds


@pytest.mark.parametrize("outcome", ["lost", "won"])
def test_a_dispute_in_any_order_and_twice_ends_the_same_on_the_live_app(
    inbox: Inbox, outcome: str
) -> None:
    results = []
    arrivals = [(0, 1, 2, 3), (3, 2, 1, 0), (3, 0, 2, 1)]
    for n, arrival in enumerate(arrivals):
        order_id, payment_id = _paid(inbox, f"buyer{n}@example.com")
        events = _dispute_events(inbox, payment_id, outcome, f"dp_live_{n}")
        answers = [inbox.deliver(events[i]).status_code for i in arrival for _ in range(2)]
        assert answers == [200] * 8
        results.append(_state(inbox, order_id))

    assert results[0] == results[1] == results[2]
    status, disputed, amounts, disputes, active, kinds = results[0]
    assert (status, disputed, disputes) == (OrderStatus.PAID, False, [(outcome, TOTAL)])
    if outcome == "lost":
        assert (amounts, active) == ((TOTAL, 0, TOTAL), [])
        assert kinds == ["credit_note", "invoice"]
        numbers = sorted(
            d.number for d in inbox.all_documents() if d.kind is DocumentKind.CREDIT_NOTE
        )
        assert numbers == ["CN-2026-000001", "CN-2026-000002", "CN-2026-000003"]
    else:
        assert (amounts, active) == ((TOTAL, 0, 0), ["course:stripe", "library:book"])
        assert kinds == ["invoice"]


@pytest.fixture
def sqlite_only(tmp_path: Path, sqlite_template: Path) -> Iterator[Inbox]:
    """The command line builds its container from the environment: a SQLite file it shares."""
    with sqlite_inbox(tmp_path, sqlite_template) as made:
        yield made


@pytest.fixture
def postgres_only(postgres_url: str, postgres_engine: Engine) -> Iterator[Inbox]:
    """Deliveries racing each other: PostgreSQL's row locks (SQLite has one writer at a time)."""
    with postgres_inbox(postgres_url, postgres_engine) as made:
        yield made


def test_open_disputes_are_a_gauge_and_a_command_with_their_due_dates(
    sqlite_only: Inbox, tmp_path: Path
) -> None:
    inbox = sqlite_only
    _, first = _paid(inbox, "first@example.com")
    closed_order, second = _paid(inbox, "second@example.com")
    opened = _dispute_events(inbox, first, "lost", "dp_open")[0]
    assert inbox.deliver(opened).status_code == 200
    inbox.clock.advance(hours=1)  # its evidence is due an hour after the first's
    for event in _dispute_events(inbox, second, "won", "dp_won"):
        assert inbox.deliver(event).status_code == 200
    env = inbox.cli_environment(tmp_path / "media")

    exposition = inbox.client.get("/billing/metrics").get_data(as_text=True)
    listed = CliRunner().invoke(main, ["disputes", "list", "--open"], env=env)
    everything = CliRunner().invoke(main, ["disputes", "list"], env=env)

    assert metric(exposition, "billing_disputes_open") == 1
    assert metric(exposition, "billing_dispute_total", state="opened") == 2
    assert metric(exposition, "billing_dispute_total", state="won") == 1
    assert listed.exit_code == 0, listed.output
    [line, total] = listed.output.splitlines()
    fields = line.split("\t")
    due = (inbox.clock.now() - timedelta(hours=1) + timedelta(days=7)).replace(microsecond=0)
    assert fields[:6] == [
        "dp_open",
        fields[1],
        "needs_response",
        "100.00 EUR",
        "fraudulent",
        due.isoformat(),
    ]
    assert total == "1 dispute(s) open"
    assert [row.split("\t")[0] for row in everything.output.splitlines()[:-1]] == [
        "dp_open",
        "dp_won",
    ]
    assert inbox.order(closed_order).disputed is False


def _second_intent(inbox: Inbox, order_id: str, key: str) -> str:
    """Another PaymentIntent of the order, made by the adapter (a retry past the 24 hours)."""
    order = inbox.order(order_id)
    return inbox.container.payment_provider().create_payment_intent(order, key).id


def _refund_keys(inbox: Inbox) -> list[str]:
    return [
        call.request.headers.get("Idempotency-Key", "")
        for call in inbox.router.calls
        if call.request.method == "POST" and call.request.url.path == "/v1/refunds"
    ]


@pytest.mark.parametrize("arrival", list(itertools.permutations(range(3))), ids=str)
def test_a_double_capture_ends_refunded_exactly_once(
    inbox: Inbox, arrival: tuple[int, ...]
) -> None:
    order_id, first = inbox.checkout()
    second = _second_intent(inbox, order_id, "pi:retried-after-a-day")
    paid_first = inbox.payment_succeeded(first)
    paid_second = inbox.payment_succeeded(second)
    second_again = copy.deepcopy(paid_second)
    second_again["id"] = f"{paid_second['id']}_again"
    events = [paid_first, paid_second, second_again]

    answers = [inbox.deliver(events[i]).status_code for i in arrival for _ in range(2)]

    assert answers == [200] * 6
    order = inbox.order(order_id)
    assert (order.status, order.amount_paid, order.amount_refunded) == (OrderStatus.PAID, TOTAL, 0)
    extra = first if order.provider_payment_id == second else second
    assert _refund_keys(inbox) == [f"re:dup:{extra}"]
    [given_back] = inbox.stripe.refunds.values()
    assert (given_back["payment_intent"], given_back["amount"]) == (extra, TOTAL)
    [refund] = inbox.refunds(order_id)
    assert (refund.extra_payment_id, str(refund.status)) == (extra, "succeeded")
    assert [d.kind for d in inbox.documents(order_id)] == [DocumentKind.INVOICE]


def test_racing_deliveries_of_a_second_capture_refund_it_once(postgres_only: Inbox) -> None:
    inbox = postgres_only
    order_id, first = _paid(inbox)
    second = _second_intent(inbox, order_id, "pi:raced")
    event = inbox.payment_succeeded(second)
    copies: list[Event] = []
    for n in range(8):  # the same payment, reported by eight events at once
        made = copy.deepcopy(event)
        made["id"] = f"{event['id']}_{n}"
        copies.append(made)
    inbox.container.webhooks()
    start = threading.Barrier(len(copies))

    def deliver(made: Event) -> int:
        client = inbox.app.test_client()
        start.wait()
        return inbox.deliver(made, client).status_code

    with ThreadPoolExecutor(len(copies)) as pool:
        answers = list(pool.map(deliver, copies))

    assert answers == [200] * len(copies)
    assert _refund_keys(inbox) == [f"re:dup:{second}"]
    with inbox.uow_factory() as uow:
        [capture] = uow.duplicate_captures.list_for_order(order_id)
    assert capture.payment_id == second
    assert len(inbox.stripe.refunds) == 1
    assert inbox.order(order_id).provider_payment_id == first


def test_a_mismatch_is_listed_failed_and_the_command_line_replays_it_once_corrected(
    sqlite_only: Inbox, tmp_path: Path
) -> None:
    inbox = sqlite_only
    order_id, payment_id = inbox.checkout()
    mismatched = inbox.payment_succeeded(payment_id, amount=TOTAL + 100)
    answer = inbox.deliver(mismatched)
    env = inbox.cli_environment(tmp_path / "media")
    runner = CliRunner()

    failed = runner.invoke(main, ["webhooks", "list", "--status", "failed"], env=env)
    degraded = inbox.client.get("/billing/health/")
    with inbox.uow_factory() as uow:  # the operator corrects the order's price
        order = uow.lock_order(order_id)
        first, *rest = order.items
        order.items = (attrs.evolve(first, unit_amount=first.unit_amount + 100), *rest)
        uow.orders.save(order)
        uow.commit()
    replayed = runner.invoke(main, ["webhooks", "replay", mismatched["id"]], env=env)
    healthy = inbox.client.get("/billing/health/")

    assert (answer.status_code, answer.json["code"]) == (200, "amount_mismatch")  # type: ignore[index]
    [line, total] = failed.output.splitlines()
    assert line.split("\t")[:3] == [mismatched["id"], "payment_intent.succeeded", "failed"]
    assert "amount_mismatch" in line
    assert total == "1 event(s)"
    assert (degraded.status_code, degraded.json["status"]) == (503, "degraded")  # type: ignore[index]
    assert (replayed.exit_code, replayed.output) == (0, f"{mismatched['id']}\tprocessed\t-\n")
    paid = inbox.order(order_id)
    assert (paid.status, paid.amount_paid) == (OrderStatus.PAID, TOTAL + 100)
    assert (healthy.status_code, healthy.json["status"]) == (200, "ok")  # type: ignore[index]

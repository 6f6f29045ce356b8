"""Operating the webhook inbox: admin endpoints, ``billing webhooks``, metrics and log lines.

The real app with the Stripe provider on a SQLite file; the command line builds its own
container from the environment, on the same file, as an operator's shell would.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.contract.sql_backends import migrated_sqlite_template
from tests.contract.stripe_emulator import stripe_fixture
from tests.integration.webhook_inbox_app import (
    ADMIN,
    BUYER,
    QUIET_HTTPX,
    TOTAL,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    Event,
    Inbox,
    metric,
    sign,
    sqlite_inbox,
)

from billing.domain.state import OrderStatus
from billing.domain.webhook import WebhookStatus
from billing.entrypoints.cli import main
from billing.entrypoints.logging_json import configure_logging

pytestmark = pytest.mark.filterwarnings(QUIET_HTTPX)
CLI_KEY = "b293bb50-4bd8-40c1-9c22-756ed3bc3919"  # a guest's Idempotency-Key: a UUID4


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("webhook-inbox-ops"))


@pytest.fixture
def inbox(tmp_path: Path, sqlite_template: Path) -> Iterator[Inbox]:
    with sqlite_inbox(tmp_path, sqlite_template) as made:
        yield made


def _early_event(inbox: Inbox, type_: str, key: str, payment_id: str) -> tuple[Event, str]:
    """An event about ``payment_id`` for the order a checkout with request key ``key`` is about
    to make (the emulator numbers its objects pi_emu000001, pi_emu000002, …)."""
    order_id = inbox.container.order_tokens().order_id_for(f"guest:{BUYER}", key)
    intent = stripe_fixture(
        "payment_intent",
        id=payment_id,
        amount=TOTAL,
        currency="eur",
        status="requires_payment_method",
        metadata={"order_id": order_id},
        last_payment_error={"type": "card_error", "code": "card_declined"},
    )
    return inbox.event(type_, intent), order_id


def _mismatched_payment(inbox: Inbox) -> tuple[Event, str]:
    order_id, payment_id = inbox.checkout(email="other@example.com")
    return inbox.payment_succeeded(payment_id, amount=TOTAL + 100), order_id


# -- admin endpoints -----------------------------------------------------------------------------


def test_the_admin_endpoints_list_and_replay_the_journal_for_administrators_only(
    inbox: Inbox,
) -> None:
    order_id, payment_id = inbox.checkout()
    paid = inbox.payment_succeeded(payment_id)
    mismatched, _ = _mismatched_payment(inbox)
    assert inbox.deliver(paid).status_code == 200
    inbox.clock.advance(seconds=1)
    assert inbox.deliver(mismatched).status_code == 200  # failed for good: amount_mismatch

    anonymous = inbox.client.get("/billing/admin/webhooks")
    wrong = inbox.client.get("/billing/admin/webhooks", headers={"Authorization": "Bearer nope"})
    replay_anonymous = inbox.client.post(f"/billing/admin/webhooks/{mismatched['id']}/replay")
    failed = inbox.client.get("/billing/admin/webhooks?status=failed", headers=ADMIN)
    everything = inbox.client.get("/billing/admin/webhooks", headers=ADMIN)
    newest = inbox.client.get("/billing/admin/webhooks?limit=1", headers=ADMIN)
    bad_status = inbox.client.get("/billing/admin/webhooks?status=lost", headers=ADMIN)
    bad_limit = inbox.client.get("/billing/admin/webhooks?limit=0", headers=ADMIN)
    unknown = inbox.client.post("/billing/admin/webhooks/evt_unknown/replay", headers=ADMIN)
    settled = inbox.client.post(f"/billing/admin/webhooks/{paid['id']}/replay", headers=ADMIN)

    for refused in (anonymous, wrong, replay_anonymous):
        assert (refused.status_code, refused.json["code"]) == (403, "admin_required")
    assert inbox.webhook_event(mismatched["id"]).attempts == 1  # the refused replay ran nothing
    assert failed.status_code == 200
    [event] = failed.json["events"]
    assert event["id"] == mismatched["id"]
    assert (event["type"], event["status"], event["attempts"]) == (
        "payment_intent.succeeded",
        "failed",
        1,
    )
    assert event["last_error"].startswith("amount_mismatch: ")
    assert "payload" not in event
    assert [e["id"] for e in everything.json["events"]] == [mismatched["id"], paid["id"]]
    assert everything.json["events"][1]["order_id"] == order_id
    assert [e["id"] for e in newest.json["events"]] == [mismatched["id"]]
    assert (bad_status.status_code, bad_status.json["code"]) == (400, "invalid_input")
    assert (bad_limit.status_code, bad_limit.json["code"]) == (400, "invalid_input")
    assert (unknown.status_code, unknown.json["code"]) == (404, "webhook_event_not_found")
    assert (settled.status_code, settled.json["outcome"]) == (200, "duplicate")


# -- command line --------------------------------------------------------------------------------


def test_billing_webhooks_lists_and_replays_from_the_environment(
    inbox: Inbox, tmp_path: Path
) -> None:
    mismatched, _ = _mismatched_payment(inbox)  # the emulator's pi_emu000001
    early, order_id = _early_event(inbox, "payment_intent.payment_failed", CLI_KEY, "pi_emu000002")
    assert inbox.deliver(early).status_code == 503  # parked: its order is not ours yet
    assert inbox.deliver(mismatched).status_code == 200  # failed for good: amount_mismatch
    env = inbox.cli_environment(tmp_path / "media")
    runner = CliRunner()

    parked = runner.invoke(main, ["webhooks", "list", "--status", "parked"], env=env)
    listed = runner.invoke(main, ["webhooks", "list", "--limit", "1"], env=env)
    too_early = runner.invoke(main, ["webhooks", "replay", early["id"]], env=env)
    assert inbox.checkout(request_key=CLI_KEY) == (order_id, "pi_emu000002")
    replayed = runner.invoke(main, ["webhooks", "replay", early["id"]], env=env)
    again = runner.invoke(main, ["webhooks", "replay", early["id"]], env=env)
    still_failing = runner.invoke(main, ["webhooks", "replay", mismatched["id"]], env=env)
    unknown = runner.invoke(main, ["webhooks", "replay", "evt_unknown"], env=env)

    assert parked.exit_code == 0, parked.output
    [line, total] = parked.output.splitlines()
    assert line.split("\t")[:5] == [
        early["id"],
        "payment_intent.payment_failed",
        "parked",
        "1",
        order_id,
    ]
    assert "order_not_found" in line
    assert total == "1 event(s)"
    assert listed.output.splitlines()[-1] == "1 event(s)"
    assert (too_early.exit_code, too_early.output) == (
        1,
        f"{early['id']}\tparked\torder_not_found\n",
    )
    assert (replayed.exit_code, replayed.output) == (0, f"{early['id']}\tprocessed\t-\n")
    assert (again.exit_code, again.output) == (0, f"{early['id']}\tduplicate\t-\n")
    assert still_failing.exit_code == 1
    assert still_failing.output == f"{mismatched['id']}\tfailed\tamount_mismatch\n"
    assert unknown.exit_code == 1
    assert "no webhook event evt_unknown" in unknown.output
    assert inbox.webhook_event(early["id"]).status is WebhookStatus.PROCESSED
    assert inbox.order(order_id).status is OrderStatus.PENDING_PAYMENT  # a failure: still payable


# -- metrics and logs ----------------------------------------------------------------------------


def test_every_outcome_is_counted_timed_and_the_backlog_is_measured(inbox: Inbox) -> None:
    _, payment_id = inbox.checkout()
    paid = inbox.payment_succeeded(payment_id)
    early, _ = _early_event(inbox, "payment_intent.payment_failed", "metrics-key", "pi_emu000009")
    mismatched, _ = _mismatched_payment(inbox)
    unhandled = inbox.event("customer.created", stripe_fixture("charge", metadata={}))
    body = json.dumps(paid).encode()
    now = int(inbox.clock.now().timestamp())

    answers = [
        inbox.deliver(paid),
        inbox.deliver(paid),
        inbox.deliver(unhandled),
        inbox.deliver(early),
        inbox.deliver(mismatched),
        inbox.deliver(paid, timestamp=now - 301),  # replayed by an attacker: too old
        inbox.client.post(
            WEBHOOK_URL, data=body, headers={"Stripe-Signature": sign(body, now, "whsec_other")}
        ),
        inbox.client.post(WEBHOOK_URL, data=body),
    ]
    exposition = inbox.client.get("/billing/metrics").get_data(as_text=True)

    assert [a.status_code for a in answers] == [200, 200, 200, 503, 200, 400, 400, 400]
    processed = "billing_webhook_processed_total"
    expected = {
        "processed": 1,
        "duplicate": 1,
        "ignored": 1,
        "parked": 1,
        "failed": 1,
        "rejected": 3,
    }
    assert {o: metric(exposition, processed, outcome=o) for o in expected} == expected
    assert metric(exposition, processed, outcome="rejected", code="invalid_signature") == 3
    timed = "billing_webhook_processing_seconds_count"
    assert metric(exposition, timed, type="payment_intent.succeeded", outcome="processed") == 1
    assert metric(exposition, timed) == 5  # every journaled delivery, none of the rejected
    assert metric(exposition, "billing_webhook_processing_seconds_sum") > 0
    assert metric(exposition, "billing_webhook_backlog", status="failed") == 1
    assert metric(exposition, "billing_webhook_backlog", status="parked") == 1


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(stream)
    yield stream
    configure_logging()


def _event_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """The lines that say what became of a delivery (they carry its outcome)."""
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if "outcome" in line]


def test_each_delivery_writes_one_line_with_its_event_order_and_correlation_id(
    inbox: Inbox, log_stream: io.StringIO
) -> None:
    """A delivery applied or found a duplicate says so on its request's access line; one
    refused writes a warning of its own (the access line then only has the 400)."""
    order_id, payment_id = inbox.checkout()
    paid = inbox.payment_succeeded(payment_id)

    inbox.deliver(paid, headers={"X-Request-ID": "req-first"})
    inbox.deliver(paid, headers={"X-Request-ID": "req-again"})
    inbox.client.post(WEBHOOK_URL, data=b"{}", headers={"X-Request-ID": "req-forged"})

    lines = _event_lines(log_stream)
    assert [(line["correlation_id"], line["logger"], line["outcome"]) for line in lines] == [
        ("req-first", "billing.http", "processed"),
        ("req-again", "billing.http", "duplicate"),
        ("req-forged", "billing.services.webhooks", "rejected"),
    ]
    assert [(line["status"], line["path"]) for line in lines[:2]] == [(200, WEBHOOK_URL)] * 2
    first = lines[0]
    assert (first["event_id"], first["event_type"], first["order_id"]) == (
        paid["id"],
        "payment_intent.succeeded",
        order_id,
    )
    assert lines[1]["event_id"] == paid["id"]
    assert lines[2]["code"] == "invalid_signature"
    assert WEBHOOK_SECRET not in log_stream.getvalue()

"""The webhook journal entry: claim counts attempts, settle records the outcome."""

from __future__ import annotations

import pytest

from billing.domain.webhook import CLAIMABLE, SETTLED, WebhookEvent, WebhookStatus

from .builders import AT, LATER

W = WebhookStatus


def new_event() -> WebhookEvent:
    return WebhookEvent(id="evt_1", type="payment_intent.succeeded", payload="{}", received_at=AT)


def test_a_new_event_is_received_and_unattempted() -> None:
    event = new_event()
    assert event.status is W.RECEIVED
    assert event.attempts == 0
    assert event.processed_at is None
    assert event.last_error is None


def test_the_status_sets() -> None:
    assert {W.RECEIVED, W.FAILED, W.PARKED} == CLAIMABLE
    assert {W.PROCESSED, W.IGNORED} == SETTLED
    assert not CLAIMABLE & SETTLED
    assert W.PROCESSING not in CLAIMABLE | SETTLED


def test_claim_moves_to_processing_and_counts_the_attempt() -> None:
    event = new_event()
    event.claim()
    assert event.status is W.PROCESSING
    assert event.attempts == 1
    event.settle(W.FAILED, AT, error="provider_unavailable: timeout")
    event.claim()
    assert event.attempts == 2


@pytest.mark.parametrize("status", sorted(SETTLED))
def test_settling_as_done_records_the_time(status: WebhookStatus) -> None:
    event = new_event()
    event.claim()
    event.settle(status, LATER)
    assert event.status is status
    assert event.processed_at == LATER
    assert event.last_error is None


@pytest.mark.parametrize("status", [W.FAILED, W.PARKED])
def test_settling_as_not_done_keeps_the_error_and_no_time(status: WebhookStatus) -> None:
    event = new_event()
    event.claim()
    event.settle(status, LATER, error="order_not_found: ord-1")
    assert event.status is status
    assert event.status in CLAIMABLE
    assert event.processed_at is None
    assert event.last_error == "order_not_found: ord-1"


def test_a_retry_that_succeeds_clears_the_error() -> None:
    event = new_event()
    event.claim()
    event.settle(W.FAILED, AT, error="provider_unavailable")
    event.claim()
    event.settle(W.PROCESSED, LATER)
    assert event.status is W.PROCESSED
    assert event.last_error is None
    assert event.processed_at == LATER
    assert event.attempts == 2

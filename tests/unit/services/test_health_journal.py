"""Health's database check: the journal's counts reused for a few seconds, never while an
event is failed; the deferred jobs and the database's answer read on every probe."""

from __future__ import annotations

from billing.adapters.memory import MemoryUnitOfWorkFactory
from billing.adapters.memory.clock import FixedClock
from billing.domain.webhook import WebhookEvent, WebhookStatus
from billing.services.health import JOURNAL_FRESH_FOR, DatabaseCheck, JournalReading


def _journal(factory: MemoryUnitOfWorkFactory, clock: FixedClock, event_id: str) -> WebhookEvent:
    event = WebhookEvent(id=event_id, type="payment_intent.succeeded", payload="{}",
                         received_at=clock.now())  # fmt: skip
    with factory() as uow:
        uow.webhook_events.add_if_absent(event)
        uow.commit()
    return event


def _settle(factory: MemoryUnitOfWorkFactory, event: WebhookEvent, status: WebhookStatus) -> None:
    with factory() as uow:
        event.settle(status, event.received_at)
        uow.webhook_events.save(event)
        uow.commit()


def _read(check: DatabaseCheck) -> JournalReading:
    reading = check()
    assert reading is not None
    return reading


def test_the_journal_counts_are_reused_until_they_are_stale() -> None:
    factory, clock = MemoryUnitOfWorkFactory(), FixedClock()
    check = DatabaseCheck(factory, clock)
    try:
        _journal(factory, clock, "evt_1")
        first = _read(check)
        _journal(factory, clock, "evt_2")
        clock.advance(seconds=JOURNAL_FRESH_FOR.total_seconds() - 1)
        reused = _read(check)
        clock.advance(seconds=1)
        fresh = _read(check)
    finally:
        check.close()

    assert first.stats.by_status == {"received": 1}
    assert reused.stats == first.stats
    assert fresh.stats.by_status == {"received": 2}


def test_a_reading_with_a_failed_event_is_never_reused() -> None:
    factory, clock = MemoryUnitOfWorkFactory(), FixedClock()
    check = DatabaseCheck(factory, clock)
    try:
        event = _journal(factory, clock, "evt_failed")
        _settle(factory, event, WebhookStatus.FAILED)
        failed = _read(check)
        _settle(factory, event, WebhookStatus.PROCESSED)  # replayed by an operator
        replayed = _read(check)
    finally:
        check.close()

    assert failed.stats.by_status == {"failed": 1}
    assert replayed.stats.by_status == {"processed": 1}

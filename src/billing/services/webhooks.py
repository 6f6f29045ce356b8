"""Provider events, journaled and applied exactly once.

Each delivery runs in one transaction: journal the event and claim it (a new event is inserted
already claimed; on conflict of its id, the known one is claimed by an atomic status change
that only one delivery can win), lock the order, apply, and record the outcome. A duplicate
finds the event settled or held and changes nothing; the redelivery of an event this process
already found settled is answered before any transaction, from memory. An event that cannot
apply yet is parked, and re-run when its order moves; one whose order we do not know yet is
answered with a retryable error so the provider delivers it again.

An event whose amount or currency does not match its order (``amount_mismatch``) is journaled
``failed`` and answered as handled: delivering it again could only fail again (Stripe would
retry it for three days). It is counted, logged as an error, makes health ``degraded``, and an
administrator replays it once the cause is corrected.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from enum import StrEnum

import attrs

from billing.correlation import onto_request_line
from billing.domain.errors import (
    AmountMismatch,
    BillingError,
    InvalidPayload,
    OrderNotFound,
    WebhookEventNotFound,
)
from billing.domain.events import DomainEvent
from billing.domain.order import Order
from billing.domain.outbox import Job, OutboxJob
from billing.domain.payment import AttemptStatus
from billing.domain.provider_event import EventKind, ProviderEvent
from billing.domain.state import PAID_STATES, PAYABLE_STATES
from billing.domain.webhook import CLAIMABLE, SETTLED, WebhookEvent, WebhookStatus
from billing.ports.clock import Clock
from billing.ports.metrics import Metrics
from billing.ports.payments import PaymentProvider
from billing.ports.tasks import JobOutbox
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.retry import retry_on_conflict

from .dispute_ledger import DisputeLedger
from .duplicate_captures import DuplicateCaptures, is_own_payment
from .jobs import PROCESS_WEBHOOK_EVENT, RetryLater
from .reactions import Reactions
from .refund_ledger import RefundLedger

log = logging.getLogger(__name__)

PROCESSED_METRIC = "billing_webhook_processed_total"
DURATION_METRIC = "billing_webhook_processing_seconds"
#: The statuses of events that still need work: the webhook backlog.
BACKLOG: tuple[WebhookStatus, ...] = (WebhookStatus.FAILED, WebhookStatus.PARKED)
REJECTED = "rejected"


class Delivery(StrEnum):
    """What one delivery of an event came to: the event's journal status after it
    (``WebhookStatus``), or ``duplicate``: it changed nothing."""

    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"
    PARKED = "parked"
    DUPLICATE = "duplicate"

    @classmethod
    def after(cls, status: WebhookStatus) -> Delivery:
        return cls(status.value)


DUPLICATE = Delivery.DUPLICATE


@attrs.frozen
class WebhookOutcome:
    """What happened to one delivery. ``retryable``: answer with an error status so that the
    provider delivers the event again (failed, or waiting for an order we do not have yet)."""

    event_id: str
    outcome: Delivery
    order_id: str | None = None
    code: str | None = None
    retryable: bool = False


@attrs.frozen
class _Applied:
    status: WebhookStatus
    order: Order | None = None
    events: tuple[DomainEvent, ...] = ()
    code: str | None = None


@attrs.frozen
class WebhookService:
    _uow_factory: UnitOfWorkFactory
    _provider: PaymentProvider
    _ledger: RefundLedger
    _reactions: Reactions
    _jobs: JobOutbox
    _metrics: Metrics
    _clock: Clock
    _disputes: DisputeLedger
    _duplicates: DuplicateCaptures

    def receive(self, payload: bytes, signature: str | None) -> WebhookOutcome:
        """Verify a delivery, then journal and apply it. Raises InvalidSignature/InvalidPayload
        (nothing is stored for those)."""
        return self.process(self._verified(payload, signature))

    def accept(self, payload: bytes, signature: str | None) -> WebhookOutcome:
        """Async mode: verify, journal (``received``) and queue ``process_webhook_event`` in one
        transaction; a worker applies it later (``process_journaled``). A duplicate of an event
        already queued or settled changes nothing; one that failed or is parked is queued again.
        """
        event = self._verified(payload, signature)
        written: list[OutboxJob] = []
        outcome = DUPLICATE
        if not self._settled_already(event.id):
            written, outcome = self._journal_and_queue(event)
            if outcome is DUPLICATE:
                self._remember(event.id)
        self._jobs.publish(written)
        self._metrics.increment(PROCESSED_METRIC, {"type": event.type, "outcome": outcome})
        return WebhookOutcome(event.id, outcome, event.order_id)

    def process_journaled(self, event_id: str) -> WebhookOutcome:
        """The worker's side of async mode: apply a journaled event (claim, apply, settle).
        Raises RetryLater when it should run again (failed, or its order is not known yet)."""
        outcome = self.replay(event_id)
        if outcome.retryable:
            raise RetryLater(f"event {event_id}: {outcome.outcome} ({outcome.code})")
        return outcome

    def _verified(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """The delivery's event; a bad signature or payload is counted, logged and raised."""
        try:
            return self._provider.parse_webhook(payload, signature)
        except BillingError as error:
            labels = {"type": "unverified", "outcome": REJECTED, "code": error.code}
            self._metrics.increment(PROCESSED_METRIC, labels)
            log.warning(
                "webhook delivery rejected: %s",
                error.code,
                extra={"outcome": REJECTED, "code": error.code},
            )
            raise

    def _settled_already(self, event_id: str) -> bool:
        """A redelivery of a settled event this process remembers is a duplicate, known without
        a round trip (settled is final). Any other event takes the journaled, claimed path: a
        new one needs no read before it, and a duplicate found there is remembered."""
        return self._uow_factory.remembered_status(event_id) in SETTLED

    def _remember(self, event_id: str) -> None:
        """After a duplicate: one read of its status, so that the next redelivery of a settled
        event (a storm) is answered by ``_settled_already``."""
        self._uow_factory.journaled_status(event_id)

    @retry_on_conflict
    def _journal_and_queue(self, event: ProviderEvent) -> tuple[list[OutboxJob], Delivery]:
        now = self._clock.now()
        with self._uow_factory() as uow:
            if not uow.webhook_events.add_if_absent(_journal_entry(event, now)):
                stored = uow.webhook_events.get(event.id)
                if stored.status not in CLAIMABLE - {WebhookStatus.RECEIVED}:
                    return [], DUPLICATE  # queued already, being processed, or settled
            job = Job.of(PROCESS_WEBHOOK_EVENT, event_id=event.id)
            written = self._jobs.write(uow, [job], now)
            uow.commit()
        return written, Delivery.RECEIVED

    def replay(self, event_id: str) -> WebhookOutcome:
        """Run a journaled event again (failed or parked ones; settled ones are duplicates)."""
        stored = self._uow_factory.journaled_event(event_id)  # claimed again before it applies
        if stored is None:
            raise WebhookEventNotFound(f"no webhook event {event_id}", event_id=event_id)
        event = self._provider.parse_event(stored.payload.encode())
        return self._process(event, settled=stored.status in SETTLED, journaled=True)

    def journal(self, status: WebhookStatus | None = None, limit: int = 100) -> list[WebhookEvent]:
        """The journaled events, newest first, of one status or all."""
        with self._uow_factory() as uow:
            return uow.webhook_events.list(status, limit)

    def backlog(self) -> dict[str, int]:
        """How many events are failed, and how many parked."""
        with self._uow_factory() as uow:
            counts = uow.webhook_events.stats().by_status
        return {str(status): counts.get(str(status), 0) for status in BACKLOG}

    def process(self, event: ProviderEvent) -> WebhookOutcome:
        """Apply a verified event once: a redelivery of a settled one this process remembers is
        answered at once, anything else goes through the journaled, claimed transaction."""
        return self._process(event, settled=self._settled_already(event.id))

    def _process(
        self, event: ProviderEvent, *, settled: bool, journaled: bool = False
    ) -> WebhookOutcome:
        """``process`` for an event whose journaled status the caller already knows;
        ``journaled``: it was read from the journal (so it is only claimed there)."""
        started = time.perf_counter()
        if settled:
            outcome = WebhookOutcome(event.id, DUPLICATE)
            self._report(event, outcome, started)
            return outcome
        try:
            outcome, parked, jobs = self._process_once(event, journaled)
        except BillingError as error:
            outcome, parked, jobs = self._record_failure(event, error), [], []
        except Exception as error:  # unexpected: keep the trace, let the provider retry
            self._report(event, self._record_failure(event, error), started)
            raise
        self._report(event, outcome, started)
        if outcome.outcome is DUPLICATE:
            self._remember(event.id)
        self._jobs.publish(jobs)
        for waiting in parked:  # the events that waited for the order this one moved
            waiting_event = self._provider.parse_event(waiting.payload.encode())
            self._process(waiting_event, settled=False, journaled=True)
        return outcome

    def _report(self, event: ProviderEvent, outcome: WebhookOutcome, started: float) -> None:
        """Count and time the delivery, and log it once: a failure in a line of its own, any
        other outcome on the access line of the request that delivered it (a line of its own
        outside a request: the async worker)."""
        labels = {"type": event.type, "outcome": outcome.outcome}
        self._metrics.increment(PROCESSED_METRIC, {**labels, "code": outcome.code or ""})
        self._metrics.observe(DURATION_METRIC, time.perf_counter() - started, labels)
        fields = {
            "event_id": event.id,
            "event_type": event.type,
            "outcome": outcome.outcome,
            "code": outcome.code,
            "order_id": outcome.order_id,
        }
        if outcome.outcome is Delivery.FAILED:
            # A mismatch will not heal by itself: someone must look at it.
            level = logging.ERROR if outcome.code == AmountMismatch.code else logging.WARNING
            log.log(level, "webhook event %s", outcome.outcome, extra=fields)
        elif not onto_request_line(fields):
            log.info("webhook event %s", outcome.outcome, extra=fields)

    @retry_on_conflict
    def _process_once(
        self, event: ProviderEvent, journaled: bool
    ) -> tuple[WebhookOutcome, list[WebhookEvent], list[OutboxJob]]:
        """Journal (unless ``journaled``), claim, apply and settle the event in one
        transaction. Returns its outcome, the parked events of the order it moved (to run again
        after commit: read under the order's lock, so none parked before it is missed) and the
        jobs to hand over."""
        now = self._clock.now()
        with self._uow_factory() as uow:
            if journaled:  # journal rows are never deleted: one claim, no insert
                claimed = uow.webhook_events.claim(event.id)
            else:
                claimed = uow.webhook_events.journal_and_claim(_journal_entry(event, now))
            if claimed is None:
                uow.commit()
                return WebhookOutcome(event.id, DUPLICATE), [], []
            applied = self._apply(uow, event, now)
            if applied.order is not None:
                claimed.order_id = applied.order.id
            claimed.settle(applied.status, now, error=applied.code)
            uow.webhook_events.save(claimed)
            jobs: list[OutboxJob] = []
            parked: list[WebhookEvent] = []
            if applied.order is not None:
                uow.orders.save(applied.order)
                if applied.events:
                    parked = uow.webhook_events.list_parked_for_order(applied.order.id)
                # Last: an invoice number holds the series' counter row until COMMIT.
                reactions = self._reactions.apply(uow, applied.order, applied.events)
                jobs = self._jobs.write(uow, reactions, now)
            uow.commit()
        outcome = WebhookOutcome(
            event.id, Delivery.after(applied.status), claimed.order_id, applied.code
        )
        return outcome, parked, jobs

    def _apply(self, uow: UnitOfWork, event: ProviderEvent, at: datetime) -> _Applied:
        if event.kind is EventKind.UNHANDLED or not event.concerns_an_order:
            return _Applied(WebhookStatus.IGNORED, code="not_handled")
        order = _locked_order(uow, event)
        if order is None:
            return _Applied(WebhookStatus.IGNORED, code="unknown_payment")
        cause = f"event:{event.id}"
        handler = {
            EventKind.PAYMENT_SUCCEEDED: self._payment_succeeded,
            EventKind.PAYMENT_FAILED: self._payment_failed,
            EventKind.PAYMENT_CANCELED: self._payment_canceled,
            EventKind.REFUND_UPDATED: self._refund_updated,
            EventKind.DISPUTE_UPDATED: self._dispute,
            EventKind.PAYER_REPORTED: self._payer_reported,
        }.get(event.kind)
        if handler is None:  # PAYMENT_PENDING: the provider is still working on it
            return _Applied(WebhookStatus.IGNORED, order, code="pending")
        return handler(uow, order, event, cause, at)

    def _payment_succeeded(
        self, uow: UnitOfWork, order: Order, event: ProviderEvent, cause: str, at: datetime
    ) -> _Applied:
        if event.amount is None:
            raise InvalidPayload("a payment event without an amount", event_id=event.id)
        payment_id = event.payment_id
        if (
            order.status in PAID_STATES
            and payment_id
            and not is_own_payment(uow, order, payment_id)
        ):
            # Another payment already paid this order: the customer was charged twice.
            found = self._duplicates.record(uow, order, payment_id, event.amount, cause, at)
            return _Applied(WebhookStatus.PROCESSED, order, tuple(found), code="duplicate_capture")
        events = order.mark_paid(event.amount, payment_id, cause, at)
        order.record_payer(event.payer)  # before the invoice is written (after commit)
        return _Applied(WebhookStatus.PROCESSED, order, tuple(events))

    def _payer_reported(
        self, uow: UnitOfWork, order: Order, event: ProviderEvent, cause: str, at: datetime
    ) -> _Applied:
        """A charge's billing details and card, for the invoice; the state never moves."""
        order.record_payer(event.payer)
        return _Applied(WebhookStatus.PROCESSED, order)

    def _payment_failed(
        self, uow: UnitOfWork, order: Order, event: ProviderEvent, cause: str, at: datetime
    ) -> _Applied:
        if order.status not in PAYABLE_STATES:
            return _Applied(WebhookStatus.IGNORED, order, code="stale")
        # A checkout session's attempt knows the session (cs_…), its failure names the
        # PaymentIntent (pi_…): the order's current payment identifies the attempt too.
        failed_ids = {event.payment_id, order.provider_payment_id} - {None}
        for attempt in uow.payment_attempts.list_for_order(order.id):
            if attempt.provider_payment_id in failed_ids:
                attempt.status, attempt.error_code = AttemptStatus.FAILED, event.failure_code
                uow.payment_attempts.save(attempt)
        return _Applied(WebhookStatus.PROCESSED, order)

    def _payment_canceled(
        self, uow: UnitOfWork, order: Order, event: ProviderEvent, cause: str, at: datetime
    ) -> _Applied:
        if order.status not in PAYABLE_STATES:
            return _Applied(WebhookStatus.IGNORED, order, code="stale")
        return _Applied(WebhookStatus.PROCESSED, order, tuple(order.cancel(cause, at)))

    def _refund_updated(
        self, uow: UnitOfWork, order: Order, event: ProviderEvent, cause: str, at: datetime
    ) -> _Applied:
        if order.status not in PAID_STATES:  # the payment's own event has not arrived yet
            return _Applied(WebhookStatus.PARKED, order, code="awaiting_payment")
        events: list[DomainEvent] = []
        for reported in event.refunds:
            events += self._ledger.record(uow, order, reported, cause, at)
        return _Applied(WebhookStatus.PROCESSED, order, tuple(events))

    def _dispute(
        self, uow: UnitOfWork, order: Order, event: ProviderEvent, cause: str, at: datetime
    ) -> _Applied:
        if event.dispute is None:
            raise InvalidPayload("a dispute event without its dispute", event_id=event.id)
        if order.status not in PAID_STATES:  # only a captured payment is disputed: it comes
            return _Applied(WebhookStatus.PARKED, order, code="awaiting_payment")
        events = self._disputes.record(uow, order, event.dispute, at)
        return _Applied(WebhookStatus.PROCESSED, order, tuple(events))

    def _record_failure(self, event: ProviderEvent, error: Exception) -> WebhookOutcome:
        """Journal a failed application in its own transaction (the failed one rolled back)."""
        code = error.code if isinstance(error, BillingError) else "internal_error"
        # A failed event is answered so that the provider delivers it again: its retries re-run
        # it until the cause is fixed, and the journal keeps the error meanwhile. Not a
        # mismatch: the same body can only fail the same way; an administrator replays it.
        retryable = not isinstance(error, AmountMismatch)
        status = WebhookStatus.PARKED if isinstance(error, OrderNotFound) else WebhookStatus.FAILED
        try:
            with self._uow_factory() as uow:
                # Claimed like a delivery: if another delivery applied or holds the event since
                # ours rolled back, its outcome stands and is not overwritten with our failure.
                stored = uow.webhook_events.journal_and_claim(
                    _journal_entry(event, self._clock.now())
                )
                if stored is not None:
                    stored.settle(status, self._clock.now(), error=f"{code}: {error}"[:500])
                    uow.webhook_events.save(stored)
                uow.commit()
        except Exception:
            log.exception("could not journal the failure of event %s", event.id)
        return WebhookOutcome(event.id, Delivery.after(status), event.order_id, code, retryable)


def _journal_entry(event: ProviderEvent, at: datetime) -> WebhookEvent:
    return WebhookEvent(
        id=event.id,
        type=event.type,
        payload=event.payload,
        received_at=at,
        livemode=event.livemode,
        api_version=event.api_version,
        order_id=event.order_id,
    )


def _locked_order(uow: UnitOfWork, event: ProviderEvent) -> Order | None:
    """The event's order, row-locked. OrderNotFound when the event names an order we do not
    have (yet); None when it only names a payment that is not ours."""
    if event.order_id is not None:
        return uow.lock_order(event.order_id)
    assert event.payment_id is not None
    found = uow.orders.find_by_payment(event.payment_id)
    return uow.lock_order(found.id) if found is not None else None

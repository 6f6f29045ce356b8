"""``WebhookDeliverer``: POSTs the sandbox's stored events, signed, until an endpoint takes them.

Like Stripe, each attempt is signed afresh (a new ``t=``) and only a 2xx answer counts as
delivered; anything else (an error status, a timeout, a refused connection) is retried with
exponential backoff. One ``deliver`` makes at most ``DeliveryPolicy.attempts`` attempts and
then leaves the event undelivered in the store (raising ``DeliveryFailed``), where
``deliver_pending`` finds it again (a sweep: the serving process's delivery thread runs one
when idle, ``billing worker`` every ``SWEEP_EVERY`` seconds with ``sweep_forever`` when the
deliveries are jobs on a broker): every event is delivered at least once.

Staging rehearsal knobs (``Rehearsal``, all off by default) make it behave like Stripe at its
worst: every delivery sent twice, deliveries in no particular order (``arrange`` shuffles what
is waiting: the pending events of a sweep, the queued jobs of a ``ThreadTaskQueue`` batch),
each one held back a random time, a share of attempts dropped.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TypeVar

import attrs
import httpx
import tenacity

from billing.domain.errors import ProviderUnavailable
from billing.ports.clock import Clock

from .signing import WebhookSigner
from .store import SandboxSession, SandboxStore, StoredEvent

log = logging.getLogger(__name__)
T = TypeVar("T")

SIGNATURE_HEADER = "Stripe-Signature"
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
#: Seconds between two sweeps of the undelivered events.
SWEEP_EVERY = 30.0


class DeliveryFailed(ProviderUnavailable):
    """No attempt of this run got a 2xx answer; the event stays pending."""

    code = "sandbox_delivery_failed"


@attrs.frozen
class DeliveryPolicy:
    """Attempts per run and the exponential backoff between them: base·factorⁿ⁻¹, ≤ cap (the
    pauses of tenacity's retries, and the ``next_attempt_at`` the store records)."""

    attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    timeout: float = 10.0

    def delay(self, failed_attempt: int) -> float:
        return float(min(self.cap, self.base * self.factor ** (failed_attempt - 1)))


@attrs.frozen
class Rehearsal:
    """Faults to rehearse on staging; none by default."""

    #: Send every delivered event a second time, as Stripe sometimes does.
    duplicate: bool = False
    #: Send what is waiting in a random order, not oldest first: Stripe promises no order.
    shuffle: bool = False
    #: Hold each delivery back a random time up to this many seconds before its first attempt.
    max_delay: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    #: The share (0 to 1) of attempts dropped before they are sent.
    failure_rate: float = attrs.field(
        default=0.0, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)]
    )


class WebhookDeliverer:
    def __init__(
        self,
        store: SandboxStore,
        signer: WebhookSigner,
        url: str,
        clock: Clock,
        *,
        client: httpx.Client | None = None,
        policy: DeliveryPolicy | None = None,
        rehearsal: Rehearsal | None = None,
        sleep: Callable[[float], None] = time.sleep,
        chance: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._signer = signer
        self._url = url
        self._clock = clock
        self._policy = policy or DeliveryPolicy()
        self._client = client or httpx.Client(timeout=self._policy.timeout)
        self._rehearsal = rehearsal or Rehearsal()
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311  rehearsal faults, not secrets
        self._chance = chance or self._rng.random

    def __repr__(self) -> str:
        return f"WebhookDeliverer(url={self._url!r})"

    @property
    def url(self) -> str:
        return self._url

    @property
    def rehearsal(self) -> Rehearsal:
        return self._rehearsal

    def arrange(self, waiting: list[T]) -> list[T]:
        """The order to send ``waiting`` in: as given, or shuffled when rehearsing."""
        if not self._rehearsal.shuffle:
            return waiting
        shuffled = list(waiting)
        self._rng.shuffle(shuffled)
        return shuffled

    def handle(self, params: Mapping[str, str]) -> None:
        """The ``sandbox_deliver_event`` task: ``{"event_id": "evt_…"}``."""
        self.deliver(params["event_id"])

    def deliver(self, event_id: str) -> StoredEvent:
        """Send the event until an attempt is answered 2xx; an event already delivered is not
        sent again. Raises ``DeliveryFailed`` after the policy's attempts."""
        found = self._store.run(lambda session: session.get_event(event_id))
        if found is None:
            raise KeyError(f"no sandbox event {event_id!r}")
        event: StoredEvent = found
        if self._rehearsal.max_delay and not event.delivered:
            self._sleep(self._rng.uniform(0.0, self._rehearsal.max_delay))
        attempts = 0

        def send() -> StoredEvent:
            nonlocal event, attempts
            if event.delivered:  # by another sender meanwhile: not sent again
                return event
            attempts += 1
            event = self._record(event_id, self._attempt(event), attempts)
            if event.delivered and self._rehearsal.duplicate:
                self._attempt(event)
            return event

        event = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._policy.attempts),
            wait=lambda state: self._policy.delay(state.attempt_number),
            retry=tenacity.retry_if_result(lambda sent: not sent.delivered),
            sleep=self._sleep,
            retry_error_callback=lambda state: event,  # the last attempt's, undelivered
        )(send)
        if event.delivered:
            return event
        log.warning("sandbox: event %s not delivered: %s", event_id, event.last_error)
        raise DeliveryFailed(
            f"event {event_id} was not accepted by {self._url}",
            event_id=event_id,
            attempts=event.attempts,
            last_error=event.last_error,
        )

    def deliver_pending(self, limit: int = 1000) -> list[StoredEvent]:
        """Try every undelivered event once more (oldest first, unless shuffling); returns those
        still pending."""
        pending = self._store.run(lambda session: session.undelivered_events(limit))
        left: list[StoredEvent] = []
        for event in self.arrange(pending):
            try:
                self.deliver(event.id)
            except DeliveryFailed:
                left.append(event)
        return left

    def sweep_forever(self, stop: threading.Event, every: float = SWEEP_EVERY) -> None:
        """Every ``every`` seconds until ``stop`` is set, deliver what is still pending."""
        while not stop.wait(every):
            try:
                self.deliver_pending()
            except Exception:  # the database may be down for a while: keep sweeping
                log.warning("sandbox: sweep failed", exc_info=True)

    def _attempt(self, event: StoredEvent) -> str | None:
        """One POST; None when it was answered 2xx, else what went wrong."""
        if self._rehearsal.failure_rate and self._chance() < self._rehearsal.failure_rate:
            return "rehearsal: delivery dropped"
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: self._signer.header(event.payload),
        }
        try:
            response = self._client.post(
                self._url, content=event.payload.encode("utf-8"), headers=headers
            )
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        if response.is_success:
            return None
        return f"HTTP {response.status_code}: {response.text[:200]}"

    def _record(self, event_id: str, error: str | None, attempt: int) -> StoredEvent:
        now = self._clock.now()
        delay = timedelta(seconds=self._policy.delay(attempt))

        def work(session: SandboxSession) -> StoredEvent:
            stored = session.get_event(event_id)
            assert stored is not None
            if error is None:
                updated = attrs.evolve(
                    stored,
                    attempts=stored.attempts + 1,
                    delivered_at=stored.delivered_at or now,
                    next_attempt_at=None,
                )
            else:
                updated = attrs.evolve(
                    stored,
                    attempts=stored.attempts + 1,
                    last_error=error[:500],
                    next_attempt_at=None if stored.delivered else now + delay,
                )
            session.save_event(updated)
            return updated

        return self._store.run(work)

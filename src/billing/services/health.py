"""What ``/billing/health/`` reports: the toggle, the database, the provider, the webhook journal,
and one status summing them up.

``ok``; ``degraded`` while webhook events are ``failed`` (an amount mismatch waits for a person;
other failures until their redelivery succeeds); ``unavailable`` when the database cannot be
reached, or did not answer within ``DATABASE_CHECK_SECONDS`` (the check runs on its own thread,
so the report is answered in time whatever the database does). Nothing secret is ever part of
the report: only whether secrets are configured.

Counting the journal by status reads every row of it (160,000 rows: a sequential scan per
probe), so a reading with no failed event is reused for ``JOURNAL_FRESH_FOR`` seconds (by the
Clock port); the deferred jobs are counted by index on every probe, which also proves the
database answers. A reading with failed events is never reused: the report turns ``ok`` again as
soon as they are replayed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from billing.domain.errors import BillingError, StorageUnavailable
from billing.domain.outbox import WAITING, OutboxStatus
from billing.domain.webhook import WebhookStats, WebhookStatus
from billing.ports.clock import Clock
from billing.ports.payments import PaymentProvider
from billing.ports.unit_of_work import UnitOfWorkFactory
from billing.version import __version__

from .single_flight import SingleFlight

#: How long the report waits for the database: a load balancer's probe gets its answer first.
DATABASE_CHECK_SECONDS = 1.5
#: How long the journal's counts of a reading without failed events are reused.
JOURNAL_FRESH_FOR = timedelta(seconds=5)


class HealthStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # payments cannot work as configured, or webhook events failed
    UNAVAILABLE = "unavailable"  # the database does not answer


@attrs.frozen
class ProviderHealth:
    name: str
    configured: bool
    webhook_secret_configured: bool


@attrs.frozen
class HealthReport:
    billing_enabled: bool
    database_ok: bool
    database_latency_ms: float | None
    provider: ProviderHealth
    webhooks: WebhookStats | None
    oldest_unprocessed_age_s: float | None
    #: Deferred jobs that exhausted their retries (``billing tasks list --dead``).
    dead_jobs: int | None = None
    #: Deferred jobs still waiting to run (queued, or failed and waiting for their retry).
    job_backlog: int | None = None
    version: str = __version__

    @property
    def failed_webhooks(self) -> int | None:
        """Journaled events that failed (None when the database did not answer)."""
        if self.webhooks is None:
            return None
        return self.webhooks.by_status.get(str(WebhookStatus.FAILED), 0)

    @property
    def status(self) -> HealthStatus:
        """``unavailable``: the database does not answer; ``degraded``: payments cannot work
        as configured (the provider or its webhook secret is missing) or webhook events are
        failed; else ``ok``."""
        if not self.database_ok:
            return HealthStatus.UNAVAILABLE
        configured = self.provider.configured and self.provider.webhook_secret_configured
        if self.failed_webhooks or not configured:
            return HealthStatus.DEGRADED
        return HealthStatus.OK

    @property
    def healthy(self) -> bool:
        return self.status is HealthStatus.OK


@attrs.frozen
class JournalReading:
    """What the database says about the webhook journal and the deferred jobs."""

    stats: WebhookStats
    dead_jobs: int
    backlog: int
    latency_ms: float


class JournalStats:
    """The journal's counts, read again once ``fresh_for`` has passed since the last reading
    without failed events (one reading at a time: the check's own thread calls it)."""

    def __init__(self, clock: Clock, fresh_for: timedelta = JOURNAL_FRESH_FOR) -> None:
        self._clock = clock
        self._fresh_for = fresh_for
        self._kept: tuple[WebhookStats, datetime] | None = None

    def read(self, read: Callable[[], WebhookStats]) -> WebhookStats:
        now = self._clock.now()
        if self._kept is not None and now - self._kept[1] < self._fresh_for:
            return self._kept[0]
        stats = read()
        failed = stats.by_status.get(str(WebhookStatus.FAILED), 0)
        self._kept = (stats, now) if not failed else None
        return stats


def read_journal(uow_factory: UnitOfWorkFactory, journal: JournalStats) -> JournalReading:
    started = time.perf_counter()
    with uow_factory() as uow:
        dead = uow.outbox.count(OutboxStatus.DEAD)
        backlog = sum(uow.outbox.count(status) for status in WAITING)
        stats = journal.read(uow.webhook_events.stats)
    return JournalReading(stats, dead, backlog, round((time.perf_counter() - started) * 1000, 3))


class DatabaseCheck:
    """The report's database check: the journal read on its own thread, waited for at most
    ``timeout`` seconds (None: the database is unavailable, or too slow to count as up)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        timeout: float = DATABASE_CHECK_SECONDS,
    ) -> None:
        self._timeout = timeout
        journal = JournalStats(clock)
        self._flight = SingleFlight(lambda: read_journal(uow_factory, journal), "billing-health")

    def __call__(self) -> JournalReading | None:
        try:
            return self._flight.result(self._timeout)
        except (StorageUnavailable, TimeoutError):
            return None

    def close(self) -> None:
        self._flight.close()


@attrs.frozen
class HealthService:
    _database: Callable[[], JournalReading | None]
    _provider: Callable[[], PaymentProvider]
    _clock: Clock
    _billing_enabled: bool
    _provider_name: str

    def report(self) -> HealthReport:
        reading = self._database()
        stats = reading.stats if reading is not None else None
        oldest = stats.oldest_unsettled_at if stats is not None else None
        age = (self._clock.now() - oldest).total_seconds() if oldest is not None else None
        return HealthReport(
            billing_enabled=self._billing_enabled,
            database_ok=reading is not None,
            database_latency_ms=reading.latency_ms if reading is not None else None,
            provider=self._provider_health(),
            webhooks=stats,
            oldest_unprocessed_age_s=age,
            dead_jobs=reading.dead_jobs if reading is not None else None,
            job_backlog=reading.backlog if reading is not None else None,
        )

    def _provider_health(self) -> ProviderHealth:
        try:
            provider = self._provider()
        except BillingError:  # e.g. a Stripe key that is missing or malformed
            return ProviderHealth(self._provider_name, False, False)
        return ProviderHealth(provider.name, True, provider.webhook_configured)

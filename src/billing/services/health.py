"""What ``/billing/health/`` reports: the toggle, the database, the provider, the webhook journal,
and one status summing them up.

``ok``; ``degraded`` while webhook events are ``failed`` (an amount mismatch waits for a person;
other failures until their redelivery succeeds); ``unavailable`` when the database cannot be
reached. Nothing secret is ever part of the report: only whether secrets are configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from billing.domain.errors import BillingError, StorageUnavailable
from billing.domain.outbox import WAITING, OutboxStatus
from billing.domain.webhook import WebhookStats, WebhookStatus
from billing.ports.clock import Clock
from billing.ports.payments import PaymentProvider
from billing.ports.unit_of_work import UnitOfWorkFactory
from billing.version import __version__


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
    def status(self) -> str:
        """``unavailable``: the database does not answer; ``degraded``: payments cannot work
        as configured (the provider or its webhook secret is missing) or webhook events are
        failed; else ``ok``."""
        if not self.database_ok:
            return "unavailable"
        configured = self.provider.configured and self.provider.webhook_secret_configured
        return "degraded" if self.failed_webhooks or not configured else "ok"

    @property
    def healthy(self) -> bool:
        return self.status == "ok"


@attrs.frozen
class HealthService:
    _uow_factory: UnitOfWorkFactory
    _provider: Callable[[], PaymentProvider]
    _clock: Clock
    _billing_enabled: bool
    _provider_name: str

    def report(self) -> HealthReport:
        stats, (dead_jobs, backlog), latency_ms = self._journal()
        oldest = stats.oldest_unsettled_at if stats is not None else None
        age = (self._clock.now() - oldest).total_seconds() if oldest is not None else None
        return HealthReport(
            billing_enabled=self._billing_enabled,
            database_ok=stats is not None,
            database_latency_ms=latency_ms,
            provider=self._provider_health(),
            webhooks=stats,
            oldest_unprocessed_age_s=age,
            dead_jobs=dead_jobs,
            job_backlog=backlog,
        )

    def _journal(
        self,
    ) -> tuple[WebhookStats | None, tuple[int | None, int | None], float | None]:
        started = time.perf_counter()
        try:
            with self._uow_factory() as uow:
                stats = uow.webhook_events.stats()
                jobs = (
                    uow.outbox.count(OutboxStatus.DEAD),
                    sum(uow.outbox.count(status) for status in WAITING),
                )
        except StorageUnavailable:
            return None, (None, None), None
        return stats, jobs, round((time.perf_counter() - started) * 1000, 3)

    def _provider_health(self) -> ProviderHealth:
        try:
            provider = self._provider()
        except BillingError:  # e.g. a Stripe key that is missing or malformed
            return ProviderHealth(self._provider_name, False, False)
        return ProviderHealth(provider.name, True, provider.webhook_configured)

"""The dependency container: one place that decides which adapter serves each port."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from dependency_injector import containers, providers

from billing.adapters.invoices.deferred import DeferredPdfRenderer
from billing.adapters.invoices.text import TextRenderer
from billing.adapters.memory import FakePaymentProvider, MemoryUnitOfWorkFactory
from billing.adapters.metrics import PrometheusMetrics
from billing.adapters.sandbox import (
    DELIVER_EVENT,
    MemorySandboxStore,
    Rehearsal,
    SandboxPaymentProvider,
    SqlSandboxStore,
    WebhookDeliverer,
    WebhookSigner,
    sandbox_webhook_secrets,
)
from billing.adapters.sandbox.background import ThreadTaskQueue
from billing.adapters.sql import SqlUnitOfWorkFactory, make_engine
from billing.adapters.storage.filesystem import FilesystemArtifactStore
from billing.adapters.stripe import HANDLED_EVENT_TYPES, StripeConfig, StripePaymentProvider
from billing.adapters.system import RandomIds, SystemClock
from billing.adapters.tasks import InlineJobPublisher
from billing.domain.duplicate_capture import DuplicateCapturePolicy
from billing.domain.invoice import Party
from billing.ports.clock import Clock
from billing.ports.tasks import JobPublisher, TaskQueue
from billing.services.access import AccessService
from billing.services.catalog import CatalogService
from billing.services.checkout import CheckoutService, OrderTokens
from billing.services.dispute_ledger import DisputeLedger
from billing.services.disputes import DisputeService
from billing.services.duplicate_captures import DuplicateCaptures
from billing.services.entitlements import EntitlementService
from billing.services.health import HealthService
from billing.services.invoices import InvoiceService
from billing.services.jobs import (
    PROCESS_WEBHOOK_EVENT,
    RENDER_DOCUMENT,
    SEND_REFUND,
    Handler,
    JobOutbox,
    JobRelay,
    JobService,
    OutboxTaskQueue,
)
from billing.services.orders import OrderService
from billing.services.payments import PaymentService
from billing.services.reactions import Reactions
from billing.services.reconciliation import ReconciliationService
from billing.services.refund_ledger import RefundLedger
from billing.services.refunds import RefundService
from billing.services.webhooks import WebhookService

from .settings import Settings
from .views.identity import RequestIdentity


def _job_handlers(container: Container) -> dict[str, Handler]:
    """Task name → handler; the services are looked up when a job runs (they queue jobs too)."""

    def render_document(params: Mapping[str, str]) -> object:
        return container.invoices().render(params["artifact_id"])

    def process_webhook_event(params: Mapping[str, str]) -> object:
        return container.webhooks().process_journaled(params["event_id"])

    def deliver_sandbox_event(params: Mapping[str, str]) -> object:
        return container.sandbox_deliverer().handle(params)

    def send_refund(params: Mapping[str, str]) -> object:
        return container.refunds().send(params["refund_id"])

    return {
        RENDER_DOCUMENT: render_document,
        PROCESS_WEBHOOK_EVENT: process_webhook_event,
        DELIVER_EVENT: deliver_sandbox_event,
        SEND_REFUND: send_refund,
    }


def _job_publisher(settings: Settings, jobs: JobService, container: Container) -> JobPublisher:
    """Inline (the embedded default) or Dramatiq on the broker at ``BILLING_TASK_BROKER``."""
    if settings.jobs_inline:
        return InlineJobPublisher(jobs.run, relay=lambda: container.job_relay().relay_all())
    from billing.adapters.tasks.broker import DramatiqJobPublisher, RedisTimeouts, make_broker

    redis = RedisTimeouts(
        settings.task_heartbeat_seconds * 1000, settings.task_maintenance_per_million
    )
    broker = make_broker(settings.task_broker, settings.task_namespace, redis)
    return DramatiqJobPublisher(broker, jobs.run, settings.task_namespace)


def _stale_after(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.task_stale_seconds)


def _stripe_config(settings: Settings) -> StripeConfig:
    return StripeConfig(
        secret_key=settings.stripe_secret_key,
        webhook_secrets=settings.stripe_webhook_secrets,
        publishable_key=settings.stripe_publishable_key or None,
        api_base=settings.stripe_api_base,
        max_network_retries=settings.stripe_max_network_retries,
    )


def _sandbox_secrets(settings: Settings) -> tuple[str, ...]:
    return sandbox_webhook_secrets(settings.stripe_webhook_secrets, settings.secret_key)


def _sandbox_webhook_url(settings: Settings) -> str:
    base = settings.public_base_url.rstrip("/")
    return settings.sandbox_webhook_url or f"{base}/billing/webhooks/stripe/"


def _sandbox_rehearsal(settings: Settings) -> Rehearsal:
    return Rehearsal(
        duplicate=settings.sandbox_duplicate_deliveries,
        shuffle=settings.sandbox_shuffle_deliveries,
        max_delay=settings.sandbox_delivery_delay_ms / 1000,
        failure_rate=settings.sandbox_failure_percent / 100,
    )


def _sandbox_signer(secrets: tuple[str, ...], clock: Clock) -> WebhookSigner:
    return WebhookSigner(secrets[0], clock)


def _sandbox_deliveries(settings: Settings, container: Container) -> TaskQueue:
    """Without a broker, a thread of the serving process (delivering from inside the paying
    request would deadlock a single-threaded worker on its own webhook); with one, outbox jobs
    that ``billing worker`` runs (and its sweep sends what they missed)."""
    if not settings.jobs_inline:
        return OutboxTaskQueue(container.uow_factory(), container.job_outbox(), container.clock())
    deliverer = container.sandbox_deliverer()
    return ThreadTaskQueue(
        {DELIVER_EVENT: deliverer.handle},
        sweep=deliverer.deliver_pending,
        reorder=deliverer.arrange if deliverer.rehearsal.shuffle else None,
    )


def _reconciled_types(settings: Settings) -> tuple[str, ...] | None:
    """What the webhook endpoint subscribes to (the fake provider's events have other names)."""
    return None if settings.payment_provider == "fake" else tuple(sorted(HANDLED_EVENT_TYPES))


def _seller(settings: Settings) -> Party:
    return Party(
        name=settings.seller_name,
        address=settings.seller_address,
        tax_id=settings.seller_tax_id,
        email=settings.seller_email,
    )


class Container(containers.DeclarativeContainer):
    __self__ = providers.Self()
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIds)
    metrics = providers.Singleton(PrometheusMetrics)
    database_engine = providers.ThreadSafeSingleton(make_engine, settings.provided.database_url)
    uow_factory = providers.Selector(
        settings.provided.storage,
        memory=providers.Singleton(MemoryUnitOfWorkFactory),
        sql=providers.ThreadSafeSingleton(SqlUnitOfWorkFactory, database_engine),
    )
    artifact_store = providers.Singleton(FilesystemArtifactStore, settings.provided.media_root)
    renderer = providers.Selector(
        settings.provided.invoice_renderer,
        pdf=providers.Singleton(DeferredPdfRenderer),  # WeasyPrint loads on the first render
        text=providers.Singleton(TextRenderer),
    )

    entitlements = providers.Singleton(EntitlementService, uow_factory, clock, ids)
    invoices = providers.Singleton(
        InvoiceService,
        uow_factory,
        renderer,
        artifact_store,
        providers.Callable(_seller, settings),
        clock,
        ids,
    )
    # Deferred jobs: outbox rows written with the change, handed over after commit, relayed.
    job_service = providers.ThreadSafeSingleton(
        JobService, uow_factory, clock, providers.Callable(_job_handlers, __self__)
    )
    job_publisher = providers.ThreadSafeSingleton(_job_publisher, settings, job_service, __self__)
    job_relay = providers.ThreadSafeSingleton(
        JobRelay, uow_factory, job_publisher, clock, providers.Callable(_stale_after, settings)
    )
    # A job handed over after commit is due again for the relay only once stale, like one a
    # worker took: a long queue does not make the relay send every waiting job twice.
    job_outbox = providers.Singleton(
        JobOutbox, job_publisher, ids, providers.Callable(_stale_after, settings)
    )
    reactions = providers.Singleton(Reactions, entitlements, invoices)

    # The sandbox provider: its own tables beside ours, deliveries on a thread or the broker.
    sandbox_store = providers.Selector(
        settings.provided.storage,
        memory=providers.Singleton(MemorySandboxStore),
        sql=providers.ThreadSafeSingleton(SqlSandboxStore, database_engine),
    )
    sandbox_secrets = providers.ThreadSafeSingleton(_sandbox_secrets, settings)
    sandbox_deliverer = providers.ThreadSafeSingleton(
        WebhookDeliverer,
        sandbox_store,
        providers.Callable(_sandbox_signer, sandbox_secrets, clock),
        providers.Callable(_sandbox_webhook_url, settings),
        clock,
        rehearsal=providers.Callable(_sandbox_rehearsal, settings),
    )
    sandbox_tasks = providers.ThreadSafeSingleton(_sandbox_deliveries, settings, __self__)

    payment_provider = providers.Selector(
        settings.provided.payment_provider,
        fake=providers.Singleton(FakePaymentProvider, clock=clock),
        sandbox=providers.ThreadSafeSingleton(
            SandboxPaymentProvider,
            sandbox_store,
            clock,
            sandbox_tasks,
            sandbox_secrets,
            settings.provided.public_base_url,
        ),
        stripe=providers.ThreadSafeSingleton(
            StripePaymentProvider, providers.Callable(_stripe_config, settings), clock
        ),
    )
    refund_ledger = providers.Singleton(RefundLedger, ids)
    # -- money lifecycle (issue 17): disputes and duplicate captures ---------------------------
    dispute_ledger = providers.Singleton(DisputeLedger, metrics)
    duplicate_captures = providers.Singleton(
        DuplicateCaptures,
        providers.Callable(DuplicateCapturePolicy, settings.provided.duplicate_capture),
        ids,
        metrics,
    )
    disputes = providers.Singleton(DisputeService, uow_factory)

    orders = providers.Singleton(OrderService, uow_factory, payment_provider, clock, ids)
    payments = providers.Singleton(PaymentService, uow_factory, payment_provider, clock, ids)
    refunds = providers.Singleton(
        RefundService,
        uow_factory,
        payment_provider,
        refund_ledger,
        reactions,
        job_outbox,
        clock,
        ids,
    )
    webhooks = providers.Singleton(
        WebhookService,
        uow_factory,
        payment_provider,
        refund_ledger,
        reactions,
        job_outbox,
        metrics,
        clock,
        dispute_ledger,
        duplicate_captures,
    )

    reconciliation = providers.Singleton(
        ReconciliationService,
        uow_factory,
        payment_provider,
        webhooks,
        clock,
        providers.Callable(_reconciled_types, settings),
    )

    # The HTTP edge: who is calling, and the use cases checked against it.
    user_loader = providers.Object(None)  # a host may override it with a () -> user id callable
    identity = providers.Factory(
        RequestIdentity, settings.provided.user_header, settings.provided.admin_token, user_loader
    )
    order_tokens = providers.Singleton(OrderTokens, settings.provided.secret_key)
    checkout = providers.Singleton(
        CheckoutService,
        uow_factory,
        payments,
        order_tokens,
        clock,
        ids,
        payment_provider.provided.name,
        providers.Callable(lambda s: s.stripe_publishable_key or None, settings),
        settings.provided.public_base_url,
    )
    access = providers.Singleton(
        AccessService, uow_factory, orders, refunds, entitlements, invoices
    )
    catalog = providers.Singleton(CatalogService, uow_factory)
    health = providers.Factory(
        HealthService,
        uow_factory,
        payment_provider.provider,
        clock,
        settings.provided.enabled,
        settings.provided.payment_provider,
    )


def build_container(settings: Settings | None = None) -> Container:
    container = Container(settings=settings or Settings.from_env())
    return container


def shutdown(container: Container) -> None:
    """Stop what the container started (the inline relay's thread, the broker's connections)
    and unwire it: for a host application that stops, and for tests."""
    container.job_publisher().close()
    container.unwire()

"""The dependency container: one place that decides which adapter serves each port."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta

from dependency_injector import containers, providers

from billing.adapters.invoices.deferred import DeferredPdfRenderer
from billing.adapters.invoices.text import TextRenderer
from billing.adapters.mail import JinjaReceiptTemplates, SmtpConfig, SmtpMailer
from billing.adapters.memory import FakePaymentProvider, MemoryUnitOfWorkFactory
from billing.adapters.memory.listings import MemoryListings
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
from billing.adapters.sandbox.deliverer import SWEEP_EVERY
from billing.adapters.sql import SqlUnitOfWorkFactory, make_engine
from billing.adapters.sql.listings import SqlListings
from billing.adapters.storage.filesystem import FilesystemArtifactStore
from billing.adapters.stripe import HANDLED_EVENT_TYPES, StripeConfig, StripePaymentProvider
from billing.adapters.system import RandomIds, SystemClock
from billing.adapters.tasks import InlineJobPublisher
from billing.adapters.tasks.outbox import OutboxTaskQueue, TransactionalOutbox
from billing.adapters.tasks.thread_queue import ThreadTaskQueue
from billing.domain.duplicate_capture import DuplicateCapturePolicy
from billing.domain.invoice import Party
from billing.domain.mail import Mailbox
from billing.ports.clock import Clock
from billing.ports.tasks import JobPublisher, TaskQueue
from billing.ports.unit_of_work import UnitOfWorkFactory
from billing.services.access import AccessService
from billing.services.admin_orders import AdminOrders
from billing.services.catalog import CatalogService
from billing.services.checkout import CheckoutService, OrderTokens
from billing.services.dispute_ledger import DisputeLedger
from billing.services.disputes import DisputeService
from billing.services.duplicate_captures import DuplicateCaptures
from billing.services.entitlements import EntitlementService
from billing.services.health import DatabaseCheck, HealthService
from billing.services.invoice_documents import InvoiceTerms
from billing.services.invoices import InvoiceService
from billing.services.jobs import (
    PROCESS_WEBHOOK_EVENT,
    RENDER_DOCUMENT,
    SEND_RECEIPT,
    SEND_REFUND,
    Handler,
    JobRelay,
    JobService,
)
from billing.services.orders import OrderService
from billing.services.payments import PaymentService
from billing.services.provider_customers import ProviderCustomers
from billing.services.reactions import Reactions
from billing.services.receipts import ReceiptService, ReceiptTrigger
from billing.services.reconciliation import ReconciliationService
from billing.services.refund_ledger import RefundLedger
from billing.services.refunds import RefundService
from billing.services.webhooks import WebhookService

from .settings import Settings
from .time_budgets import sql_timeouts
from .views.identity import RequestIdentity


def _job_handlers(container: Container) -> dict[str, Handler]:
    """Task name → handler; the services are looked up when a job runs (they queue jobs too)."""

    def render_document(params: Mapping[str, str]) -> object:
        return container.invoices().render(params["artifact_id"])

    def process_webhook_event(params: Mapping[str, str]) -> object:
        return container.webhooks().process_journaled(params["event_id"])

    def deliver_sandbox_event(params: Mapping[str, str]) -> object:
        container.sandbox_deliverer().handle(params)
        return None

    def send_refund(params: Mapping[str, str]) -> object:
        return container.refunds().send(params["refund_id"])

    def send_receipt(params: Mapping[str, str]) -> object:
        return container.receipts().send(params["document_id"])

    return {
        RENDER_DOCUMENT: render_document,
        PROCESS_WEBHOOK_EVENT: process_webhook_event,
        DELIVER_EVENT: deliver_sandbox_event,
        SEND_REFUND: send_refund,
        SEND_RECEIPT: send_receipt,
    }


def _inline_publisher(jobs: JobService, container: Container) -> Iterator[JobPublisher]:
    """The embedded default: jobs run in the serving process after commit; a relay thread
    re-sends what is due (stopped at shutdown)."""
    publisher = InlineJobPublisher(run=jobs.run, relay=lambda: container.job_relay().relay_all())
    yield publisher
    publisher.close()


def _broker_publisher(settings: Settings, jobs: JobService) -> Iterator[JobPublisher]:
    """Dramatiq on the broker at ``BILLING_TASK_BROKER`` (its connections closed at shutdown)."""
    from billing.adapters.tasks.broker import DramatiqJobPublisher, RedisTimeouts, make_broker

    redis = RedisTimeouts(
        heartbeat_timeout_ms=settings.task_heartbeat_seconds * 1000,
        maintenance_chance=settings.task_maintenance_per_million,
    )
    broker = make_broker(url=settings.task_broker, namespace=settings.task_namespace, redis=redis)
    publisher = DramatiqJobPublisher(broker=broker, run=jobs.run, namespace=settings.task_namespace)
    yield publisher
    publisher.close()


def _job_backend(settings: Settings) -> str:
    return "inline" if settings.jobs_inline else "broker"


def _stale_after(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.task_stale_seconds)


def _stripe_config(settings: Settings) -> StripeConfig:
    return StripeConfig(
        secret_key=settings.stripe_secret_key,
        webhook_secrets=settings.stripe_webhook_secrets,
        publishable_key=settings.stripe_publishable_key or None,
        api_base=settings.stripe_api_base,
        max_network_retries=settings.stripe_max_network_retries,
        connect_timeout=settings.stripe_connect_timeout_seconds,
        read_timeout=settings.stripe_read_timeout_seconds,
        checkout_locale=settings.invoice_locale or None,  # the pages' locale, when one is set
    )


def _sandbox_secrets(settings: Settings) -> tuple[str, ...]:
    return sandbox_webhook_secrets(settings.stripe_webhook_secrets, settings.secret_key)


def _sandbox_webhook_url(settings: Settings) -> str:
    return settings.sandbox_webhook_url or f"{settings.mount_url}/webhooks/stripe/"


def _sandbox_rehearsal(settings: Settings) -> Rehearsal:
    return Rehearsal(
        duplicate=settings.sandbox_duplicate_deliveries,
        shuffle=settings.sandbox_shuffle_deliveries,
        max_delay=settings.sandbox_delivery_delay_ms / 1000,
        failure_rate=settings.sandbox_failure_percent / 100,
    )


def _sandbox_signer(secrets: tuple[str, ...], clock: Clock) -> WebhookSigner:
    return WebhookSigner(secrets[0], clock)


def _thread_deliveries(deliverer: WebhookDeliverer) -> Iterator[TaskQueue]:
    """Without a broker, the sandbox delivers on a thread of the serving process (delivering
    from inside the paying request would deadlock a single-threaded worker on its own
    webhook); the thread is stopped at shutdown."""
    queue = ThreadTaskQueue(
        handlers={DELIVER_EVENT: deliverer.handle},
        sweep=deliverer.deliver_pending,
        sweep_every=SWEEP_EVERY,
        reorder=deliverer.arrange if deliverer.rehearsal.shuffle else None,
    )
    yield queue
    queue.stop()


def _health_database(uow_factory: UnitOfWorkFactory, clock: Clock) -> Iterator[DatabaseCheck]:
    """Health's database check, on a thread of its own (stopped at shutdown)."""
    check = DatabaseCheck(uow_factory, clock)
    yield check
    check.close()


def _reconciled_types(settings: Settings) -> tuple[str, ...] | None:
    """What the webhook endpoint subscribes to (the fake provider's events have other names)."""
    return None if settings.payment_provider == "fake" else tuple(sorted(HANDLED_EVENT_TYPES))


# -- receipts by e-mail -----------------------------------------------------------------------


def _smtp_mailer(settings: Settings) -> SmtpMailer:
    return SmtpMailer(SmtpConfig.from_url(settings.smtp_url, settings.smtp_timeout_seconds))


def _mail_sender(settings: Settings) -> Mailbox:
    return Mailbox.parse(settings.mail_from)


#: The seller printed when none is configured (refused with the Stripe provider: safety.py).
PLACEHOLDER_SELLER = "Example Seller SAS"


def _seller(settings: Settings) -> Party:
    return Party(
        name=settings.seller_name or PLACEHOLDER_SELLER,
        address=settings.seller_address,
        tax_id=settings.seller_tax_id,
        email=settings.seller_email,
        legal_form=settings.seller_legal_form,
        registration=settings.seller_siren,
        trade_register=settings.seller_trade_register,
        country=settings.seller_country,
    )


def _invoice_terms(settings: Settings) -> InvoiceTerms:
    return InvoiceTerms(
        vat_exemption_mention=settings.vat_exemption_mention,
        b2b_mentions=settings.b2b_mentions,
        footer=settings.invoice_footer,
        locale=settings.document_locale,
    )


class Container(containers.DeclarativeContainer):
    """Every provider takes keyword arguments, named as the constructor's parameters.

    Lifetimes, one rule: what a process shares is a ``ThreadSafeSingleton`` (built once even
    when two threads ask first), what needs stopping is a ``Resource`` (``shutdown(container)``
    stops it), and what belongs to one request is a ``Factory``.
    """

    __self__ = providers.Self()
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.ThreadSafeSingleton(SystemClock)
    ids = providers.ThreadSafeSingleton(RandomIds)
    metrics = providers.ThreadSafeSingleton(PrometheusMetrics)
    database_engine = providers.ThreadSafeSingleton(
        make_engine,
        database_url=settings.provided.database_url,
        timeouts=providers.Callable(sql_timeouts, settings),
    )
    uow_factory = providers.Selector(
        settings.provided.storage,
        memory=providers.ThreadSafeSingleton(MemoryUnitOfWorkFactory),
        sql=providers.ThreadSafeSingleton(SqlUnitOfWorkFactory, engine=database_engine),
    )
    artifact_store = providers.ThreadSafeSingleton(
        FilesystemArtifactStore, root=settings.provided.media_root
    )
    renderer = providers.Selector(
        settings.provided.invoice_renderer,
        pdf=providers.ThreadSafeSingleton(DeferredPdfRenderer),  # WeasyPrint loads at first use
        text=providers.ThreadSafeSingleton(TextRenderer),
    )

    entitlements = providers.ThreadSafeSingleton(
        EntitlementService, uow_factory=uow_factory, clock=clock, ids=ids
    )
    # Deferred jobs: outbox rows written with the change, handed over after commit, relayed.
    job_service = providers.ThreadSafeSingleton(
        JobService,
        uow_factory=uow_factory,
        clock=clock,
        handlers=providers.Callable(_job_handlers, __self__),
    )
    job_publisher = providers.Selector(
        providers.Callable(_job_backend, settings),
        inline=providers.Resource(_inline_publisher, jobs=job_service, container=__self__),
        broker=providers.Resource(_broker_publisher, settings=settings, jobs=job_service),
    )
    stale_after = providers.Callable(_stale_after, settings)
    job_relay = providers.ThreadSafeSingleton(
        JobRelay,
        uow_factory=uow_factory,
        publisher=job_publisher,
        clock=clock,
        stale_after=stale_after,
    )
    # A job handed over after commit is due again for the relay only once stale, like one a
    # worker took: a long queue does not make the relay send every waiting job twice.
    job_outbox = providers.ThreadSafeSingleton(
        TransactionalOutbox, publisher=job_publisher, ids=ids, grace=stale_after
    )
    # Receipts by e-mail: the job written with a document's files, and what it does.
    receipt_trigger = providers.ThreadSafeSingleton(
        ReceiptTrigger, enabled=settings.provided.mail_enabled
    )
    invoices = providers.ThreadSafeSingleton(
        InvoiceService,
        uow_factory=uow_factory,
        renderer=renderer,
        store=artifact_store,
        seller=providers.Callable(_seller, settings),
        clock=clock,
        ids=ids,
        outbox=job_outbox,
        after_render=receipt_trigger,
        terms=providers.Callable(_invoice_terms, settings),
    )
    mailer = providers.ThreadSafeSingleton(_smtp_mailer, settings)
    receipts = providers.ThreadSafeSingleton(
        ReceiptService,
        uow_factory=uow_factory,
        invoices=invoices,
        store=artifact_store,
        mailer=mailer,
        templates=providers.ThreadSafeSingleton(JinjaReceiptTemplates),
        metrics=metrics,
        clock=clock,
        sender=providers.Callable(_mail_sender, settings),
        locale=settings.provided.document_locale,
        lease=stale_after,
    )
    reactions = providers.ThreadSafeSingleton(
        Reactions, entitlements=entitlements, invoices=invoices
    )

    # The sandbox provider: its own tables beside ours, deliveries on a thread or the broker.
    sandbox_store = providers.Selector(
        settings.provided.storage,
        memory=providers.ThreadSafeSingleton(MemorySandboxStore),
        sql=providers.ThreadSafeSingleton(SqlSandboxStore, engine=database_engine),
    )
    sandbox_secrets = providers.ThreadSafeSingleton(_sandbox_secrets, settings)
    sandbox_deliverer = providers.ThreadSafeSingleton(
        WebhookDeliverer,
        store=sandbox_store,
        signer=providers.Callable(_sandbox_signer, sandbox_secrets, clock),
        url=providers.Callable(_sandbox_webhook_url, settings),
        clock=clock,
        rehearsal=providers.Callable(_sandbox_rehearsal, settings),
    )
    sandbox_tasks = providers.Selector(
        providers.Callable(_job_backend, settings),
        inline=providers.Resource(_thread_deliveries, deliverer=sandbox_deliverer),
        # With a broker: outbox jobs that `billing worker` runs (its sweep sends what they missed).
        broker=providers.ThreadSafeSingleton(
            OutboxTaskQueue, uow_factory=uow_factory, outbox=job_outbox, clock=clock
        ),
    )

    payment_provider = providers.Selector(
        settings.provided.payment_provider,
        fake=providers.ThreadSafeSingleton(FakePaymentProvider, clock=clock),
        sandbox=providers.ThreadSafeSingleton(
            SandboxPaymentProvider,
            store=sandbox_store,
            clock=clock,
            tasks=sandbox_tasks,
            webhook_secrets=sandbox_secrets,
            public_base_url=settings.provided.public_base_url,
            url_prefix=settings.provided.url_prefix,
        ),
        stripe=providers.ThreadSafeSingleton(
            StripePaymentProvider, config=providers.Callable(_stripe_config, settings), clock=clock
        ),
    )
    refund_ledger = providers.ThreadSafeSingleton(RefundLedger, ids=ids)
    # Money lifecycle: disputes and captures of an order already paid.
    dispute_ledger = providers.ThreadSafeSingleton(DisputeLedger, metrics=metrics)
    duplicate_captures = providers.ThreadSafeSingleton(
        DuplicateCaptures,
        policy=providers.Callable(DuplicateCapturePolicy, settings.provided.duplicate_capture),
        ids=ids,
        metrics=metrics,
    )
    disputes = providers.ThreadSafeSingleton(DisputeService, uow_factory=uow_factory)

    orders = providers.ThreadSafeSingleton(
        OrderService,
        uow_factory=uow_factory,
        provider=payment_provider,
        clock=clock,
        ids=ids,
        prices_include_tax=settings.provided.prices_include_tax,
    )
    provider_customers = providers.ThreadSafeSingleton(
        ProviderCustomers, uow_factory=uow_factory, provider=payment_provider, clock=clock, ids=ids
    )
    payments = providers.ThreadSafeSingleton(
        PaymentService,
        uow_factory=uow_factory,
        provider=payment_provider,
        clock=clock,
        ids=ids,
        customers=provider_customers,
    )
    refunds = providers.ThreadSafeSingleton(
        RefundService,
        uow_factory=uow_factory,
        provider=payment_provider,
        ledger=refund_ledger,
        reactions=reactions,
        jobs=job_outbox,
        clock=clock,
        ids=ids,
    )
    webhooks = providers.ThreadSafeSingleton(
        WebhookService,
        uow_factory=uow_factory,
        provider=payment_provider,
        ledger=refund_ledger,
        reactions=reactions,
        jobs=job_outbox,
        metrics=metrics,
        clock=clock,
        disputes=dispute_ledger,
        duplicates=duplicate_captures,
    )

    reconciliation = providers.ThreadSafeSingleton(
        ReconciliationService,
        uow_factory=uow_factory,
        events=payment_provider,
        webhooks=webhooks,
        clock=clock,
        event_types=providers.Callable(_reconciled_types, settings),
    )

    # The HTTP edge: who is calling, and the use cases checked against it.
    # A host may override them (the ``Billing`` extension does): a () -> user id callable, and
    # a (user id) -> bool callable saying whether that user administers billing.
    user_loader: providers.Object[Callable[[], str | None] | None] = providers.Object(None)
    admin_check: providers.Object[Callable[[str], bool] | None] = providers.Object(None)
    identity = providers.Factory(
        RequestIdentity,
        user_header=settings.provided.user_header,
        admin_token=settings.provided.admin_token,
        user_loader=user_loader,
        admin_check=admin_check,
    )
    order_tokens = providers.ThreadSafeSingleton(OrderTokens, secret=settings.provided.secret_key)
    checkout = providers.ThreadSafeSingleton(
        CheckoutService,
        uow_factory=uow_factory,
        payments=payments,
        tokens=order_tokens,
        clock=clock,
        ids=ids,
        provider_name=payment_provider.provided.name,
        publishable_key=providers.Callable(lambda s: s.stripe_publishable_key or None, settings),
        public_base_url=settings.provided.public_base_url,
        url_prefix=settings.provided.url_prefix,
        prices_include_tax=settings.provided.prices_include_tax,
    )
    access = providers.ThreadSafeSingleton(
        AccessService,
        uow_factory=uow_factory,
        orders=orders,
        refunds=refunds,
        entitlements=entitlements,
        invoices=invoices,
    )
    catalog = providers.ThreadSafeSingleton(CatalogService, uow_factory=uow_factory)
    health_database = providers.Resource(_health_database, uow_factory=uow_factory, clock=clock)

    # The administrators' listings: indexed pages of orders and refunds.
    listings = providers.Selector(
        settings.provided.storage,
        memory=providers.ThreadSafeSingleton(MemoryListings, uow_factory=uow_factory),
        sql=providers.ThreadSafeSingleton(SqlListings, engine=database_engine),
    )
    admin_orders = providers.ThreadSafeSingleton(
        AdminOrders, listings=listings, uow_factory=uow_factory, access=access
    )
    health = providers.Factory(
        HealthService,
        database=health_database,
        provider=payment_provider.provider,
        clock=clock,
        billing_enabled=settings.provided.enabled,
        provider_name=settings.provided.payment_provider,
    )


def build_container(settings: Settings | None = None) -> Container:
    return Container(settings=settings or Settings.from_env())


def shutdown(container: Container) -> None:
    """Stop what the container started (its resources: the inline relay's thread, the sandbox's
    delivery thread, the broker's connections) and unwire it: for a host application that
    stops, and for tests."""
    container.shutdown_resources()
    container.unwire()

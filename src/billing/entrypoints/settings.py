"""Settings, read from the environment only, validated once, secrets kept out of ``repr``."""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

from billing.domain.errors import InvalidInput

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise InvalidInput(f"{name} must be true or false, not {raw!r}", setting=name)
    return value in _TRUE


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer, not {raw!r}", setting=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", setting=name)
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: set[str]) -> str:
    value = env.get(name, default).strip().lower()
    if value not in choices:
        raise InvalidInput(f"{name} must be one of {sorted(choices)}, not {value!r}", setting=name)
    return value


@attrs.frozen
class Settings:
    """Every setting of the service; ``Settings.from_env()`` is the only way they are read."""

    enabled: bool = False
    database_url: str = "sqlite:///./var/billing.db"
    #: ``sql`` (the database at ``database_url``; the default from the environment) or
    #: ``memory`` (nothing kept; the default of settings built in code, as tests do).
    storage: str = "memory"
    #: ``sandbox`` from the environment (the embedded default); ``fake`` for settings built in code.
    payment_provider: str = "fake"
    #: ``inline`` (jobs run in the serving process after commit) or a Dramatiq broker URL:
    #: ``redis://host:6379/0`` or ``amqp://user:pass@host:5672/vhost``.
    task_broker: str = "inline"
    #: Prefix of the broker's keys and queues, so deployments (and test runs) can share one.
    task_namespace: str = "billing"
    #: A job handed to a worker and not done after this many seconds is handed over again.
    task_stale_seconds: int = 60
    #: Redis: a worker silent this many seconds is dead and its fetched messages are re-queued,
    #: by the broker commands that check (this many per million; Dramatiq's default).
    task_heartbeat_seconds: int = 15
    task_maintenance_per_million: int = 1_000
    #: ``sync``: the webhook endpoint applies each event; ``async``: it verifies, journals and
    #: queues it, and a worker applies it.
    webhook_mode: str = "sync"
    #: ``pdf`` (WeasyPrint) or ``text`` (plain files; fast, for tests and rehearsals).
    invoice_renderer: str = "pdf"
    media_root: str = "./var/media"
    stripe_secret_key: str = attrs.field(default="", repr=False)
    stripe_webhook_secrets: tuple[str, ...] = attrs.field(default=(), repr=False)
    stripe_publishable_key: str = ""
    stripe_api_base: str | None = None
    stripe_max_network_retries: int = 2
    seller_name: str = "Example Seller SAS"
    seller_address: str = ""
    seller_tax_id: str = ""
    seller_email: str = ""
    admin_token: str = attrs.field(default="", repr=False)
    public_base_url: str = "http://127.0.0.1:8000"
    #: Signs guest order tokens and request-keyed order ids (see ``services/checkout.py``).
    secret_key: str = attrs.field(default="", repr=False)
    #: A trusted header set by the host's gateway with the logged-in user id; off when empty.
    user_header: str = ""
    #: Load the demo catalog at start when the catalog is empty (the embedded local run).
    demo_catalog: bool = False
    #: Where the sandbox provider POSTs its events; empty: this app's own webhook endpoint.
    sandbox_webhook_url: str = ""
    #: Sandbox rehearsal knobs: send every event twice; in a random order; each held back up
    #: to this many milliseconds; drop this percentage of attempts.
    sandbox_duplicate_deliveries: bool = False
    sandbox_shuffle_deliveries: bool = False
    sandbox_delivery_delay_ms: int = 0
    sandbox_failure_percent: int = 0
    # -- money lifecycle (issue 17) -------------------------------------------------------------
    #: A second payment captured for an order already paid: ``refund`` it automatically
    #: (key ``re:dup:{payment_id}``), or only ``flag`` it (recorded, logged, counted).
    duplicate_capture: str = "refund"

    @property
    def jobs_inline(self) -> bool:
        """Deferred jobs run in the serving process (no broker, no ``billing worker``)."""
        return self.task_broker.lower() == "inline"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        default = cls()
        secrets = env.get("STRIPE_WEBHOOK_SECRET", "")
        return cls(
            enabled=_flag(env, "BILLING_ENABLED", False),
            database_url=env.get("BILLING_DATABASE_URL", default.database_url),
            storage=_choice(env, "BILLING_STORAGE", "sql", {"sql", "memory"}),
            payment_provider=_choice(
                env,
                "BILLING_PAYMENT_PROVIDER",
                "sandbox",  # the embedded default: Stripe-like, offline
                {"fake", "sandbox", "stripe"},
            ),
            task_broker=env.get("BILLING_TASK_BROKER", default.task_broker).strip(),
            task_namespace=env.get("BILLING_TASK_NAMESPACE", default.task_namespace).strip(),
            task_stale_seconds=_int(env, "BILLING_TASK_STALE_SECONDS", 60, 1, 86400),
            task_heartbeat_seconds=_int(env, "BILLING_TASK_HEARTBEAT_SECONDS", 15, 1, 3600),
            task_maintenance_per_million=_int(
                env, "BILLING_TASK_MAINTENANCE_PER_MILLION", 1_000, 1, 1_000_000
            ),
            webhook_mode=_choice(env, "BILLING_WEBHOOK_MODE", "sync", {"sync", "async"}),
            invoice_renderer=_choice(env, "BILLING_INVOICE_RENDERER", "pdf", {"pdf", "text"}),
            media_root=env.get("BILLING_MEDIA_ROOT", default.media_root),
            stripe_secret_key=env.get("STRIPE_SECRET_KEY", ""),
            stripe_webhook_secrets=tuple(s.strip() for s in secrets.split(",") if s.strip()),
            stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY", ""),
            stripe_api_base=env.get("BILLING_STRIPE_API_BASE") or None,
            stripe_max_network_retries=_int(env, "BILLING_STRIPE_MAX_NETWORK_RETRIES", 2, 0, 10),
            seller_name=env.get("BILLING_SELLER_NAME", default.seller_name),
            seller_address=env.get("BILLING_SELLER_ADDRESS", ""),
            seller_tax_id=env.get("BILLING_SELLER_TAX_ID", ""),
            seller_email=env.get("BILLING_SELLER_EMAIL", ""),
            admin_token=env.get("BILLING_ADMIN_TOKEN", ""),
            public_base_url=env.get("BILLING_PUBLIC_BASE_URL", default.public_base_url),
            secret_key=env.get("BILLING_SECRET_KEY", ""),
            user_header=env.get("BILLING_USER_HEADER", "").strip(),
            demo_catalog=_flag(env, "BILLING_DEMO_CATALOG", False),
            sandbox_webhook_url=env.get("BILLING_SANDBOX_WEBHOOK_URL", "").strip(),
            sandbox_duplicate_deliveries=_flag(env, "BILLING_SANDBOX_DUPLICATE_DELIVERIES", False),
            sandbox_shuffle_deliveries=_flag(env, "BILLING_SANDBOX_SHUFFLE_DELIVERIES", False),
            sandbox_delivery_delay_ms=_int(env, "BILLING_SANDBOX_DELIVERY_DELAY_MS", 0, 0, 60_000),
            sandbox_failure_percent=_int(env, "BILLING_SANDBOX_FAILURE_PERCENT", 0, 0, 100),
            # -- money lifecycle (issue 17) ---------------------------------------------------
            duplicate_capture=_choice(
                env, "BILLING_DUPLICATE_CAPTURE", "refund", {"refund", "flag"}
            ),
        )

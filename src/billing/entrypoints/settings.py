"""Every setting of the service, declared once: variable, default, parser, secrecy.

``Settings.from_env()`` reads the environment (a host application passes its ``app.config``
the same way); ``Settings(...)`` in code takes the same names, parsed and checked alike, with
the same defaults: the embedded default (a SQLite file, the sandbox provider, inline jobs).
``Settings.in_memory()`` is the variant that keeps nothing (tests, ``billing demo``).

Settings that cannot work together are refused when the object is made (``safety.py``), so no
process ever starts on them; each refusal is one ``ConfigurationError`` line naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from billing.adapters.mail import SmtpConfig
from billing.domain.errors import InvalidInput
from billing.domain.mail import Mailbox

from .configuration import checked, choice, flag, integer, read, setting, shown, text, text_list
from .database_url import database_url
from .identifiers import company_number, vat_number
from .safety import refuse_unsafe

PROVIDERS = ("fake", "sandbox", "stripe")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_PATH_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")


def _web_url(value: Any) -> str:
    """An absolute http(s) URL without query or fragment, kept without its trailing slash."""
    url = text(value).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"must be an http:// or https:// address, not {shown(value)}")
    return url


def _optional_web_url(value: Any) -> str | None:
    return None if value is None or text(value) == "" else _web_url(value)


def _url_prefix(value: Any) -> str:
    """``/billing`` or ``/shop/billing`` (kept without its trailing slash); empty: the root."""
    prefix = text(value).rstrip("/")
    if not _PATH_PREFIX.match(prefix):
        raise ValueError(f"must be a path such as /billing or /shop/billing, not {shown(value)}")
    return prefix


def _broker(value: Any) -> str:
    broker = text(value)
    if broker.lower() == "inline":
        return "inline"
    if urlsplit(broker).scheme not in ("redis", "rediss", "amqp", "amqps"):
        raise ValueError(f"must be inline, redis://… or amqp://…, not {shown(value)}")
    return broker


def _prefixed(*prefixes: str) -> Any:
    def check(value: str) -> str | None:
        if value == "" or value.startswith(prefixes):
            return None
        return f"must start with {' or '.join(prefixes)}"

    return check


def _locale(value: Any) -> str:
    """``fr`` or ``en``; empty when unset (the documents and the pages default differently)."""
    return "" if text(value) == "" else choice("fr", "en")(value)


def _header_name(value: str) -> str | None:
    return None if value == "" or _HEADER_NAME.match(value) else "must be an HTTP header name"


def _webhook_secrets(values: tuple[str, ...]) -> str | None:
    wrong = [secret for secret in values if not secret.startswith("whsec_")]
    return "each secret must start with whsec_ (the endpoint's signing secret)" if wrong else None


def _smtp_url(value: Any) -> str:
    url = text(value)
    if url:
        try:
            SmtpConfig.from_url(url)  # never echoes the URL: it holds the password
        except InvalidInput as error:
            raise ValueError(error.message.removeprefix("BILLING_SMTP_URL ")) from None
    return url


def _mailbox(value: Any) -> str:
    sender = text(value)
    if sender:
        try:
            Mailbox.parse(sender)
        except InvalidInput:
            raise ValueError(f"is not an e-mail address: {shown(sender)}") from None
    return sender


def _address(value: Any) -> str:
    lines = text(value).replace("\\n", "\n").split("\n")
    return "\n".join(line.strip() for line in lines if line.strip())


def _country(value: Any) -> str:
    code = text(value).upper()
    if code and not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise ValueError(f"must be an ISO 3166-1 alpha-2 country code (FR), not {shown(value)}")
    return code


def _optional(check: Any) -> Any:
    """``check`` for a value that may also be empty (not set)."""

    def parse(value: Any) -> str:
        given = text(value)
        return str(check(given)) if given else ""

    return parse


def _default_provider(settings: Settings) -> str:
    """Never the sandbox when a Stripe secret key is configured."""
    return "stripe" if settings.stripe_secret_key else "sandbox"


@attrs.frozen
class Settings:
    """Every setting of the service (see the README's table for what each one means)."""

    enabled: bool = setting("BILLING_ENABLED", False, flag)
    database_url: str = setting("BILLING_DATABASE_URL", "sqlite:///./var/billing.db", database_url)
    #: ``sql`` (the database at ``database_url``) or ``memory`` (nothing kept: tests, demo).
    storage: str = setting("BILLING_STORAGE", "sql", choice("sql", "memory"))
    stripe_secret_key: str = setting(
        "STRIPE_SECRET_KEY",
        "",
        checked(text, _prefixed("sk_live_", "sk_test_", "rk_live_", "rk_test_")),
        secret=True,
    )
    stripe_webhook_secrets: tuple[str, ...] = setting(
        "STRIPE_WEBHOOK_SECRET", (), checked(text_list, _webhook_secrets), secret=True
    )
    stripe_publishable_key: str = setting(
        "STRIPE_PUBLISHABLE_KEY", "", checked(text, _prefixed("pk_live_", "pk_test_"))
    )
    stripe_api_base: str | None = setting("BILLING_STRIPE_API_BASE", None, _optional_web_url)
    stripe_max_network_retries: int = setting(
        "BILLING_STRIPE_MAX_NETWORK_RETRIES", 2, integer(0, 10)
    )
    # Time budgets (README, "Time budgets"): no wait outlasts a request's budget, which ends
    # before gunicorn's --timeout kills the worker; ``time_budgets.py`` checks that they fit.
    request_budget_seconds: int = setting("BILLING_REQUEST_BUDGET_SECONDS", 25, integer(1, 3600))
    worker_timeout_seconds: int = setting("BILLING_WORKER_TIMEOUT_SECONDS", 30, integer(2, 3600))
    database_connect_timeout_seconds: int = setting(
        "BILLING_DATABASE_CONNECT_TIMEOUT_SECONDS", 5, integer(2, 600)
    )
    database_statement_timeout_seconds: int = setting(
        "BILLING_DATABASE_STATEMENT_TIMEOUT_SECONDS", 5, integer(1, 3600)
    )
    database_lock_timeout_seconds: int = setting(
        "BILLING_DATABASE_LOCK_TIMEOUT_SECONDS", 3, integer(1, 3600)
    )
    database_pool_timeout_seconds: int = setting(
        "BILLING_DATABASE_POOL_TIMEOUT_SECONDS", 5, integer(1, 600)
    )
    stripe_connect_timeout_seconds: int = setting(
        "BILLING_STRIPE_CONNECT_TIMEOUT_SECONDS", 2, integer(1, 60)
    )
    stripe_read_timeout_seconds: int = setting(
        "BILLING_STRIPE_READ_TIMEOUT_SECONDS", 5, integer(1, 600)
    )
    #: ``stripe`` when a Stripe secret key is set, else ``sandbox`` (Stripe's test mode,
    #: offline); ``fake`` is the in-process provider of tests.
    payment_provider: str = setting(
        "BILLING_PAYMENT_PROVIDER",
        attrs.Factory(_default_provider, takes_self=True),
        choice(*PROVIDERS),
    )
    #: ``inline`` (jobs run in the serving process after commit) or a Dramatiq broker URL:
    #: ``redis://host:6379/0`` or ``amqp://user:pass@host:5672/vhost``.
    task_broker: str = setting("BILLING_TASK_BROKER", "inline", _broker)
    #: Prefix of the broker's keys and queues, so deployments (and test runs) can share one.
    task_namespace: str = setting("BILLING_TASK_NAMESPACE", "billing", text)
    #: A job handed to a worker and not done after this many seconds is handed over again.
    task_stale_seconds: int = setting("BILLING_TASK_STALE_SECONDS", 60, integer(1, 86_400))
    #: Redis: a worker silent this many seconds is dead and its fetched messages are re-queued,
    #: by the broker commands that check (this many per million; Dramatiq's default).
    task_heartbeat_seconds: int = setting("BILLING_TASK_HEARTBEAT_SECONDS", 15, integer(1, 3600))
    task_maintenance_per_million: int = setting(
        "BILLING_TASK_MAINTENANCE_PER_MILLION", 1_000, integer(1, 1_000_000)
    )
    #: ``sync``: the webhook endpoint applies each event; ``async``: it verifies, journals and
    #: queues it, and a worker applies it.
    webhook_mode: str = setting("BILLING_WEBHOOK_MODE", "sync", choice("sync", "async"))
    #: ``pdf`` (WeasyPrint) or ``text`` (plain files; fast, for tests and rehearsals).
    invoice_renderer: str = setting("BILLING_INVOICE_RENDERER", "pdf", choice("pdf", "text"))
    media_root: str = setting("BILLING_MEDIA_ROOT", "./var/media", text)
    # The seller as every invoice names it (required with the Stripe provider: name, address
    # and a VAT number or a SIREN/SIRET; see safety.py).
    seller_name: str = setting("BILLING_SELLER_NAME", "", text)
    #: "SAS au capital de 10 000 €".
    seller_legal_form: str = setting("BILLING_SELLER_LEGAL_FORM", "", text)
    #: Lines separated by newlines or by the two characters \n.
    seller_address: str = setting("BILLING_SELLER_ADDRESS", "", _address)
    seller_country: str = setting("BILLING_SELLER_COUNTRY", "FR", _country)
    #: The intra-community VAT number (FR40303265045), checked with python-stdnum.
    seller_tax_id: str = setting("BILLING_SELLER_TAX_ID", "", _optional(vat_number))
    #: SIREN (9 digits) or SIRET (14), Luhn-checked.
    seller_siren: str = setting("BILLING_SELLER_SIREN", "", _optional(company_number))
    #: The trade register entry: "RCS Paris 732 829 320".
    seller_trade_register: str = setting("BILLING_SELLER_RCS", "", text)
    seller_email: str = setting("BILLING_SELLER_EMAIL", "", _mailbox)
    #: True (B2C): the catalog's prices include VAT; false: they are net, VAT is added.
    prices_include_tax: bool = setting("BILLING_PRICES_INCLUDE_TAX", True, flag)
    #: Printed on every document of a seller under the VAT franchise
    #: ("TVA non applicable, art. 293 B du CGI"), and the reason of exempt lines without one.
    vat_exemption_mention: str = setting("BILLING_VAT_EXEMPTION_MENTION", "", text)
    #: The B2B mentions (late-payment penalties, the 40 € recovery indemnity): ``auto`` when
    #: the buyer gave a VAT number, ``always`` or ``never``.
    b2b_mentions: str = setting("BILLING_B2B_MENTIONS", "auto", choice("auto", "always", "never"))
    #: A free line printed at the foot of every document.
    invoice_footer: str = setting("BILLING_INVOICE_FOOTER", "", text)
    admin_token: str = setting("BILLING_ADMIN_TOKEN", "", text, secret=True)
    #: When set, ``/billing/metrics`` answers only ``Authorization: Bearer <this token>``.
    metrics_token: str = setting("BILLING_METRICS_TOKEN", "", text, secret=True)
    public_base_url: str = setting("BILLING_PUBLIC_BASE_URL", "http://127.0.0.1:8000", _web_url)
    #: Where the routes are mounted in the app (a host application chooses its own).
    url_prefix: str = setting("BILLING_URL_PREFIX", "/billing", _url_prefix)
    #: Signs guest order tokens and request-keyed order ids (see ``services/checkout.py``).
    secret_key: str = setting("BILLING_SECRET_KEY", "", text, secret=True)
    #: A trusted header set by the host's gateway with the logged-in user id; off when empty.
    user_header: str = setting("BILLING_USER_HEADER", "", checked(text, _header_name))
    #: Load the demo catalog at start when the catalog is empty (the embedded local run).
    demo_catalog: bool = setting("BILLING_DEMO_CATALOG", False, flag)
    #: Where the sandbox provider POSTs its events; None: this app's own webhook endpoint.
    sandbox_webhook_url: str | None = setting(
        "BILLING_SANDBOX_WEBHOOK_URL", None, _optional_web_url
    )
    #: Sandbox rehearsal knobs: send every event twice; in a random order; each held back up
    #: to this many milliseconds; drop this percentage of attempts.
    sandbox_duplicate_deliveries: bool = setting(
        "BILLING_SANDBOX_DUPLICATE_DELIVERIES", False, flag
    )
    sandbox_shuffle_deliveries: bool = setting("BILLING_SANDBOX_SHUFFLE_DELIVERIES", False, flag)
    sandbox_delivery_delay_ms: int = setting(
        "BILLING_SANDBOX_DELIVERY_DELAY_MS", 0, integer(0, 60_000)
    )
    sandbox_failure_percent: int = setting("BILLING_SANDBOX_FAILURE_PERCENT", 0, integer(0, 100))
    #: A second payment captured for an order already paid: ``refund`` it automatically
    #: (key ``re:dup:{payment_id}``), or only ``flag`` it (recorded, logged, counted).
    duplicate_capture: str = setting(
        "BILLING_DUPLICATE_CAPTURE", "refund", choice("refund", "flag")
    )
    #: ``smtp://user:pass@host:587`` (STARTTLS when offered, ``?starttls=required``) or
    #: ``smtps://user:pass@host:465``, ``?ca_file=/path`` to trust one CA; empty: no e-mail.
    smtp_url: str = setting("BILLING_SMTP_URL", "", _smtp_url, secret=True)
    #: The receipts' sender: ``shop@example.com`` or ``Shop name <shop@example.com>``.
    mail_from: str = setting("BILLING_MAIL_FROM", "", _mailbox)
    smtp_timeout_seconds: int = setting("BILLING_SMTP_TIMEOUT_SECONDS", 10, integer(1, 120))
    #: ``fr`` or ``en``: the language of receipts, invoices and the shopper's pages; unset
    #: (empty): documents in French, pages in English (``document_locale``, ``page_locale``).
    invoice_locale: str = setting("BILLING_INVOICE_LOCALE", "", _locale)

    def __attrs_post_init__(self) -> None:
        refuse_unsafe(self)

    @property
    def mail_enabled(self) -> bool:
        """Receipts are e-mailed (``BILLING_SMTP_URL`` is set)."""
        return bool(self.smtp_url)

    @property
    def document_locale(self) -> str:
        """The invoices' and receipts' language: ``BILLING_INVOICE_LOCALE``, else French."""
        return self.invoice_locale or "fr"

    @property
    def page_locale(self) -> str:
        """The shopper's pages' language: ``BILLING_INVOICE_LOCALE``, else English."""
        return self.invoice_locale or "en"

    @property
    def mount_url(self) -> str:
        """The routes' public address: ``BILLING_PUBLIC_BASE_URL`` + ``BILLING_URL_PREFIX``."""
        return self.public_base_url.rstrip("/") + self.url_prefix

    @property
    def jobs_inline(self) -> bool:
        """Deferred jobs run in the serving process (no broker, no ``billing worker``)."""
        return self.task_broker == "inline"

    @classmethod
    def from_env(cls, env: Mapping[str, Any] | None = None, **given: Any) -> Settings:
        """The settings of the variables present in ``env`` (default: the process's
        environment); ``given`` fields take precedence."""
        return read(cls, os.environ if env is None else env, **given)

    @classmethod
    def in_memory(cls, **given: Any) -> Settings:
        """Nothing kept and nothing external: memory storage and the fake provider."""
        return cls(**{"storage": "memory", "payment_provider": "fake", **given})

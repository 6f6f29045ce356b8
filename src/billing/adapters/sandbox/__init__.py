"""The sandbox payment provider: Stripe's test mode, offline, with signed webhook deliveries.

Public API: ``SandboxPaymentProvider`` (the ``PaymentProvider`` port plus the customer's side:
``pay``, ``confirm``, ``expire_session``, ``fail_refund``, the hosted page's ``describe`` and
``check_page_form``, refusing with ``PageRefused``; an id it does not know is
``NoSuchObject``), ``WebhookDeliverer`` (task ``DELIVER_EVENT``), ``MemorySandboxStore`` /
``SqlSandboxStore``, ``WebhookSigner`` and
``sandbox_webhook_secrets``, the test card numbers in ``cards``, and ``TABLES`` (its tables, on
``billing.adapters.sql.metadata``; created by migration 0002).
"""

from . import cards
from .deliverer import DeliveryFailed, DeliveryPolicy, Rehearsal, WebhookDeliverer
from .provider import (
    CHECKOUT_PATH,
    DELIVER_EVENT,
    NoSuchObject,
    PageRefused,
    SandboxPaymentProvider,
)
from .signing import WebhookSigner, sandbox_webhook_secrets
from .sql_store import SqlSandboxStore
from .store import MemorySandboxStore, SandboxStore, StoredEvent
from .tables import TABLES

__all__ = [
    "CHECKOUT_PATH",
    "DELIVER_EVENT",
    "TABLES",
    "DeliveryFailed",
    "DeliveryPolicy",
    "MemorySandboxStore",
    "NoSuchObject",
    "PageRefused",
    "Rehearsal",
    "SandboxPaymentProvider",
    "SandboxStore",
    "SqlSandboxStore",
    "StoredEvent",
    "WebhookDeliverer",
    "WebhookSigner",
    "cards",
    "sandbox_webhook_secrets",
]

"""The sandbox payment provider: Stripe's test mode, offline, with signed webhook deliveries.

Public API: ``SandboxPaymentProvider`` (the ``PaymentProvider`` port plus the customer's side:
``pay``, ``confirm``, ``expire_session``, ``fail_refund``), ``WebhookDeliverer`` (task
``DELIVER_EVENT``), ``MemorySandboxStore`` / ``SqlSandboxStore``, ``WebhookSigner`` and
``sandbox_webhook_secrets``, and the test card numbers in ``cards``.
"""

from . import cards
from .deliverer import DeliveryFailed, DeliveryPolicy, Rehearsal, WebhookDeliverer
from .provider import CHECKOUT_PATH, DELIVER_EVENT, SandboxPaymentProvider
from .signing import WebhookSigner, sandbox_webhook_secrets
from .sql_store import SqlSandboxStore
from .store import MemorySandboxStore, SandboxStore, StoredEvent

__all__ = [
    "CHECKOUT_PATH",
    "DELIVER_EVENT",
    "DeliveryFailed",
    "DeliveryPolicy",
    "MemorySandboxStore",
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

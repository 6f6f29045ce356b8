"""``SandboxPaymentProvider``: the ``PaymentProvider`` port answered like Stripe's test mode.

PaymentIntents, Checkout Sessions, charges and refunds are Stripe-shaped JSON kept in the
sandbox's own store. A person (the hosted page) or a script (the JSON API) pays with Stripe's
test cards (``cards.py``); every change emits the events Stripe would send to an endpoint
subscribed to the types the Stripe adapter handles. Events are stored first, then handed to the
``TaskQueue`` (task ``sandbox_deliver_event``) for the deliverer to sign and POST; one the queue
loses stays undelivered in the store until ``WebhookDeliverer.deliver_pending`` sends it.

This class puts the parts together: ``payments.py`` (intents and sessions), ``refunds.py``,
``hosted.py`` (the hosted page), over ``core.py`` (transactions, events, idempotency keys).
Reading payments and webhooks reuses the Stripe adapter's records, translation and signature
verification (its public names), so what the services see is exactly what the Stripe adapter
would give them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from billing.adapters.stripe_format import (
    WebhookVerifier,
    event_from_body,
    event_from_text,
    webhook_secret_list,
)
from billing.domain.errors import InvalidPayload
from billing.domain.order import Order
from billing.domain.payment import ProviderPayment, ProviderRefund
from billing.domain.provider_event import ProviderEvent
from billing.domain.refund import Refund
from billing.ports.clock import Clock
from billing.ports.tasks import TaskQueue

from .core import (
    CHECKOUT_PATH,
    DEFAULT_URL_PREFIX,
    DELIVER_EVENT,
    NoSuchObject,
    SandboxCore,
    rejected,
)
from .hosted import HostedLine, HostedPages, HostedPayment, PageRefused, page_key
from .payments import DEFAULT_SESSION_TTL, SandboxPayments
from .refunds import REFUND_REASONS, SandboxRefunds
from .store import Document, SandboxStore, StoredEvent

__all__ = [
    "CHECKOUT_PATH",
    "DEFAULT_SESSION_TTL",
    "DELIVER_EVENT",
    "REFUND_REASONS",
    "HostedLine",
    "HostedPayment",
    "NoSuchObject",
    "PageRefused",
    "SandboxPaymentProvider",
]


class SandboxPaymentProvider:
    """Stripe's test mode, offline: see the module docstring."""

    name = "sandbox"

    def __init__(
        self,
        store: SandboxStore,
        clock: Clock,
        tasks: TaskQueue,
        webhook_secrets: str | Sequence[str] | None,
        public_base_url: str,
        *,
        url_prefix: str = DEFAULT_URL_PREFIX,
        webhook_tolerance: int = 300,
        session_ttl: timedelta = DEFAULT_SESSION_TTL,
    ) -> None:
        self._core = SandboxCore(store, clock, tasks, public_base_url, url_prefix)
        self._payments = SandboxPayments(self._core, session_ttl)
        self._refunds = SandboxRefunds(self._core)
        signing = webhook_secret_list(webhook_secrets)
        self._pages = HostedPages(self._core, page_key(signing[0] if signing else None))
        self._verifier = WebhookVerifier(signing, clock, webhook_tolerance)

    def __repr__(self) -> str:
        return f"SandboxPaymentProvider(base_url={self._core.base_url!r})"

    def checkout_url(self, payment_id: str, client_secret: str | None = None) -> str:
        """The hosted page where the payment is paid (a PaymentIntent's with its client
        secret)."""
        return self._core.checkout_url(payment_id, client_secret)

    # -- PaymentProvider: payments ------------------------------------------------------------

    def create_customer(self, user_id: str, email: str | None, idempotency_key: str) -> str:
        return self._payments.create_customer(user_id, email, idempotency_key)

    def create_payment_intent(
        self, order: Order, idempotency_key: str, customer_id: str | None = None
    ) -> ProviderPayment:
        return self._payments.create_payment_intent(order, idempotency_key, customer_id)

    def create_checkout_session(
        self,
        order: Order,
        idempotency_key: str,
        success_url: str,
        cancel_url: str,
        customer_id: str | None = None,
    ) -> ProviderPayment:
        return self._payments.create_checkout_session(
            order, idempotency_key, success_url, cancel_url, customer_id
        )

    def retrieve_payment(self, payment_id: str) -> ProviderPayment:
        return self._payments.retrieve_payment(payment_id)

    def find_payment_intent(self, order_id: str) -> ProviderPayment | None:
        """Always None: the sandbox keeps idempotency keys for good, so the attempt's key
        alone finds its PaymentIntent again, however late the retry."""
        return None

    def retrieve(self, object_id: str) -> Document:
        """Any sandbox object (PaymentIntent, Checkout Session, charge, refund) as Stripe JSON."""
        return self._payments.retrieve(object_id)

    def cancel_payment(self, payment_id: str) -> None:
        """Cancel a PaymentIntent or expire a Checkout Session; doing it twice is harmless."""
        self._payments.cancel_payment(payment_id)

    def expire_session(self, session_id: str) -> ProviderPayment:
        """``POST /v1/checkout/sessions/{id}/expire``."""
        return self._payments.expire_session(session_id)

    # -- PaymentProvider: refunds -------------------------------------------------------------

    def refund(self, refund: Refund, payment_id: str, idempotency_key: str) -> ProviderRefund:
        return self._refunds.refund(refund, payment_id, idempotency_key)

    def fail_refund(
        self, refund_id: str, failure_reason: str = "expired_or_canceled_card"
    ) -> ProviderRefund:
        """The bank gives the money back days later: the refund fails (staging rehearsal)."""
        return self._refunds.fail_refund(refund_id, failure_reason)

    # -- the customer's side: the hosted page and the JSON API --------------------------------

    def describe(self, payment_id: str, client_secret: str | None = None) -> HostedPayment:
        """What the hosted page shows about ``payment_id``; a PaymentIntent only with its
        client secret (``PageRefused`` otherwise)."""
        return self._pages.describe(payment_id, client_secret)

    def check_page_form(
        self, payment_id: str, client_secret: str | None, page_token: str | None
    ) -> None:
        """Refuse (``PageRefused``) a hosted-page form without its page's token, or a
        PaymentIntent's without its client secret."""
        self._pages.check_form(payment_id, client_secret, page_token)

    def pay(self, payment_id: str, card_number: str) -> ProviderPayment:
        """Confirm the payment with a test card. A declined card raises ``PaymentDeclined``
        (after the failure and its event are stored); the payment stays payable."""
        return self._payments.pay(payment_id, card_number)

    def confirm(self, payment_id: str, *, authenticate: bool = True) -> ProviderPayment:
        """The 3-D Secure step: complete (the payment succeeds) or fail the authentication."""
        return self._payments.confirm(payment_id, authenticate=authenticate)

    # -- PaymentProvider: webhooks, and the event log -----------------------------------------

    @property
    def webhook_configured(self) -> bool:
        return self._verifier.configured

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        event, translated = event_from_text(self._verifier.verify(payload, signature_header))
        if event.livemode:
            raise InvalidPayload("a live mode event reached the sandbox", event_id=event.id)
        return translated

    def parse_event(self, payload: bytes) -> ProviderEvent:
        return event_from_body(payload)

    def list_events(
        self, since: datetime, types: Sequence[str] | None = None
    ) -> list[ProviderEvent]:
        """Every event the sandbox created at or after ``since``, newest first (Stripe's Events
        list API, for reconciliation); ``types`` narrows the list."""
        stored = self._core.store.run(lambda session: session.events_since(since))
        wanted = set(types) if types else None
        return [
            self.parse_event(event.payload.encode())
            for event in stored
            if wanted is None or event.type in wanted
        ]

    def event(self, event_id: str) -> StoredEvent:
        found = self._core.store.run(lambda session: session.get_event(event_id))
        if found is None:
            raise rejected(f"No such event: '{event_id}'", "resource_missing")
        return found

    def undelivered_events(self, limit: int = 1000) -> list[StoredEvent]:
        return self._core.store.run(lambda session: session.undelivered_events(limit))

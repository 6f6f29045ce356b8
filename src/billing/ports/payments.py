"""The payment provider port: Stripe in production, a sandbox in staging, a fake in tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from billing.domain.order import Order
from billing.domain.payment import ProviderPayment, ProviderRefund
from billing.domain.provider_event import ProviderEvent
from billing.domain.refund import Refund


@runtime_checkable
class PaymentProvider(Protocol):
    """Creates payments and refunds, and verifies the provider's webhooks.

    Every creating call takes an idempotency key: the same key returns the same object.
    Errors are ``billing.domain.errors.ProviderError`` subclasses, never an SDK's.
    """

    name: str

    def create_customer(self, user_id: str, email: str | None, idempotency_key: str) -> str:
        """The provider's customer (``cus_…``) for one of our users, its id in the metadata;
        the same key returns the same customer."""
        ...

    def create_payment_intent(
        self, order: Order, idempotency_key: str, customer_id: str | None = None
    ) -> ProviderPayment:
        """A PaymentIntent for the order's total, attached to ``customer_id`` when given."""
        ...

    def create_checkout_session(
        self,
        order: Order,
        idempotency_key: str,
        success_url: str,
        cancel_url: str,
        customer_id: str | None = None,
    ) -> ProviderPayment:
        """A Checkout Session of the order's lines, for ``customer_id`` when given (else for
        the order's email)."""
        ...

    def retrieve_payment(self, payment_id: str) -> ProviderPayment: ...

    def find_payment_intent(self, order_id: str) -> ProviderPayment | None:
        """The order's PaymentIntent that can still be paid or has been, found by the order id
        it carries (None when there is none). For a checkout retried after the provider forgot
        its idempotency key (``IDEMPOTENCY_WINDOW``): the key alone would make a second one."""
        ...

    def cancel_payment(self, payment_id: str) -> None: ...

    def refund(self, refund: Refund, payment_id: str, idempotency_key: str) -> ProviderRefund: ...

    @property
    def webhook_configured(self) -> bool: ...

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        """Verify the signature over the raw bytes, then translate the event.

        Raises InvalidSignature (and refuses everything when no secret is configured) or
        InvalidPayload.
        """
        ...

    def parse_event(self, payload: bytes) -> ProviderEvent:
        """Translate a payload that was verified before (a journaled event being re-run).

        Raises InvalidPayload.
        """
        ...


@runtime_checkable
class ProviderEventLog(Protocol):
    """The provider's own record of the events it sent: what reconciliation compares with our
    journal. Stripe keeps 30 days of events; a provider lists what it still has."""

    def list_events(
        self, since: datetime, types: Sequence[str] | None = None
    ) -> Iterable[ProviderEvent]:
        """Every event created at or after ``since`` (``types`` narrows the list), translated
        like a webhook; ``payload`` reads back with ``parse_event``."""
        ...

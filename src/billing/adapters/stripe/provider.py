"""``StripePaymentProvider``: the ``PaymentProvider`` port over ``stripe.StripeClient``.

HTTP goes through ``stripe.HTTPXClient`` (so tests intercept every call with respx), every
request carries the pinned ``Stripe-Version``, creating calls carry the idempotency key the
service chose (``pi:…``, ``cs:…``, ``re:…``), and stripe-python retries connection errors
(timeouts included), 409s and 5xx up to ``max_network_retries`` times with that same key;
every attempt is bounded by the configured connect and read timeouts. No stripe exception
leaves this module: see ``errors.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
import stripe
from stripe import RequestOptions

from billing.adapters.stripe_format import (
    CHECKOUT_TTL_MIN,
    CheckoutSessionRecord,
    EventRecord,
    PaymentIntentRecord,
    RefundRecord,
    WebhookVerifier,
    read,
)
from billing.adapters.stripe_format.translate import (
    event_from_body,
    event_from_text,
    payment_from_intent,
    payment_from_session,
    refund_from_record,
    translate_event,
)
from billing.correlation import outgoing_headers
from billing.domain.errors import InvalidPayload, PaymentNotCancelable, ProviderRejected
from billing.domain.order import Order
from billing.domain.payment import ProviderPayment, ProviderRefund
from billing.domain.provider_event import ProviderEvent
from billing.domain.refund import Refund
from billing.ports.clock import Clock

from .config import StripeConfig
from .errors import stripe_errors, unexpected_response

T = TypeVar("T")
R = TypeVar("R")

#: The reasons Stripe accepts on a refund, from the words our callers may use.
REFUND_REASONS = {
    "duplicate": "duplicate",
    "fraudulent": "fraudulent",
    "fraud": "fraudulent",
    "requested_by_customer": "requested_by_customer",
    "customer_request": "requested_by_customer",
}
_METADATA_VALUE_MAX = 500  # Stripe's limit on a metadata value


class StripePaymentProvider:
    """Payments, refunds and webhooks through Stripe; configured by ``StripeConfig``."""

    name = "stripe"

    def __init__(self, config: StripeConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._livemode = config.livemode
        self._verifier = WebhookVerifier(config.webhook_secrets, clock, config.webhook_tolerance)
        self._client = stripe.StripeClient(
            config.secret_key,
            stripe_version=config.api_version,
            max_network_retries=config.max_network_retries,
            base_addresses={"api": config.api_base} if config.api_base else None,
            http_client=stripe.HTTPXClient(timeout=_timeouts(config), allow_sync_methods=True),
        )

    def __repr__(self) -> str:
        return f"StripePaymentProvider({self._config!r})"

    @property
    def livemode(self) -> bool:
        return self._livemode

    @property
    def publishable_key(self) -> str | None:
        return self._config.publishable_key

    # -- payments ----------------------------------------------------------------------------

    def create_customer(self, user_id: str, email: str | None, idempotency_key: str) -> str:
        params: dict[str, Any] = {"metadata": {"user_id": user_id}}
        if email is not None:
            params["email"] = email
        with stripe_errors():
            customer = self._client.v1.customers.create(
                params=params,  # type: ignore[arg-type]
                options=_options(idempotency_key),
            )
        return str(customer.id)

    def create_payment_intent(
        self, order: Order, idempotency_key: str, customer_id: str | None = None
    ) -> ProviderPayment:
        total = order.total
        params: dict[str, Any] = {
            "amount": total.amount,
            "currency": total.currency.lower(),
            "metadata": {"order_id": order.id},
        }
        if order.customer.email is not None:
            params["receipt_email"] = order.customer.email
        if customer_id is not None:
            params["customer"] = customer_id
        with stripe_errors():
            intent = self._client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options=_options(idempotency_key),
            )
        return _convert(PaymentIntentRecord, "payment_intent", intent, payment_from_intent)

    def create_checkout_session(
        self,
        order: Order,
        idempotency_key: str,
        success_url: str,
        cancel_url: str,
        customer_id: str | None = None,
    ) -> ProviderPayment:
        currency = order.currency.lower()
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": item.quantity,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": item.unit_amount,
                        "product_data": {"name": item.name, "metadata": {"sku": item.sku}},
                    },
                }
                for item in order.items
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": order.id,
            "metadata": {"order_id": order.id},
            "payment_intent_data": {"metadata": {"order_id": order.id}},
            "expires_at": self._session_expiry(order),
        }
        if self._config.checkout_locale is not None:
            params["locale"] = self._config.checkout_locale
        if customer_id is not None:  # Stripe takes a customer or an email, not both
            params["customer"] = customer_id
        elif order.customer.email is not None:
            params["customer_email"] = order.customer.email
        with stripe_errors():
            session = self._client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options=_options(idempotency_key),
            )
        return _convert(CheckoutSessionRecord, "checkout.session", session, payment_from_session)

    def _session_expiry(self, order: Order) -> int:
        """The order's creation plus the configured lifetime, so that a retry of the same
        request (same idempotency key) sends the same parameters; at least 30 minutes (plus a
        margin) from now, as Stripe requires."""
        deadline = order.created_at + self._config.checkout_session_ttl
        earliest = self._clock.now() + CHECKOUT_TTL_MIN + timedelta(minutes=1)
        return int(max(deadline, earliest).timestamp())

    def retrieve_payment(self, payment_id: str) -> ProviderPayment:
        if _is_session(payment_id):
            with stripe_errors():
                session = self._client.v1.checkout.sessions.retrieve(payment_id)
            return _convert(
                CheckoutSessionRecord, "checkout.session", session, payment_from_session
            )
        _require_intent(payment_id)
        with stripe_errors():
            intent = self._client.v1.payment_intents.retrieve(payment_id)
        return _convert(PaymentIntentRecord, "payment_intent", intent, payment_from_intent)

    def find_payment_intent(self, order_id: str) -> ProviderPayment | None:
        """Search the PaymentIntents by ``metadata.order_id`` (Stripe's Search API: new ones
        are searchable within a minute, long before a key is forgotten); the first that is
        not canceled."""
        escaped = order_id.replace("\\", "\\\\").replace("'", "\\'")
        params = {"query": f"metadata['order_id']:'{escaped}'", "limit": 10}
        with stripe_errors():
            found = self._client.v1.payment_intents.search(params=params)  # type: ignore[arg-type]
        for intent in found.data:
            payment = _convert(PaymentIntentRecord, "payment_intent", intent, payment_from_intent)
            if payment.status != "canceled":
                return payment
        return None

    def cancel_payment(self, payment_id: str) -> None:
        """Cancel a PaymentIntent or expire a Checkout Session; canceling twice is not an error.
        One that went through meanwhile is PaymentNotCancelable."""
        is_session = _is_session(payment_id)
        if not is_session:
            _require_intent(payment_id)
        try:
            with stripe_errors():
                if is_session:
                    self._client.v1.checkout.sessions.expire(payment_id)
                else:
                    self._client.v1.payment_intents.cancel(payment_id)
        except ProviderRejected as error:
            status = self.retrieve_payment(payment_id).status
            if status != "canceled":
                raise PaymentNotCancelable(
                    f"payment {payment_id} is {status}: it can no longer be canceled",
                    **{**error.details, "payment_id": payment_id, "status": status},
                ) from error

    # -- refunds -----------------------------------------------------------------------------

    def refund(self, refund: Refund, payment_id: str, idempotency_key: str) -> ProviderRefund:
        metadata = {"refund_id": refund.id, "order_id": refund.order_id}
        params: dict[str, Any] = {
            "payment_intent": self._intent_of(payment_id),
            "amount": refund.amount,
            "metadata": metadata,
        }
        if refund.reason:
            metadata["reason"] = refund.reason[:_METADATA_VALUE_MAX]
            if refund.reason in REFUND_REASONS:
                params["reason"] = REFUND_REASONS[refund.reason]
        with stripe_errors():
            created = self._client.v1.refunds.create(
                params=params,  # type: ignore[arg-type]
                options=_options(idempotency_key),
            )
        return _convert(RefundRecord, "refund", created, refund_from_record)

    def _intent_of(self, payment_id: str) -> str:
        """The PaymentIntent behind a payment id (a session's, once it was paid)."""
        if not _is_session(payment_id):
            _require_intent(payment_id)
            return payment_id
        intent = self.retrieve_payment(payment_id).payment_intent_id
        if intent is None:
            raise ProviderRejected(
                f"checkout session {payment_id} has no payment to refund", payment_id=payment_id
            )
        return intent

    # -- webhooks ----------------------------------------------------------------------------

    @property
    def webhook_configured(self) -> bool:
        return self._verifier.configured

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        event, translated = event_from_text(self._verifier.verify(payload, signature_header))
        if event.livemode != self._livemode:
            raise InvalidPayload(
                f"a {'live' if event.livemode else 'test'} mode event reached a "
                f"{'live' if self._livemode else 'test'} mode endpoint",
                event_id=event.id,
            )
        return translated

    def parse_event(self, payload: bytes) -> ProviderEvent:
        return event_from_body(payload)

    # -- reconciliation ----------------------------------------------------------------------

    def list_events(
        self, since: datetime, types: Sequence[str] | None = None
    ) -> Iterator[ProviderEvent]:
        """Every event created at or after ``since`` (newest first, as Stripe lists them).

        Events come from the API over an authenticated connection: no signature to check.
        Each ``payload`` is the event re-serialised as compact JSON, which ``parse_event``
        reads back like a webhook body. ``types`` narrows the list, e.g. to
        ``HANDLED_EVENT_TYPES`` (at most 20 types per request, Stripe's limit).
        """
        params: dict[str, Any] = {"created": {"gte": int(since.timestamp())}, "limit": 100}
        if types:
            params["types"] = list(types)
        with stripe_errors():
            page = self._client.v1.events.list(params=params)  # type: ignore[arg-type]
            for found in page.auto_paging_iter():
                text = json.dumps(found.to_dict(for_json=True), separators=(",", ":"))
                try:
                    translated = translate_event(read(EventRecord, json.loads(text)), text)
                except Exception as error:
                    raise unexpected_response(error) from error
                yield translated


def _timeouts(config: StripeConfig) -> httpx.Timeout:
    """httpx's limits for one attempt: a read (or a write: a request's few kB go to the socket
    buffer at once) waits at most ``read_timeout``, connecting or a pooled connection at most
    ``connect_timeout``."""
    return httpx.Timeout(
        connect=config.connect_timeout,
        read=config.read_timeout,
        write=config.read_timeout,
        pool=config.connect_timeout,
    )


def _options(idempotency_key: str) -> RequestOptions:
    """Per-request options: the idempotency key, and the correlation id as a header (never a
    parameter: a retry from another request must send the very same parameters)."""
    return {"idempotency_key": idempotency_key, "headers": outgoing_headers()}


def _is_session(payment_id: str) -> bool:
    return payment_id.startswith("cs_")


def _require_intent(payment_id: str) -> None:
    if not payment_id.startswith("pi_"):
        raise ProviderRejected(
            f"not a Stripe PaymentIntent or Checkout Session id: {payment_id!r}",
            payment_id=payment_id,
        )


def _convert(kind: type[T], expected: str, obj: stripe.StripeObject, mapper: Callable[[T], R]) -> R:
    """A Stripe API object → our record → a domain value; unreadable means unknown outcome."""
    try:
        data = obj.to_dict(for_json=True)
        if data.get("object") != expected:
            raise TypeError(f"expected a {expected!r}, got {data.get('object')!r}")
        return mapper(read(kind, data))
    except Exception as error:  # our InvalidPayload, cattrs' errors, TypeError...
        raise unexpected_response(error) from error

"""``SandboxPaymentProvider``: the ``PaymentProvider`` port answered like Stripe's test mode.

PaymentIntents, Checkout Sessions, charges and refunds are Stripe-shaped JSON kept in the
sandbox's own store. A person (the hosted page) or a script (the JSON API) pays with Stripe's
test cards (``cards.py``); every change emits the events Stripe would send to an endpoint
subscribed to the types the Stripe adapter handles. Events are stored first, then handed to the
``TaskQueue`` (task ``sandbox_deliver_event``) for the deliverer to sign and POST; one the queue
loses stays undelivered in the store until ``WebhookDeliverer.deliver_pending`` sends it.

Reading payments and webhooks reuses the Stripe adapter's records, translation and signature
verification, so what the services see is exactly what the Stripe adapter would give them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from billing.adapters.stripe.config import CHECKOUT_TTL_MIN, webhook_secret_list
from billing.adapters.stripe.records import (
    CheckoutSessionRecord,
    PaymentIntentRecord,
    RefundRecord,
    read,
)
from billing.adapters.stripe.signature import WebhookVerifier
from billing.adapters.stripe.translate import (
    HANDLED_EVENT_TYPES,
    parse_json,
    payment_from_intent,
    payment_from_session,
    read_event,
    refund_from_record,
    translate_event,
)
from billing.domain.errors import (
    IdempotencyKeyReused,
    InvalidPayload,
    PaymentDeclined,
    ProviderRejected,
)
from billing.domain.money import Money
from billing.domain.order import Order
from billing.domain.payment import ProviderPayment, ProviderRefund
from billing.domain.provider_event import ProviderEvent
from billing.domain.refund import Refund
from billing.ports.clock import Clock
from billing.ports.tasks import TaskQueue

from . import objects
from .cards import CardResult, Outcome, charge_card
from .objects import PRIVATE
from .store import Document, SandboxSession, SandboxStore, StoredEvent, StoredKey

log = logging.getLogger(__name__)
T = TypeVar("T")

DELIVER_EVENT = "sandbox_deliver_event"
CHECKOUT_PATH = "/billing/sandbox/checkout/"
#: Stripe's own limit: a Checkout Session expires at most 24 hours after it was created.
DEFAULT_SESSION_TTL = timedelta(hours=23)

REFUND_REASONS = {
    "duplicate": "duplicate",
    "fraudulent": "fraudulent",
    "fraud": "fraudulent",
    "requested_by_customer": "requested_by_customer",
    "customer_request": "requested_by_customer",
}
_CANCELABLE = frozenset(
    {
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
        "processing",
        "requires_capture",
    }
)
_RESERVING_REFUNDS = frozenset({"pending", "requires_action", "succeeded"})
_AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def _rejected(message: str, code: str, **details: Any) -> ProviderRejected:
    return ProviderRejected(message, stripe_code=code, **details)


def _fingerprint(endpoint: str, params: dict[str, Any]) -> str:
    text = json.dumps({"endpoint": endpoint, "params": params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _kind(payment_id: str) -> str:
    if payment_id.startswith("cs_"):
        return "checkout.session"
    if payment_id.startswith("pi_"):
        return "payment_intent"
    raise _rejected(
        f"not a PaymentIntent or Checkout Session id: {payment_id!r}",
        "resource_missing",
        payment_id=payment_id,
    )


@attrs.frozen
class HostedLine:
    name: str
    quantity: int
    amount: Money


@attrs.frozen
class HostedPayment:
    """What the hosted checkout page shows about a PaymentIntent or a Checkout Session."""

    id: str
    object: str
    #: The Stripe status of the object (``open``, ``complete``, ``requires_action``, …).
    status: str
    amount: Money
    lines: tuple[HostedLine, ...]
    #: Whether a card may be entered now, and whether 3-D Secure waits for the customer.
    payable: bool
    requires_action: bool
    paid: bool
    success_url: str | None = None
    cancel_url: str | None = None
    last_error: str | None = None


@attrs.define
class _Change:
    """What one operation did: the events it emits, and a decline to report after commit."""

    events: list[StoredEvent] = attrs.Factory(list)
    declined: CardResult | None = None


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
        webhook_tolerance: int = 300,
        session_ttl: timedelta = DEFAULT_SESSION_TTL,
    ) -> None:
        self._store = store
        self._clock = clock
        self._tasks = tasks
        self._verifier = WebhookVerifier(
            webhook_secret_list(webhook_secrets), clock, webhook_tolerance
        )
        self._base_url = public_base_url.rstrip("/")
        self._session_ttl = session_ttl

    def __repr__(self) -> str:
        return f"SandboxPaymentProvider(base_url={self._base_url!r})"

    def checkout_url(self, payment_id: str) -> str:
        """The hosted page where the payment is paid."""
        return f"{self._base_url}{CHECKOUT_PATH}{payment_id}"

    # -- PaymentProvider: payments ------------------------------------------------------------

    def create_payment_intent(self, order: Order, idempotency_key: str) -> ProviderPayment:
        total = order.total
        params: dict[str, Any] = {
            "amount": total.amount,
            "currency": total.currency.lower(),
            "metadata": {"order_id": order.id},
            "receipt_email": order.customer.email,
        }

        def build() -> Document:
            return objects.payment_intent(
                amount=params["amount"],
                currency=params["currency"],
                metadata=dict(params["metadata"]),
                created=self._now(),
                receipt_email=params["receipt_email"],
            )

        return self._payment(self._idempotent(idempotency_key, "payment_intents", params, build))

    def create_checkout_session(
        self, order: Order, idempotency_key: str, success_url: str, cancel_url: str
    ) -> ProviderPayment:
        currency = order.currency.lower()
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": item.quantity,
                    "currency": currency,
                    "unit_amount": item.unit_amount,
                    "name": item.name,
                    "sku": item.sku,
                }
                for item in order.items
            ],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": order.id,
            "metadata": {"order_id": order.id},
            "payment_intent_data": {"metadata": {"order_id": order.id}},
            "customer_email": order.customer.email,
            "expires_at": self._session_expiry(order),
        }

        def build() -> Document:
            session = objects.checkout_session(
                amount=order.total.amount,
                currency=currency,
                created=self._now(),
                expires_at=params["expires_at"],
                success_url=success_url,
                cancel_url=cancel_url,
                client_reference_id=order.id,
                customer_email=order.customer.email,
                metadata=dict(params["metadata"]),
            )
            session["url"] = self.checkout_url(session["id"])
            session[PRIVATE] = {
                "line_items": params["line_items"],
                "payment_intent_metadata": dict(params["payment_intent_data"]["metadata"]),
            }
            return session

        return self._payment(self._idempotent(idempotency_key, "checkout/sessions", params, build))

    def _session_expiry(self, order: Order) -> int:
        """The order's creation plus the session lifetime (the same on a retry), and at least
        31 minutes from now, as Stripe requires."""
        deadline = order.created_at + self._session_ttl
        earliest = self._clock.now() + CHECKOUT_TTL_MIN + timedelta(minutes=1)
        return int(max(deadline, earliest).timestamp())

    def retrieve_payment(self, payment_id: str) -> ProviderPayment:
        return self._payment(self._run(lambda s, change: self._load(s, change, payment_id)))

    def retrieve(self, object_id: str) -> Document:
        """Any sandbox object (PaymentIntent, Checkout Session, charge, refund) as Stripe JSON."""

        def work(session: SandboxSession, change: _Change) -> Document:
            found = session.get(object_id)
            if found is None:
                raise _rejected(f"No such object: '{object_id}'", "resource_missing")
            if found["object"] == "checkout.session":
                found = self._expire_if_due(session, change, found)
            return found

        return objects.public(self._run(work))

    def cancel_payment(self, payment_id: str) -> None:
        """Cancel a PaymentIntent or expire a Checkout Session; doing it twice is harmless."""

        def work(session: SandboxSession, change: _Change) -> None:
            target = self._load(session, change, payment_id, for_update=True)
            if target["object"] == "checkout.session":
                self._expire(session, change, target)
            else:
                self._cancel_intent(session, change, target)

        self._run(work)

    def expire_session(self, session_id: str) -> ProviderPayment:
        """``POST /v1/checkout/sessions/{id}/expire``."""
        if _kind(session_id) != "checkout.session":
            raise _rejected(f"not a Checkout Session: {session_id!r}", "resource_missing")
        self.cancel_payment(session_id)
        return self.retrieve_payment(session_id)

    # -- PaymentProvider: refunds -------------------------------------------------------------

    def refund(self, refund: Refund, payment_id: str, idempotency_key: str) -> ProviderRefund:
        metadata = {"refund_id": refund.id, "order_id": refund.order_id}
        if refund.reason:
            metadata["reason"] = refund.reason[:500]
        intent_id = self._intent_of(payment_id)
        params: dict[str, Any] = {
            "payment_intent": intent_id,
            "amount": refund.amount,
            "currency": refund.currency.lower(),
            "metadata": metadata,
            "reason": REFUND_REASONS.get(refund.reason or ""),
        }

        def work(session: SandboxSession, change: _Change) -> Document:
            known = self._replay(session, idempotency_key, "refunds", params)
            if known is not None:
                return known
            created = self._new_refund(session, change, params)
            session.add_key(
                idempotency_key,
                StoredKey(_fingerprint("refunds", params), created["id"]),
            )
            return created

        created = self._run(work)
        return refund_from_record(read(RefundRecord, objects.public(created)))

    def _intent_of(self, payment_id: str) -> str:
        if _kind(payment_id) == "payment_intent":
            return payment_id
        intent = self.retrieve_payment(payment_id).payment_intent_id
        if intent is None:
            raise _rejected(
                f"checkout session {payment_id} has no payment to refund",
                "charge_not_refundable",
                payment_id=payment_id,
            )
        return intent

    def _new_refund(
        self, session: SandboxSession, change: _Change, params: dict[str, Any]
    ) -> Document:
        intent_id = params["payment_intent"]
        intent = session.get(intent_id, for_update=True)
        if intent is None:
            raise _rejected(f"No such payment_intent: '{intent_id}'", "resource_missing")
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise _rejected(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                "charge_not_refundable",
            )
        if params["currency"] != intent["currency"]:
            raise _rejected("the refund's currency is not the payment's", "parameter_invalid")
        taken = sum(
            r["amount"] for r in session.refunds_of(intent_id) if r["status"] in _RESERVING_REFUNDS
        )
        left = intent["amount_received"] - taken
        amount = params["amount"]
        if amount <= 0:
            raise _rejected("a refund amount must be positive", "parameter_invalid")
        if amount > left:
            raise _rejected(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                "amount_too_large",
            )
        charge = session.get(intent["latest_charge"], for_update=True)
        assert charge is not None
        created = objects.refund(
            amount=amount,
            currency=intent["currency"],
            charge_id=charge["id"],
            payment_intent_id=intent_id,
            metadata=params["metadata"],
            reason=params["reason"],
            created=self._now(),
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        session.put(created)
        session.put(charge)
        self._emit(session, change, "charge.refunded", charge)
        self._emit(session, change, "refund.created", created)
        return created

    def fail_refund(
        self, refund_id: str, failure_reason: str = "expired_or_canceled_card"
    ) -> ProviderRefund:
        """The bank gives the money back days later: the refund fails (staging rehearsal)."""

        def work(session: SandboxSession, change: _Change) -> Document:
            found = session.get(refund_id, for_update=True)
            if found is None or found["object"] != "refund":
                raise _rejected(f"No such refund: '{refund_id}'", "resource_missing")
            if found["status"] == "failed":
                return found
            charge = session.get(found["charge"], for_update=True)
            assert charge is not None
            charge["amount_refunded"] -= found["amount"]
            charge["refunded"] = False
            found.update(status="failed", failure_reason=failure_reason)
            session.put(found)
            session.put(charge)
            self._emit(session, change, "refund.failed", found)
            self._emit(session, change, "refund.updated", found)
            self._emit(session, change, "charge.refund.updated", found)
            return found

        return refund_from_record(read(RefundRecord, objects.public(self._run(work))))

    # -- the customer's side: the hosted page and the JSON API --------------------------------

    def describe(self, payment_id: str) -> HostedPayment:
        """What the hosted page shows about ``payment_id``."""

        def work(session: SandboxSession, change: _Change) -> HostedPayment:
            target = self._load(session, change, payment_id)
            intent = self._current_intent(session, target)
            currency = target["currency"].upper()
            if target["object"] == "checkout.session":
                amount = Money(target["amount_total"], currency)
                lines = tuple(
                    HostedLine(line["name"], line["quantity"], Money(line["unit_amount"], currency))
                    for line in target[PRIVATE]["line_items"]
                )
                open_ = target["status"] == "open"
            else:
                amount, lines, open_ = Money(target["amount"], currency), (), True
            intent_status = intent["status"] if intent is not None else "requires_payment_method"
            error = (intent or {}).get("last_payment_error") or {}
            return HostedPayment(
                id=target["id"],
                object=target["object"],
                status=target["status"],
                amount=amount,
                lines=lines,
                payable=open_
                and intent_status in ("requires_payment_method", "requires_confirmation"),
                requires_action=open_ and intent_status == "requires_action",
                paid=intent_status == "succeeded",
                success_url=target.get("success_url"),
                cancel_url=target.get("cancel_url"),
                last_error=error.get("message"),
            )

        return self._run(work)

    def pay(self, payment_id: str, card_number: str) -> ProviderPayment:
        """Confirm the payment with a test card. A declined card raises ``PaymentDeclined``
        (after the failure and its event are stored); the payment stays payable."""

        def work(session: SandboxSession, change: _Change) -> Document:
            target = self._load(session, change, payment_id, for_update=True)
            intent = self._payable_intent(session, target)
            result = charge_card(card_number)
            intent["payment_method"] = objects.stripe_id("pm_")
            intent["last_payment_error"] = None
            if result.outcome is Outcome.SUCCEEDED:
                self._succeed(session, change, intent, result.last4)
            elif result.outcome is Outcome.REQUIRES_ACTION:
                intent.update(
                    status="requires_action",
                    next_action={
                        "type": "redirect_to_url",
                        "redirect_to_url": {"url": self.checkout_url(payment_id)},
                    },
                )
                intent.setdefault(PRIVATE, {})["last4"] = result.last4
                session.put(intent)
                self._emit(session, change, "payment_intent.requires_action", intent)
            else:
                self._fail(session, change, intent, result)
            return self._reload(session, target)

        return self._payment(self._run(work))

    def confirm(self, payment_id: str, *, authenticate: bool = True) -> ProviderPayment:
        """The 3-D Secure step: complete (the payment succeeds) or fail the authentication."""

        def work(session: SandboxSession, change: _Change) -> Document:
            target = self._load(session, change, payment_id, for_update=True)
            intent = self._current_intent(session, target)
            if intent is None or intent["status"] != "requires_action":
                status = intent["status"] if intent is not None else target["status"]
                raise _rejected(
                    f"This payment has no authentication to confirm: its status is {status}.",
                    "payment_intent_unexpected_state",
                )
            last4 = intent.get(PRIVATE, {}).get("last4", "")
            if authenticate:
                self._succeed(session, change, intent, last4)
            else:
                failure = CardResult(
                    Outcome.DECLINED,
                    last4,
                    "payment_intent_authentication_failure",
                    None,
                    _AUTHENTICATION_FAILED,
                )
                self._fail(session, change, intent, failure, error_type="invalid_request_error")
            return self._reload(session, target)

        return self._payment(self._run(work))

    def _payable_intent(self, session: SandboxSession, target: Document) -> Document:
        if target["object"] == "checkout.session":
            if target["status"] != "open":
                raise _rejected(
                    f"This Checkout Session is {target['status']}: it can no longer be paid.",
                    "checkout_session_unexpected_state",
                )
            intent = self._current_intent(session, target) or self._session_intent(session, target)
        else:
            intent = target
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise _rejected(
                f"This PaymentIntent's status is {intent['status']}: it cannot be paid.",
                "payment_intent_unexpected_state",
            )
        return intent

    def _session_intent(self, session: SandboxSession, checkout: Document) -> Document:
        """The PaymentIntent a Checkout Session creates when its customer pays."""
        intent = objects.payment_intent(
            amount=checkout["amount_total"],
            currency=checkout["currency"],
            metadata=dict(checkout[PRIVATE]["payment_intent_metadata"]),
            created=self._now(),
            receipt_email=checkout.get("customer_email"),
        )
        intent[PRIVATE] = {"checkout_session": checkout["id"]}
        checkout["payment_intent"] = intent["id"]
        session.put(intent)
        session.put(checkout)
        return intent

    def _current_intent(self, session: SandboxSession, target: Document) -> Document | None:
        if target["object"] == "payment_intent":
            return target
        if not target["payment_intent"]:
            return None
        return session.get(target["payment_intent"], for_update=True)

    def _reload(self, session: SandboxSession, target: Document) -> Document:
        found = session.get(target["id"])
        assert found is not None
        return found

    def _succeed(
        self, session: SandboxSession, change: _Change, intent: Document, last4: str
    ) -> None:
        intent.update(status="processing")  # a card payment settles at once in test mode
        charge = objects.charge(intent, last4=last4, created=self._now())
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge=charge["id"],
            next_action=None,
            last_payment_error=None,
        )
        session.put(charge)
        session.put(intent)
        self._emit(session, change, "charge.succeeded", charge)
        self._emit(session, change, "payment_intent.succeeded", intent)
        checkout = self._session_of(session, intent)
        if checkout is not None:
            checkout.update(status="complete", payment_status="paid")
            session.put(checkout)
            self._emit(session, change, "checkout.session.completed", checkout)

    def _fail(
        self,
        session: SandboxSession,
        change: _Change,
        intent: Document,
        result: CardResult,
        error_type: str = "card_error",
    ) -> None:
        intent.update(
            status="requires_payment_method",
            next_action=None,
            last_payment_error={
                "type": error_type,
                "code": result.code,
                "decline_code": result.decline_code,
                "message": result.message,
                "payment_method": {"id": intent["payment_method"], "object": "payment_method"},
            },
        )
        session.put(intent)
        self._emit(session, change, "payment_intent.payment_failed", intent)
        change.declined = result

    def _session_of(self, session: SandboxSession, intent: Document) -> Document | None:
        """The Checkout Session that created ``intent``, if any."""
        session_id = intent.get(PRIVATE, {}).get("checkout_session")
        return session.get(session_id, for_update=True) if session_id else None

    def _cancel_intent(self, session: SandboxSession, change: _Change, intent: Document) -> None:
        if intent["status"] == "canceled":
            return
        if intent["status"] not in _CANCELABLE:
            raise _rejected(
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                "payment_intent_unexpected_state",
            )
        intent.update(status="canceled", canceled_at=self._now(), next_action=None)
        session.put(intent)
        self._emit(session, change, "payment_intent.canceled", intent)

    def _expire(self, session: SandboxSession, change: _Change, checkout: Document) -> Document:
        if checkout["status"] == "expired":
            return checkout
        if checkout["status"] != "open":
            raise _rejected(
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{checkout["status"]}".',
                "checkout_session_unexpected_state",
            )
        intent = self._current_intent(session, checkout)
        if intent is not None:
            self._cancel_intent(session, change, intent)
        checkout.update(status="expired")
        session.put(checkout)
        self._emit(session, change, "checkout.session.expired", checkout)
        return checkout

    def _expire_if_due(self, session: SandboxSession, change: _Change, doc: Document) -> Document:
        if doc["status"] == "open" and doc["expires_at"] <= self._now():
            return self._expire(session, change, doc)
        return doc

    # -- PaymentProvider: webhooks ------------------------------------------------------------

    @property
    def webhook_configured(self) -> bool:
        return self._verifier.configured

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        text = self._verifier.verify(payload, signature_header)
        event = read_event(parse_json(text))
        if event.livemode:
            raise InvalidPayload("a live mode event reached the sandbox", event_id=event.id)
        return translate_event(event, text)

    def parse_event(self, payload: bytes) -> ProviderEvent:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidPayload("the body is not UTF-8") from error
        return translate_event(read_event(parse_json(text)), text)

    def list_events(
        self, since: datetime, types: Sequence[str] | None = None
    ) -> list[ProviderEvent]:
        """Every event the sandbox created at or after ``since``, newest first (Stripe's Events
        list API, for reconciliation); ``types`` narrows the list."""
        stored = self._store.run(lambda session: session.events_since(since))
        wanted = set(types) if types else None
        return [
            self.parse_event(event.payload.encode())
            for event in stored
            if wanted is None or event.type in wanted
        ]

    # -- events -------------------------------------------------------------------------------

    def event(self, event_id: str) -> StoredEvent:
        found = self._store.run(lambda session: session.get_event(event_id))
        if found is None:
            raise _rejected(f"No such event: '{event_id}'", "resource_missing")
        return found

    def undelivered_events(self, limit: int = 1000) -> list[StoredEvent]:
        return self._store.run(lambda session: session.undelivered_events(limit))

    def _emit(self, session: SandboxSession, change: _Change, type_: str, obj: Document) -> None:
        """Store the event Stripe would send for ``obj``, if the endpoint subscribes to it
        (the types the Stripe adapter handles, as a Stripe endpoint would be configured)."""
        if type_ not in HANDLED_EVENT_TYPES:
            return
        now = self._clock.now()
        body = objects.event(type_, obj, created=int(now.timestamp()), idempotency_key=None)
        stored = StoredEvent(body["id"], type_, json.dumps(body, indent=2), now)
        session.add_event(stored)
        change.events.append(stored)

    # -- plumbing -----------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    def _run(self, work: Callable[[SandboxSession, _Change], T]) -> T:
        """Run ``work`` in one store transaction, then hand its events to the task queue and
        report a declined card."""
        change = _Change()
        result = self._store.run(lambda session: work(session, change))
        for stored in change.events:
            try:
                self._tasks.defer(DELIVER_EVENT, {"event_id": stored.id})
            except Exception:  # the event stays undelivered in the store: nothing is lost
                log.exception("sandbox: could not queue the delivery of %s", stored.id)
        if change.declined is not None:
            declined = change.declined
            raise PaymentDeclined(
                declined.message or "Your card was declined.",
                stripe_code=declined.code,
                decline_code=declined.decline_code,
            )
        return result

    def _load(
        self,
        session: SandboxSession,
        change: _Change,
        payment_id: str,
        *,
        for_update: bool = False,
    ) -> Document:
        kind = _kind(payment_id)
        found = session.get(payment_id, for_update=for_update)
        if found is None or found["object"] != kind:
            raise _rejected(
                f"No such {kind}: '{payment_id}'", "resource_missing", payment_id=payment_id
            )
        if kind == "checkout.session":
            found = self._expire_if_due(session, change, found)
        return found

    def _replay(
        self, session: SandboxSession, key: str, endpoint: str, params: dict[str, Any]
    ) -> Document | None:
        known = session.find_key(key)
        if known is None:
            return None
        if known.fingerprint != _fingerprint(endpoint, params):
            raise IdempotencyKeyReused(
                "Keys for idempotent requests can only be used with the same parameters they "
                "were first used with.",
                idempotency_key=key,
            )
        found = session.get(known.object_id)
        assert found is not None
        return found

    def _idempotent(
        self, key: str, endpoint: str, params: dict[str, Any], build: Callable[[], Document]
    ) -> Document:
        def work(session: SandboxSession, change: _Change) -> Document:
            known = self._replay(session, key, endpoint, params)
            if known is not None:
                return known
            created = build()
            session.put(created)
            session.add_key(key, StoredKey(_fingerprint(endpoint, params), created["id"]))
            return created

        return self._run(work)

    def _payment(self, document: Document) -> ProviderPayment:
        shown = objects.public(document)
        if document["object"] == "checkout.session":
            return payment_from_session(read(CheckoutSessionRecord, shown))
        payment = payment_from_intent(read(PaymentIntentRecord, shown))
        return attrs.evolve(payment, checkout_url=self.checkout_url(payment.id))

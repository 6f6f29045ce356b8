"""What every part of the sandbox provider shares: one store transaction per operation, the
events it emits, idempotency keys, and the lifecycle steps any operation may trigger (a Checkout
Session past its ``expires_at`` expires when it is next read, canceling its PaymentIntent).

``SandboxCore`` is internal to the package: ``payments.py``, ``refunds.py`` and ``hosted.py``
build on it, and ``SandboxPaymentProvider`` (``provider.py``) puts them together.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import attrs

from billing.adapters.stripe_format import (
    HANDLED_EVENT_TYPES,
    CheckoutSessionRecord,
    PaymentIntentRecord,
    payment_from_intent,
    payment_from_session,
    read,
)
from billing.domain.errors import (
    IdempotencyKeyReused,
    PaymentDeclined,
    PaymentNotCancelable,
    ProviderRejected,
)
from billing.domain.payment import ProviderPayment
from billing.ports.clock import Clock
from billing.ports.tasks import TaskQueue

from . import objects
from .cards import CardResult
from .store import Document, SandboxSession, SandboxStore, StoredEvent, StoredKey

log = logging.getLogger(__name__)
T = TypeVar("T")

DELIVER_EVENT = "sandbox_deliver_event"
#: The hosted page's path under the routes' prefix (``/billing`` unless a host chose another).
CHECKOUT_PATH = "/sandbox/checkout/"
DEFAULT_URL_PREFIX = "/billing"

_CANCELABLE = frozenset(
    {
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
        "processing",
        "requires_capture",
    }
)


class NoSuchObject(ProviderRejected):
    """No sandbox object has this id (Stripe's ``resource_missing``): the caller's mistake,
    answered 404 by the sandbox's own routes."""

    code = "resource_missing"


def rejected(message: str, code: str, **details: Any) -> ProviderRejected:
    kind = NoSuchObject if code == "resource_missing" else ProviderRejected
    return kind(message, stripe_code=code, **details)


def fingerprint(endpoint: str, params: dict[str, Any]) -> str:
    text = json.dumps({"endpoint": endpoint, "params": params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def kind(payment_id: str) -> str:
    """``checkout.session`` or ``payment_intent``, from the shape of the id."""
    if payment_id.startswith("cs_"):
        return "checkout.session"
    if payment_id.startswith("pi_"):
        return "payment_intent"
    raise rejected(
        f"not a PaymentIntent or Checkout Session id: {payment_id!r}",
        "resource_missing",
        payment_id=payment_id,
    )


@attrs.define
class Change:
    """What one operation did: the events it emits, and a decline to report after commit."""

    events: list[StoredEvent] = attrs.Factory(list)
    declined: CardResult | None = None


Work = Callable[[SandboxSession, Change], T]


class SandboxCore:
    def __init__(
        self,
        store: SandboxStore,
        clock: Clock,
        tasks: TaskQueue,
        public_base_url: str,
        url_prefix: str = DEFAULT_URL_PREFIX,
    ) -> None:
        self.store = store
        self.clock = clock
        self._tasks = tasks
        self.base_url = public_base_url.rstrip("/")
        self._pages_url = self.base_url + url_prefix + CHECKOUT_PATH

    def checkout_url(self, payment_id: str, client_secret: str | None = None) -> str:
        """The hosted page where the payment is paid. A PaymentIntent's page needs its client
        secret (as Stripe.js does to confirm one), carried in the query string."""
        url = f"{self._pages_url}{payment_id}"
        return f"{url}?{urlencode({'client_secret': client_secret})}" if client_secret else url

    def page_url(self, target: Document) -> str:
        """The hosted page of a Checkout Session or a PaymentIntent (with its client secret)."""
        secret = target.get("client_secret") if target["object"] == "payment_intent" else None
        return self.checkout_url(target["id"], secret)

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    # -- transactions -------------------------------------------------------------------------

    def run(self, work: Work[T]) -> T:
        """Run ``work`` in one store transaction, then hand its events to the task queue and
        report a declined card."""
        change = Change()
        result = self.store.run(lambda session: work(session, change))
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

    def emit(self, session: SandboxSession, change: Change, type_: str, obj: Document) -> None:
        """Store the event Stripe would send for ``obj``, if the endpoint subscribes to it
        (the types the Stripe adapter handles, as a Stripe endpoint would be configured)."""
        if type_ not in HANDLED_EVENT_TYPES:
            return
        now = self.clock.now()
        body = objects.event(type_, obj, created=int(now.timestamp()), idempotency_key=None)
        stored = StoredEvent(body["id"], type_, json.dumps(body, indent=2), now)
        session.add_event(stored)
        change.events.append(stored)

    # -- idempotency --------------------------------------------------------------------------

    def replay(
        self, session: SandboxSession, key: str, endpoint: str, params: dict[str, Any]
    ) -> Document | None:
        """The object a key made before, if any; the key with other parameters is refused."""
        known = session.find_key(key)
        if known is None:
            return None
        if known.fingerprint != fingerprint(endpoint, params):
            raise IdempotencyKeyReused(
                "Keys for idempotent requests can only be used with the same parameters they "
                "were first used with.",
                idempotency_key=key,
            )
        found = session.get(known.object_id)
        assert found is not None
        return found

    def remember(
        self, session: SandboxSession, key: str, endpoint: str, params: dict[str, Any], obj_id: str
    ) -> None:
        session.add_key(key, StoredKey(fingerprint(endpoint, params), obj_id))

    def idempotent(
        self, key: str, endpoint: str, params: dict[str, Any], build: Callable[[], Document]
    ) -> Document:
        def work(session: SandboxSession, change: Change) -> Document:
            known = self.replay(session, key, endpoint, params)
            if known is not None:
                return known
            created = build()
            session.add(created)
            self.remember(session, key, endpoint, params, created["id"])
            return created

        return self.run(work)

    # -- reading ------------------------------------------------------------------------------

    def load(
        self,
        session: SandboxSession,
        change: Change,
        payment_id: str,
        *,
        for_update: bool = False,
    ) -> Document:
        """The PaymentIntent or Checkout Session ``payment_id`` (expired first when due)."""
        expected = kind(payment_id)
        found = session.get(payment_id, for_update=for_update)
        if found is None or found["object"] != expected:
            raise rejected(
                f"No such {expected}: '{payment_id}'", "resource_missing", payment_id=payment_id
            )
        if expected == "checkout.session":
            found = self.expire_if_due(session, change, found)
        return found

    def reload(self, session: SandboxSession, target: Document) -> Document:
        found = session.get(target["id"])
        assert found is not None
        return found

    def current_intent(self, session: SandboxSession, target: Document) -> Document | None:
        """``target`` itself, or the PaymentIntent of a Checkout Session (once paid for)."""
        if target["object"] == "payment_intent":
            return target
        if not target["payment_intent"]:
            return None
        return session.get(target["payment_intent"], for_update=True)

    def session_of(self, session: SandboxSession, intent: Document) -> Document | None:
        """The Checkout Session that created ``intent``, if any."""
        session_id = intent.get(objects.PRIVATE, {}).get("checkout_session")
        return session.get(session_id, for_update=True) if session_id else None

    def payment(self, document: Document) -> ProviderPayment:
        """``document`` as the Stripe adapter would read it from Stripe."""
        shown = objects.public(document)
        if document["object"] == "checkout.session":
            return payment_from_session(read(CheckoutSessionRecord, shown))
        payment = payment_from_intent(read(PaymentIntentRecord, shown))
        return attrs.evolve(payment, checkout_url=self.page_url(document))

    # -- canceling and expiring ---------------------------------------------------------------

    def cancel_intent(self, session: SandboxSession, change: Change, intent: Document) -> None:
        if intent["status"] == "canceled":
            return
        if intent["status"] not in _CANCELABLE:
            raise PaymentNotCancelable(
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                stripe_code="payment_intent_unexpected_state",
            )
        intent.update(status="canceled", canceled_at=self.now(), next_action=None)
        session.put(intent)
        self.emit(session, change, "payment_intent.canceled", intent)

    def expire(self, session: SandboxSession, change: Change, checkout: Document) -> Document:
        if checkout["status"] == "expired":
            return checkout
        if checkout["status"] != "open":
            raise PaymentNotCancelable(
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{checkout["status"]}".',
                stripe_code="checkout_session_unexpected_state",
            )
        intent = self.current_intent(session, checkout)
        if intent is not None:
            self.cancel_intent(session, change, intent)
        checkout.update(status="expired")
        session.put(checkout)
        self.emit(session, change, "checkout.session.expired", checkout)
        return checkout

    def expire_if_due(self, session: SandboxSession, change: Change, doc: Document) -> Document:
        if doc["status"] == "open" and doc["expires_at"] <= self.now():
            return self.expire(session, change, doc)
        return doc

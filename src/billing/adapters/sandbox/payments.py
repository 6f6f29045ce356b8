"""PaymentIntents and Checkout Sessions as Stripe's test mode keeps them: created under an
idempotency key, paid with a test card (``requires_payment_method → processing → succeeded``,
``requires_action`` for 3-D Secure, back to ``requires_payment_method`` when declined), canceled,
and sessions ``open → complete | expired``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from billing.adapters.stripe_format import CHECKOUT_TTL_MIN
from billing.domain.order import Order
from billing.domain.payment import ProviderPayment

from . import objects
from .cards import CardResult, Outcome, charge_card
from .core import Change, SandboxCore, kind, rejected
from .objects import PRIVATE
from .store import Document, SandboxSession

#: Stripe's own limit: a Checkout Session expires at most 24 hours after it was created.
DEFAULT_SESSION_TTL = timedelta(hours=23)

_AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)


class SandboxPayments:
    def __init__(self, core: SandboxCore, session_ttl: timedelta = DEFAULT_SESSION_TTL) -> None:
        self._core = core
        self._session_ttl = session_ttl

    # -- creating -----------------------------------------------------------------------------

    def create_customer(self, user_id: str, email: str | None, idempotency_key: str) -> str:
        core = self._core
        params: dict[str, Any] = {"email": email, "metadata": {"user_id": user_id}}

        def build() -> Document:
            return objects.customer(email=email, metadata={"user_id": user_id}, created=core.now())

        created = core.idempotent(idempotency_key, "customers", params, build)
        return str(created["id"])

    def create_payment_intent(
        self, order: Order, idempotency_key: str, customer_id: str | None = None
    ) -> ProviderPayment:
        core = self._core
        total = order.total
        params: dict[str, Any] = {
            "amount": total.amount,
            "currency": total.currency.lower(),
            "metadata": {"order_id": order.id},
            "receipt_email": order.customer.email,
            "customer": customer_id,
        }

        def build() -> Document:
            return objects.payment_intent(
                amount=params["amount"],
                currency=params["currency"],
                metadata=dict(params["metadata"]),
                created=core.now(),
                receipt_email=params["receipt_email"],
                customer=customer_id,
            )

        return core.payment(core.idempotent(idempotency_key, "payment_intents", params, build))

    def create_checkout_session(
        self,
        order: Order,
        idempotency_key: str,
        success_url: str,
        cancel_url: str,
        customer_id: str | None = None,
    ) -> ProviderPayment:
        core = self._core
        # Stripe takes a customer or an email, not both.
        email = order.customer.email if customer_id is None else None
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
            "customer_email": email,
            "customer": customer_id,
            "expires_at": self._session_expiry(order),
        }

        def build() -> Document:
            session = objects.checkout_session(
                amount=order.total.amount,
                currency=currency,
                created=core.now(),
                expires_at=params["expires_at"],
                success_url=success_url,
                cancel_url=cancel_url,
                client_reference_id=order.id,
                customer_email=email,
                customer=customer_id,
                metadata=dict(params["metadata"]),
            )
            session["url"] = core.checkout_url(session["id"])
            session[PRIVATE] = {
                "line_items": params["line_items"],
                "payment_intent_metadata": dict(params["payment_intent_data"]["metadata"]),
            }
            return session

        return core.payment(core.idempotent(idempotency_key, "checkout/sessions", params, build))

    def _session_expiry(self, order: Order) -> int:
        """The order's creation plus the session lifetime (the same on a retry), and at least
        31 minutes from now, as Stripe requires."""
        deadline = order.created_at + self._session_ttl
        earliest = self._core.clock.now() + CHECKOUT_TTL_MIN + timedelta(minutes=1)
        return int(max(deadline, earliest).timestamp())

    # -- reading, canceling -------------------------------------------------------------------

    def retrieve_payment(self, payment_id: str) -> ProviderPayment:
        core = self._core
        return core.payment(core.run(lambda s, change: core.load(s, change, payment_id)))

    def retrieve(self, object_id: str) -> Document:
        """Any sandbox object (PaymentIntent, Checkout Session, charge, refund) as Stripe JSON."""

        def work(session: SandboxSession, change: Change) -> Document:
            found = session.get(object_id)
            if found is None:
                raise rejected(f"No such object: '{object_id}'", "resource_missing")
            if found["object"] == "checkout.session":
                found = self._core.expire_if_due(session, change, found)
            return found

        return objects.public(self._core.run(work))

    def cancel_payment(self, payment_id: str) -> None:
        """Cancel a PaymentIntent or expire a Checkout Session; doing it twice is harmless."""
        core = self._core

        def work(session: SandboxSession, change: Change) -> None:
            target = core.load(session, change, payment_id, for_update=True)
            if target["object"] == "checkout.session":
                core.expire(session, change, target)
            else:
                core.cancel_intent(session, change, target)

        core.run(work)

    def expire_session(self, session_id: str) -> ProviderPayment:
        """``POST /v1/checkout/sessions/{id}/expire``."""
        if kind(session_id) != "checkout.session":
            raise rejected(f"not a Checkout Session: {session_id!r}", "resource_missing")
        self.cancel_payment(session_id)
        return self.retrieve_payment(session_id)

    # -- paying -------------------------------------------------------------------------------

    def pay(self, payment_id: str, card_number: str) -> ProviderPayment:
        """Confirm the payment with a test card. A declined card raises ``PaymentDeclined``
        (after the failure and its event are stored); the payment stays payable."""
        core = self._core

        def work(session: SandboxSession, change: Change) -> Document:
            target = core.load(session, change, payment_id, for_update=True)
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
                        "redirect_to_url": {"url": core.page_url(target)},
                    },
                )
                intent.setdefault(PRIVATE, {})["last4"] = result.last4
                session.put(intent)
                core.emit(session, change, "payment_intent.requires_action", intent)
            else:
                self._fail(session, change, intent, result)
            return core.reload(session, target)

        return core.payment(core.run(work))

    def confirm(self, payment_id: str, *, authenticate: bool = True) -> ProviderPayment:
        """The 3-D Secure step: complete (the payment succeeds) or fail the authentication."""
        core = self._core

        def work(session: SandboxSession, change: Change) -> Document:
            target = core.load(session, change, payment_id, for_update=True)
            intent = core.current_intent(session, target)
            if intent is None or intent["status"] != "requires_action":
                status = intent["status"] if intent is not None else target["status"]
                raise rejected(
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
            return core.reload(session, target)

        return core.payment(core.run(work))

    def _payable_intent(self, session: SandboxSession, target: Document) -> Document:
        if target["object"] == "checkout.session":
            if target["status"] != "open":
                raise rejected(
                    f"This Checkout Session is {target['status']}: it can no longer be paid.",
                    "checkout_session_unexpected_state",
                )
            intent = self._core.current_intent(session, target) or self._session_intent(
                session, target
            )
        else:
            intent = target
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise rejected(
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
            created=self._core.now(),
            receipt_email=checkout.get("customer_email"),
            customer=checkout.get("customer"),
        )
        intent[PRIVATE] = {"checkout_session": checkout["id"]}
        checkout["payment_intent"] = intent["id"]
        session.put(intent)
        session.put(checkout)
        return intent

    def _succeed(
        self, session: SandboxSession, change: Change, intent: Document, last4: str
    ) -> None:
        core = self._core
        intent.update(status="processing")  # a card payment settles at once in test mode
        charge = objects.charge(intent, last4=last4, created=core.now())
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge=charge["id"],
            next_action=None,
            last_payment_error=None,
        )
        session.put(charge)
        session.put(intent)
        core.emit(session, change, "charge.succeeded", charge)
        core.emit(session, change, "payment_intent.succeeded", intent)
        checkout = core.session_of(session, intent)
        if checkout is not None:
            checkout.update(status="complete", payment_status="paid")
            session.put(checkout)
            core.emit(session, change, "checkout.session.completed", checkout)

    def _fail(
        self,
        session: SandboxSession,
        change: Change,
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
        self._core.emit(session, change, "payment_intent.payment_failed", intent)
        change.declined = result

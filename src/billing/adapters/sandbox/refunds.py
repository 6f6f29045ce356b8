"""Refunds as Stripe makes them: full or partial against a PaymentIntent's successful charge,
never more than is left unrefunded (``amount_too_large``), idempotent by key, and failing later
when the bank gives the money back (``fail_refund``, a staging rehearsal).
"""

from __future__ import annotations

from typing import Any

from billing.adapters.stripe_format import RefundRecord, read, refund_from_record
from billing.domain.payment import ProviderRefund
from billing.domain.refund import Refund

from . import objects
from .core import Change, SandboxCore, kind, rejected
from .store import Document, SandboxSession

REFUND_REASONS = {
    "duplicate": "duplicate",
    "fraudulent": "fraudulent",
    "fraud": "fraudulent",
    "requested_by_customer": "requested_by_customer",
    "customer_request": "requested_by_customer",
}
_RESERVING_REFUNDS = frozenset({"pending", "requires_action", "succeeded"})


def _as_refund(document: Document) -> ProviderRefund:
    return refund_from_record(read(RefundRecord, objects.public(document)))


class SandboxRefunds:
    def __init__(self, core: SandboxCore) -> None:
        self._core = core

    def refund(self, refund: Refund, payment_id: str, idempotency_key: str) -> ProviderRefund:
        core = self._core
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

        def work(session: SandboxSession, change: Change) -> Document:
            known = core.replay(session, idempotency_key, "refunds", params)
            if known is not None:
                return known
            created = self._new_refund(session, change, params)
            core.remember(session, idempotency_key, "refunds", params, created["id"])
            return created

        return _as_refund(core.run(work))

    def _intent_of(self, payment_id: str) -> str:
        if kind(payment_id) == "payment_intent":
            return payment_id
        core = self._core
        checkout = core.run(lambda session, change: core.load(session, change, payment_id))
        intent = core.payment(checkout).payment_intent_id
        if intent is None:
            raise rejected(
                f"checkout session {payment_id} has no payment to refund",
                "charge_not_refundable",
                payment_id=payment_id,
            )
        return intent

    def _new_refund(
        self, session: SandboxSession, change: Change, params: dict[str, Any]
    ) -> Document:
        intent_id = params["payment_intent"]
        intent = session.get(intent_id, for_update=True)
        if intent is None:
            raise rejected(f"No such payment_intent: '{intent_id}'", "resource_missing")
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise rejected(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                "charge_not_refundable",
            )
        if params["currency"] != intent["currency"]:
            raise rejected("the refund's currency is not the payment's", "parameter_invalid")
        taken = sum(
            r["amount"] for r in session.refunds_of(intent_id) if r["status"] in _RESERVING_REFUNDS
        )
        left = intent["amount_received"] - taken
        amount = params["amount"]
        if amount <= 0:
            raise rejected("a refund amount must be positive", "parameter_invalid")
        if amount > left:
            raise rejected(
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
            created=self._core.now(),
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        session.put(created)
        session.put(charge)
        self._core.emit(session, change, "charge.refunded", charge)
        self._core.emit(session, change, "refund.created", created)
        return created

    def fail_refund(
        self, refund_id: str, failure_reason: str = "expired_or_canceled_card"
    ) -> ProviderRefund:
        """The bank gives the money back days later: the refund fails (staging rehearsal)."""
        core = self._core

        def work(session: SandboxSession, change: Change) -> Document:
            found = session.get(refund_id, for_update=True)
            if found is None or found["object"] != "refund":
                raise rejected(f"No such refund: '{refund_id}'", "resource_missing")
            if found["status"] == "failed":
                return found
            charge = session.get(found["charge"], for_update=True)
            assert charge is not None
            charge["amount_refunded"] -= found["amount"]
            charge["refunded"] = False
            found.update(status="failed", failure_reason=failure_reason)
            session.put(found)
            session.put(charge)
            core.emit(session, change, "refund.failed", found)
            core.emit(session, change, "refund.updated", found)
            core.emit(session, change, "charge.refund.updated", found)
            return found

        return _as_refund(core.run(work))

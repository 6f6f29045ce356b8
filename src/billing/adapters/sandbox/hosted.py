"""The hosted checkout page's side of the sandbox: what the page shows about a PaymentIntent or a
Checkout Session (``HostedPayment``); paying and the 3-D Secure step are ``SandboxPayments``'.
"""

from __future__ import annotations

import attrs

from billing.domain.money import Money

from .core import Change, SandboxCore
from .objects import PRIVATE
from .store import SandboxSession


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


class HostedPages:
    def __init__(self, core: SandboxCore) -> None:
        self._core = core

    def describe(self, payment_id: str) -> HostedPayment:
        """What the hosted page shows about ``payment_id``."""
        core = self._core

        def work(session: SandboxSession, change: Change) -> HostedPayment:
            target = core.load(session, change, payment_id)
            intent = core.current_intent(session, target)
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

        return core.run(work)

"""The hosted checkout page's side of the sandbox: what the page shows about a PaymentIntent or a
Checkout Session (``HostedPayment``), and who may use it; paying and the 3-D Secure step are
``SandboxPayments``'.

Like Stripe's: a Checkout Session's page is reached by its id (Stripe Checkout's URL is the
session's), while a PaymentIntent is only shown and confirmed with its client secret, as
Stripe.js requires. Every form on the page carries a token bound to the object it pays (an
HMAC of its id under a key derived from the sandbox's signing secret), and a form without the
right one is refused: a page elsewhere cannot make a visitor's browser pay. What a refusal says
is shown on the page, so its words are messages of the pages' catalog (marked ``N_``), which the
page translates into its own locale.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import attrs

from billing.domain.errors import ProviderRejected
from billing.domain.money import Money

from .core import Change, SandboxCore, kind
from .objects import PRIVATE
from .store import Document, SandboxSession

_PAGE_KEY_CONTEXT = b"sandbox-hosted-page-token"


def N_(message: str) -> str:  # the marker name pybabel extracts by default
    """Mark ``message`` for the pages' catalog (``make messages``); the page translates it."""
    return message


class PageRefused(ProviderRejected):
    """The hosted page was used without the PaymentIntent's client secret, or a form came
    without the token of the page it belongs to."""

    code = "sandbox_page_refused"


def page_key(secret: str | None) -> bytes:
    """The key of the page tokens: derived from the signing secret (the same in every process
    of a deployment), or random for this process when there is none."""
    if not secret:
        return secrets.token_bytes(32)
    return hmac.new(secret.encode(), _PAGE_KEY_CONTEXT, hashlib.sha256).digest()


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
    #: What the page's forms send back: the page's token, and a PaymentIntent's client secret.
    page_token: str = attrs.field(default="", repr=False)
    client_secret: str | None = attrs.field(default=None, repr=False)


class HostedPages:
    def __init__(self, core: SandboxCore, key: bytes) -> None:
        self._core = core
        self._key = key

    def page_token(self, payment_id: str) -> str:
        """The token of ``payment_id``'s page, sent back by its forms."""
        return hmac.new(self._key, payment_id.encode(), hashlib.sha256).hexdigest()

    def check_form(self, payment_id: str, client_secret: str | None, token: str | None) -> None:
        """Refuse a form post without the page's token, or a PaymentIntent's without its client
        secret (``PageRefused``)."""
        if not hmac.compare_digest(self.page_token(payment_id), token or ""):
            raise PageRefused(
                N_(
                    "This form did not come from this payment's page (its token is missing or "
                    "wrong). Reload the page and try again."
                ),
                reason="page_token",
            )
        if kind(payment_id) == "payment_intent":
            self.describe(payment_id, client_secret)

    def describe(self, payment_id: str, client_secret: str | None = None) -> HostedPayment:
        """What the hosted page shows about ``payment_id``; a PaymentIntent only with its client
        secret (``PageRefused`` otherwise)."""
        core = self._core

        def work(session: SandboxSession, change: Change) -> HostedPayment:
            target = core.load(session, change, payment_id)
            _check_client_secret(target, client_secret)
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
                page_token=self.page_token(target["id"]),
                client_secret=client_secret if target["object"] == "payment_intent" else None,
            )

        return core.run(work)


def _check_client_secret(target: Document, given: str | None) -> None:
    if target["object"] != "payment_intent":
        return
    if not hmac.compare_digest(str(target["client_secret"]), given or ""):
        raise PageRefused(
            N_(
                "A PaymentIntent is shown and confirmed with its client secret: it is missing or "
                "does not match."
            ),
            reason="client_secret",
            payment_id=target["id"],
        )

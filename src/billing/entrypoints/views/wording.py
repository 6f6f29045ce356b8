"""What the shopper's pages say instead of codes: statuses, amounts, and why a payment failed.

The pages show an order's or a payment's status in words ("Awaiting payment", never
``PENDING_PAYMENT``), an amount with its currency, and, when a card fails, a message meant for
the person paying rather than Stripe's message for developers ("You can provide
payment_method_data…"). English only: the pages themselves are not translated yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask import Blueprint

from billing.domain.errors import BillingError
from billing.domain.money import Money

#: Order statuses, then Stripe's Checkout Session and PaymentIntent statuses (the sandbox page).
STATUS_WORDS: Final[Mapping[str, str]] = {
    "draft": "Not yet submitted",
    "pending_payment": "Awaiting payment",
    "paid": "Paid",
    "partially_refunded": "Partly refunded",
    "refunded": "Refunded",
    "canceled": "Canceled",
    "open": "Awaiting payment",
    "complete": "Paid",
    "expired": "Expired",
    "requires_payment_method": "Awaiting payment",
    "requires_confirmation": "Awaiting confirmation",
    "requires_action": "Awaiting authentication",
    "processing": "Processing",
    "succeeded": "Paid",
}

#: Stripe's decline codes, then its error codes, in the paying person's words.
_FAILURES: Final[Mapping[str, str]] = {
    "insufficient_funds": "Your card has insufficient funds. Try another card.",
    "incorrect_number": "The card number is incorrect. Check it and try again.",
    "expired_card": "Your card has expired. Try another card.",
    "payment_intent_authentication_failure": (
        "Your bank could not confirm it was you (3-D Secure). Try again or use another card."
    ),
    "card_declined": "Your card was declined. Try another card or contact your bank.",
}
_FAILED: Final = "The payment did not go through. Try again or use another card."


def status_words(code: object) -> str:
    """A status in words; an unknown code still reads as words, never in capitals."""
    text = str(code)
    return STATUS_WORDS.get(text) or text.replace("_", " ").capitalize()


def money_text(value: Money | Mapping[str, Any]) -> str:
    """``25.00 EUR``, from a ``Money`` or its JSON (``{"amount": 2500, "currency": "EUR"}``)."""
    if isinstance(value, Money):
        return str(value)
    return str(Money(int(value["amount"]), str(value["currency"])))


def rate_text(rate_bp: int) -> str:
    """A VAT rate in basis points as a percentage: 2000 → ``20 %``, 550 → ``5.5 %``."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole} %" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + " %"


def payment_failure(error: BillingError) -> str:
    """What to tell the person paying about a failed card payment."""
    for key in ("decline_code", "stripe_code"):
        code = error.details.get(key)
        if isinstance(code, str) and code in _FAILURES:
            return _FAILURES[code]
    return _FAILED


def add_filters(blueprint: Blueprint) -> None:
    """Give the app's templates these filters, prefixed so a host app's own names stay free."""
    blueprint.add_app_template_filter(status_words, "billing_status")
    blueprint.add_app_template_filter(money_text, "billing_money")
    blueprint.add_app_template_filter(rate_text, "billing_rate")

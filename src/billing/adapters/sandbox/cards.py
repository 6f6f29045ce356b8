"""Stripe's published test cards and what paying with each of them does.

https://docs.stripe.com/testing: 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined
(``card_declined``, decline code ``generic_decline``); 4000 0000 0000 9995 is declined for
``insufficient_funds``; 4000 0025 0000 3155 needs 3-D Secure authentication, then succeeds. Any
other number is refused as ``incorrect_number``, as Stripe refuses a number that fails its
checks.
"""

from __future__ import annotations

from enum import StrEnum

import attrs

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
REQUIRES_AUTHENTICATION = "4000002500003155"


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"


@attrs.frozen
class CardResult:
    outcome: Outcome
    last4: str
    #: Stripe's ``last_payment_error`` of a declined card: code, decline code, message.
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None


_DECLINES = {
    DECLINED: ("card_declined", "generic_decline", "Your card was declined."),
    INSUFFICIENT_FUNDS: (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
}


def normalize(number: str) -> str:
    """The digits of a card number as a person types it (spaces and dashes removed)."""
    return "".join(ch for ch in number if ch not in " -")


def charge_card(number: str) -> CardResult:
    digits = normalize(number)
    last4 = digits[-4:] if digits.isdigit() and len(digits) >= 4 else ""
    if digits == SUCCEEDS:
        return CardResult(Outcome.SUCCEEDED, last4)
    if digits == REQUIRES_AUTHENTICATION:
        return CardResult(Outcome.REQUIRES_ACTION, last4)
    if digits in _DECLINES:
        code, decline_code, message = _DECLINES[digits]
        return CardResult(Outcome.DECLINED, last4, code, decline_code, message)
    return CardResult(
        Outcome.DECLINED, last4, "incorrect_number", None, "Your card number is incorrect."
    )

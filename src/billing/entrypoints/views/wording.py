"""What the shopper's pages say instead of codes: statuses, amounts, and why a payment failed.

The pages show an order's or a payment's status in words ("Awaiting payment", never
``PENDING_PAYMENT``), an amount as the page's locale writes it (``€25.00``, ``25,00 €``), and,
when a card fails, a message meant for the person paying rather than Stripe's message for
developers ("You can provide payment_method_data…"). Every phrase is a message of the pages'
catalog (``translation.py``), in the locale of the page: the filters read it from the render
context.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, cast

from babel.dates import format_datetime
from babel.numbers import format_currency, format_percent
from flask import Blueprint, Flask
from jinja2 import pass_context
from jinja2.runtime import Context

from billing.domain.errors import BillingError
from billing.domain.money import Money, exponent

from .translation import LOCALE_KEY, N_, prepare, translate

#: Order statuses, then Stripe's Checkout Session and PaymentIntent statuses (the sandbox page).
STATUS_WORDS: Final[Mapping[str, str]] = {
    "draft": N_("Not yet submitted"),
    "pending_payment": N_("Awaiting payment"),
    "paid": N_("Paid"),
    "partially_refunded": N_("Partly refunded"),
    "refunded": N_("Refunded"),
    "canceled": N_("Canceled"),
    "open": N_("Awaiting payment"),
    "complete": N_("Paid"),
    "expired": N_("Expired"),
    "requires_payment_method": N_("Awaiting payment"),
    "requires_confirmation": N_("Awaiting confirmation"),
    "requires_action": N_("Awaiting authentication"),
    "processing": N_("Processing"),
    "succeeded": N_("Paid"),
}

#: Stripe's decline codes, then its error codes, in the paying person's words.
_FAILURES: Final[Mapping[str, str]] = {
    "insufficient_funds": N_("Your card has insufficient funds. Try another card."),
    "incorrect_number": N_("The card number is incorrect. Check it and try again."),
    "expired_card": N_("Your card has expired. Try another card."),
    "payment_intent_authentication_failure": N_(
        "Your bank could not confirm it was you (3-D Secure). Try again or use another card."
    ),
    "card_declined": N_("Your card was declined. Try another card or contact your bank."),
}
_FAILED: Final = N_("The payment did not go through. Try again or use another card.")


def status_words(code: object, locale: str) -> str:
    """A status in words; an unknown code still reads as words, never in capitals."""
    text = str(code)
    known = STATUS_WORDS.get(text)
    return translate(known, locale) if known else text.replace("_", " ").capitalize()


def money_text(value: Money | Mapping[str, Any], locale: str) -> str:
    """``€25.00`` or ``25,00 €``, from a ``Money`` or its JSON (``{"amount": 2500, …}``)."""
    money = value if isinstance(value, Money) else Money(int(value["amount"]), value["currency"])
    amount = Decimal(money.amount).scaleb(-exponent(money.currency))
    return format_currency(amount, money.currency, locale=locale)


def rate_text(rate_bp: int, locale: str) -> str:
    """A VAT rate in basis points as the locale writes a percentage: 550 → ``5.5%``, ``5,5 %``."""
    return format_percent(Decimal(rate_bp).scaleb(-4), locale=locale, decimal_quantization=False)


def moment_text(moment: datetime | str, locale: str) -> str:
    """A moment (or its ISO text, from JSON) in UTC, as the locale writes a date and time."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return format_datetime(when, "long", tzinfo=UTC, locale=locale)


def payment_failure(error: BillingError, locale: str) -> str:
    """What to tell the person paying about a failed card payment."""
    for key in ("decline_code", "stripe_code"):
        code = error.details.get(key)
        if isinstance(code, str) and code in _FAILURES:
            return translate(_FAILURES[code], locale)
    return translate(_FAILED, locale)


def _in_page_locale(format_: Any) -> Any:
    """``format_`` as a filter, in the locale of the page being rendered."""

    @pass_context
    def filter_(context: Context, value: Any) -> str:
        return str(format_(value, context.get(LOCALE_KEY, "en")))

    return filter_


def add_filters(blueprint: Blueprint) -> None:
    """Give the app's templates these filters, prefixed so a host app's own names stay free,
    and its Jinja environment the i18n extension."""
    blueprint.record_once(lambda state: prepare(cast(Flask, state.app)))
    for name, format_ in (
        ("billing_status", status_words),
        ("billing_money", money_text),
        ("billing_rate", rate_text),
        ("billing_moment", moment_text),
    ):
        blueprint.add_app_template_filter(_in_page_locale(format_), name)

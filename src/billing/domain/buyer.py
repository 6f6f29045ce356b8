"""Who pays, as an invoice names them: the billing details a buyer gave or a provider reported.

All optional: a guest who gives none is invoiced under its email. A VAT number makes the buyer
a business (B2B: the late-payment mentions are printed); its format is checked at the boundary
(the checkout request), where the identifier library lives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from billing.domain.errors import InvalidInput

MAX_NAME_LENGTH = 255
MAX_ADDRESS_LENGTH = 1000
MAX_TAX_ID_LENGTH = 32
MAX_PAYMENT_METHOD_LENGTH = 64


def _bounded(limit: int, field: str) -> Callable[[Any, Any, str], None]:
    def check(_: object, __: object, value: str) -> None:
        printable = all(line.isprintable() for line in value.split("\n"))
        if len(value) > limit or not printable:
            raise InvalidInput(f"{field} has at most {limit} printable characters", field=field)

    return check


def _country(_: object, __: object, value: str) -> None:
    if value and not (len(value) == 2 and value.isascii() and value.isalpha() and value.isupper()):
        raise InvalidInput("a country is an ISO 3166-1 alpha-2 code (FR)", field="country")


@attrs.frozen
class BillingDetails:
    """The buyer's name, postal address (lines separated by "\\n"), country and VAT number."""

    name: str = attrs.field(default="", validator=_bounded(MAX_NAME_LENGTH, "name"))
    address: str = attrs.field(default="", validator=_bounded(MAX_ADDRESS_LENGTH, "address"))
    country: str = attrs.field(default="", validator=_country)
    tax_id: str = attrs.field(default="", validator=_bounded(MAX_TAX_ID_LENGTH, "vat_number"))

    @property
    def empty(self) -> bool:
        return not (self.name or self.address or self.country or self.tax_id)


@attrs.frozen
class PayerDetails:
    """What a provider event says about the payer: billing details and how they paid
    (``"Visa •••• 4242"``); each part may be missing."""

    billing: BillingDetails | None = None
    payment_method: str = attrs.field(
        default="",
        validator=_bounded(MAX_PAYMENT_METHOD_LENGTH, "payment_method"),
    )


def card_label(brand: str | None, last4: str | None) -> str:
    """``Visa •••• 4242`` from a card's brand and last four digits ("" when unknown)."""
    if not brand:
        return ""
    name = {"amex": "American Express", "mastercard": "Mastercard", "cartes_bancaires": "CB"}
    label = name.get(brand, brand.replace("_", " ").title())
    digits = last4 if last4 and last4.isdigit() and len(last4) == 4 else ""
    return f"{label} •••• {digits}" if digits else label

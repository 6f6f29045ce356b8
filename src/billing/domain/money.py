"""Money in integer minor units, with each currency's own number of decimals.

No float is used anywhere: amounts are ints, parsing and formatting work on digit strings.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from billing.domain.errors import CurrencyMismatch, InvalidInput, UnknownCurrency

# Stripe's zero-decimal and three-decimal currencies; every other supported currency has two.
ZERO_DECIMAL: Final = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL: Final = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])
TWO_DECIMAL: Final = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CNY",
        "COP",
        "CRC",
        "CVE",
        "CZK",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GIP",
        "GMD",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "ISK",
        "JMD",
        "KES",
        "KGS",
        "KHR",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "MAD",
        "MDL",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SBD",
        "SCR",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "STD",
        "SZL",
        "THB",
        "TJS",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "USD",
        "UYU",
        "UZS",
        "WST",
        "XCD",
        "YER",
        "ZAR",
        "ZMW",
    ]
)

_DECIMAL_TEXT = re.compile(r"^(?P<sign>-?)(?P<units>[0-9]+)(?:\.(?P<fraction>[0-9]+))?$")


def exponent(currency: str) -> int:
    """Number of decimals of ``currency``'s minor unit (JPY 0, EUR 2, KWD 3)."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    if currency in TWO_DECIMAL:
        return 2
    raise UnknownCurrency(f"unknown currency {currency!r}", currency=currency)


def _normalise_currency(value: str) -> str:
    currency = value.upper()
    exponent(currency)
    return currency


def _require_int(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    # bool is an int subclass; an amount of True is a bug, never money.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"{attribute.name} must be an integer in minor units", value=value)


@attrs.frozen(order=False)
class Money:
    """An amount in the minor unit of an ISO-4217 currency: ``Money(1050, "EUR")`` is 10.50 EUR."""

    amount: int = attrs.field(validator=_require_int)
    currency: str = attrs.field(converter=_normalise_currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Read a decimal string such as ``"10.50"`` without going through float."""
        if not isinstance(text, str):  # a float (or anything else) never becomes money
            raise InvalidInput(f"an amount to parse must be text, not {type(text).__name__}")
        currency = _normalise_currency(currency)
        match = _DECIMAL_TEXT.match(text.strip())
        if match is None:
            raise InvalidInput(f"not a decimal amount: {text!r}", text=text)
        digits = exponent(currency)
        fraction = match["fraction"] or ""
        if len(fraction) > digits:
            raise InvalidInput(
                f"{currency} has {digits} decimals, got {text!r}", text=text, currency=currency
            )
        amount = int(match["units"]) * 10**digits + int(fraction.ljust(digits, "0") or "0")
        return cls(-amount if match["sign"] else amount, currency)

    def format(self) -> str:
        """The amount as a decimal string with the currency's own decimals: ``"10.50"``."""
        digits = exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        units, fraction = divmod(abs(self.amount), 10**digits)
        if digits == 0:
            return f"{sign}{units}"
        return f"{sign}{units}.{fraction:0{digits}d}"

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}",
                left=self.currency,
                right=other.currency,
            )

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money can only be multiplied by an integer")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

"""How an invoice writes amounts, dates and rates in its locale, through Babel.

``1 234,56 €`` in French, ``€1,234.56`` in English; dates in the locale's long form; a VAT rate
of 550 basis points is ``5,5 %`` or ``5.5%``. No float on the way: minor units become a
``Decimal`` scaled by the currency's exponent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_percent

from billing.domain.money import exponent


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def decimal_amount(amount: int, currency: str) -> Decimal:
    """Minor units as an exact decimal in ``currency``: 123456 EUR -> ``Decimal("1234.56")``."""
    return Decimal(amount).scaleb(-exponent(currency))


def money(amount: int, currency: str, locale: str) -> str:
    """The amount as ``locale`` writes it, with the currency's own decimals."""
    return format_currency(decimal_amount(amount, currency), currency, locale=locale)


def day(moment: datetime, locale: str) -> str:
    """The UTC calendar day of ``moment`` in the locale's long form (``1 mars 2026``)."""
    return format_date(as_utc(moment).date(), format="long", locale=locale)


def rate(basis_points: int, locale: str) -> str:
    """A tax rate in basis points as the locale writes a percentage: 2000 -> ``20 %``."""
    fraction = Decimal(basis_points).scaleb(-4)
    return format_percent(fraction, locale=locale, decimal_quantization=False)

"""VAT in integer minor units: the rates, the one rounding rule, totals per rate, and splits.

**The rounding rule** (as French and EU invoices show VAT): the tax is computed **per line**, on
the line's amount (quantity * unit price), rounded half up to the currency's minor unit; then
the lines' nets, taxes and grosses are **summed per rate**. Nothing is rounded again after the
sum, so per rate and overall ``net + tax == gross`` holds exactly, and each line's tax is the
nearest minor unit to the exact one (never off by more than half a unit). Amounts are already
integers in the currency's minor unit (``money.exponent``: 0, 2 or 3 decimals), so the rule is
the same for JPY, EUR and KWD.

- Prices that include the tax (``BILLING_PRICES_INCLUDE_TAX=true``, B2C): the line's gross is
  its amount; ``net = round(gross * 10000 / (10000 + rate_bp))`` and ``tax = gross - net``.
- Net prices: the line's net is its amount; ``tax = round(net * rate_bp / 10000)``,
  ``gross = net + tax`` (what is charged).

**A split in proportion** (``split``), used to spread a partial refund or a lost dispute over
an order's lines (and so over its rates): each part gets ``amount * weight / total`` rounded
down, and the units left over go one each to the parts with the largest remainders (the first
line first on a tie). The parts always add up to ``amount`` exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from billing.domain.errors import InvalidInput
from billing.domain.invoice import TaxCategory, TaxLine

#: Basis points in 100 %: a rate of 2000 is 20 %, 550 is 5.5 %.
BASIS = 10_000
#: No VAT rate in the world reaches 100 %; a larger one is a typo (2000 % for 20 %).
MAX_RATE_BP = BASIS
_PERCENT = re.compile(r"^(?P<units>[0-9]{1,3})(?:[.,](?P<fraction>[0-9]{1,2}))?\s*%$")
_CATEGORY_NAMES = {
    "standard": TaxCategory.STANDARD,
    "reduced": TaxCategory.REDUCED,
    "zero": TaxCategory.ZERO,
    "exempt": TaxCategory.EXEMPT,
}


def parse_rate(value: object) -> int:
    """A rate in basis points from an integer (``550``) or a percentage (``"5.5 %"``).

    A bare decimal (``"0.055"`` or ``"5.5"``) is refused: it could mean either.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        rate = value
    elif isinstance(value, str) and (match := _PERCENT.match(value.strip())):
        rate = int(match["units"]) * 100 + int((match["fraction"] or "").ljust(2, "0"))
    else:
        raise InvalidInput(
            f"a tax rate is basis points (2000) or a percentage ('20 %'), not {value!r}",
            field="tax_rate",
        )
    if not 0 <= rate <= MAX_RATE_BP:
        raise InvalidInput(f"a tax rate is 0 to {MAX_RATE_BP} basis points", field="tax_rate")
    return rate


def parse_category(name: str) -> TaxCategory:
    """``standard``, ``reduced``, ``zero`` or ``exempt`` (or the EN 16931 code itself)."""
    found = _CATEGORY_NAMES.get(name.strip().lower())
    if found is None:
        try:
            return TaxCategory(name.strip().upper())
        except ValueError:
            raise InvalidInput(
                f"a tax category is one of {', '.join(_CATEGORY_NAMES)}, not {name!r}",
                field="tax_category",
            ) from None
    return found


def category_name(category: TaxCategory) -> str:
    return next(name for name, value in _CATEGORY_NAMES.items() if value is category)


@attrs.frozen
class TaxRate:
    """How a product is taxed: a rate, its category and, for an exempt one, why.

    Without a category a positive rate is standard and a zero rate exempt. A standard or
    reduced category needs a positive rate; zero and exempt ones a zero rate.
    """

    rate_bp: int = 0
    category: TaxCategory | None = None
    exemption_reason: str = ""

    def __attrs_post_init__(self) -> None:
        if isinstance(self.rate_bp, bool) or not isinstance(self.rate_bp, int):
            raise InvalidInput("a tax rate is an integer of basis points", field="tax_rate")
        if not 0 <= self.rate_bp <= MAX_RATE_BP:
            raise InvalidInput(f"a tax rate is 0 to {MAX_RATE_BP} basis points", field="tax_rate")
        if self.category is None:
            derived = TaxCategory.STANDARD if self.rate_bp else TaxCategory.EXEMPT
            object.__setattr__(self, "category", derived)
        taxed = self.category in (TaxCategory.STANDARD, TaxCategory.REDUCED)
        if taxed != (self.rate_bp > 0):
            raise InvalidInput(
                f"a {category_name(self.kind)} tax category needs "
                f"{'a positive' if taxed else 'a zero'} rate, not {self.rate_bp} basis points",
                field="tax_category",
            )
        if self.exemption_reason and self.kind is not TaxCategory.EXEMPT:
            raise InvalidInput("only an exempt line has an exemption reason", field="tax_category")

    @property
    def kind(self) -> TaxCategory:
        """The category (always set once made)."""
        assert self.category is not None
        return self.category


@attrs.frozen
class LineTax:
    """One line's amounts: ``net + tax == gross``."""

    net: int
    tax: int

    @property
    def gross(self) -> int:
        return self.net + self.tax


def _round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` to the nearest integer, halves up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def line_tax(amount: int, rate_bp: int, *, includes_tax: bool) -> LineTax:
    """The net and the tax of a line worth ``amount`` minor units (see the module's rule)."""
    if amount < 0 or rate_bp < 0:
        raise InvalidInput("a line's amount and its tax rate cannot be negative", amount=amount)
    if includes_tax:
        net = _round_half_up(amount * BASIS, BASIS + rate_bp)
        return LineTax(net, amount - net)
    return LineTax(amount, _round_half_up(amount * rate_bp, BASIS))


@attrs.frozen
class TaxedAmount:
    """An amount with its rate: what ``totals`` sums per rate."""

    rate: TaxRate
    net: int
    tax: int


def totals(lines: Iterable[TaxedAmount], exemption_reason: str = "") -> tuple[TaxLine, ...]:
    """Nets, taxes and grosses summed per (rate, category, reason), highest rate first.

    ``exemption_reason`` is the one for exempt lines that give none (the seller's
    ``BILLING_VAT_EXEMPTION_MENTION``).
    """
    sums: dict[tuple[int, TaxCategory, str], list[int]] = {}
    for line in lines:
        reason = line.rate.exemption_reason
        if line.rate.kind is TaxCategory.EXEMPT and not reason:
            reason = exemption_reason
        total = sums.setdefault((line.rate.rate_bp, line.rate.kind, reason), [0, 0])
        total[0] += line.net
        total[1] += line.tax
    ordered = sorted(sums.items(), key=lambda item: (-item[0][0], item[0][1].value, item[0][2]))
    return tuple(
        TaxLine(rate_bp, category, net, tax, net + tax, reason)
        for (rate_bp, category, reason), (net, tax) in ordered
    )


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` shared in proportion to ``weights`` (largest remainders); sums to ``amount``."""
    whole = sum(weights)
    if amount < 0 or whole <= 0 or any(weight < 0 for weight in weights):
        raise InvalidInput("a split needs a non-negative amount and positive weights")
    shares = [amount * weight // whole for weight in weights]
    remainders = [amount * weight % whole for weight in weights]
    left = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in by_remainder[:left]:
        shares[index] += 1
    return shares

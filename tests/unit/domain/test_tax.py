"""VAT: one rounding rule (per line, then summed per rate), exact per rate and overall, for 0-,
2- and 3-decimal currencies, and a proportional split that always adds up."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.errors import InvalidInput
from billing.domain.invoice import TaxCategory
from billing.domain.money import Money, exponent
from billing.domain.tax import (
    TaxedAmount,
    TaxRate,
    line_tax,
    parse_category,
    parse_rate,
    split,
    totals,
)

CURRENCIES = ("JPY", "EUR", "KWD")  # 0, 2 and 3 decimals
RATES = st.sampled_from([0, 210, 550, 1000, 2000, 2100, 2500, 1, 9999])
#: A line's amount given the way a catalog writes it: a decimal in the currency's major unit.
AMOUNTS = st.integers(min_value=0, max_value=10**9)


@st.composite
def lines(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]], bool]:
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.integers(min_value=1, max_value=8))
    drawn = [(draw(AMOUNTS), draw(RATES)) for _ in range(count)]
    return currency, drawn, draw(st.booleans())


def _exact_tax(amount: int, rate_bp: int, includes_tax: bool) -> Fraction:
    if includes_tax:
        return Fraction(amount) - Fraction(amount * 10_000, 10_000 + rate_bp)
    return Fraction(amount * rate_bp, 10_000)


@given(lines())
def test_net_plus_tax_is_gross_per_line_per_rate_and_overall(
    drawn: tuple[str, list[tuple[int, int]], bool],
) -> None:
    currency, amounts, includes_tax = drawn
    taxed = []
    for amount, rate_bp in amounts:
        line = line_tax(amount, rate_bp, includes_tax=includes_tax)
        assert line.net + line.tax == line.gross
        assert line.net >= 0
        assert line.tax >= 0
        # never off by a minor unit: the nearest one to the exact tax (halves up)
        assert abs(Fraction(line.tax) - _exact_tax(amount, rate_bp, includes_tax)) <= Fraction(1, 2)
        assert (line.gross if includes_tax else line.net) == amount
        taxed.append(TaxedAmount(TaxRate(rate_bp), line.net, line.tax))
    per_rate = totals(taxed)
    for total in per_rate:
        assert total.net + total.tax == total.gross
        mine = [t for t in taxed if t.rate.rate_bp == total.rate_bp]
        assert total.net == sum(t.net for t in mine)
        assert total.tax == sum(t.tax for t in mine)
    assert len({t.rate_bp for t in per_rate}) == len(per_rate)
    overall_gross = sum(t.gross for t in per_rate)
    assert overall_gross == sum(t.net + t.tax for t in taxed)
    assert sum(t.net for t in per_rate) + sum(t.tax for t in per_rate) == overall_gross
    # the amounts are whole minor units of the currency: they print with its own decimals
    assert Money(overall_gross, currency).format().count(".") == (1 if exponent(currency) else 0)


@pytest.mark.parametrize(
    ("currency", "price", "rate_bp", "net", "tax"),
    [
        ("EUR", "29.00", 550, "27.49", "1.51"),  # 29 / 1.055 = 27.488…
        ("EUR", "149.00", 2000, "124.17", "24.83"),  # 149 / 1.2 = 124.1666…
        ("JPY", "1500", 1000, "1364", "136"),  # 1500 / 1.1 = 1363.63…
        ("KWD", "10.000", 500, "9.524", "0.476"),  # 10 / 1.05 = 9.5238…
        ("EUR", "0.05", 2000, "0.04", "0.01"),  # 0.041666… rounds down, the tax is 0.01
    ],
)
def test_gross_prices_in_each_currency(
    currency: str, price: str, rate_bp: int, net: str, tax: str
) -> None:
    line = line_tax(Money.parse(price, currency).amount, rate_bp, includes_tax=True)
    assert Money(line.net, currency) == Money.parse(net, currency)
    assert Money(line.tax, currency) == Money.parse(tax, currency)


def test_net_prices_add_the_rounded_tax() -> None:
    line = line_tax(1005, 2000, includes_tax=False)  # 10.05 * 20 % = 2.01
    assert (line.net, line.tax, line.gross) == (1005, 201, 1206)
    half = line_tax(25, 2000, includes_tax=False)  # 0.25 * 20 % = 0.05 exactly
    assert half.tax == 5
    rounding_half_up = line_tax(1, 5000, includes_tax=False)  # 0.005 → 0.01
    assert rounding_half_up.tax == 1


def test_per_line_then_summed_differs_from_rounding_the_sum() -> None:
    """Three lines of 0.10 at 5.5 %: per line 0.01 each (0.0055 rounds up), 0.03 in all, where
    rounding the summed net (0.30 * 5.5 % = 0.0165) would give 0.02."""
    line = line_tax(10, 550, includes_tax=False)
    taxed = [TaxedAmount(TaxRate(550), line.net, line.tax) for _ in range(3)]
    (total,) = totals(taxed)
    assert (total.net, total.tax, total.gross) == (30, 3, 33)


def test_totals_per_rate_highest_first_with_the_exemption_reason() -> None:
    taxed = [
        TaxedAmount(TaxRate(550, TaxCategory.REDUCED), 2749, 151),
        TaxedAmount(TaxRate(2000), 12417, 2483),
        TaxedAmount(TaxRate(0, TaxCategory.EXEMPT), 500, 0),
        TaxedAmount(TaxRate(2000), 1000, 200),
    ]
    standard, reduced, exempt = totals(taxed, exemption_reason="TVA non applicable")
    assert (standard.rate_bp, standard.net, standard.tax, standard.gross) == (
        2000,
        13417,
        2683,
        16100,
    )
    assert reduced.category is TaxCategory.REDUCED
    assert (exempt.category, exempt.exemption_reason) == (TaxCategory.EXEMPT, "TVA non applicable")
    own = totals([TaxedAmount(TaxRate(0, TaxCategory.EXEMPT, "Art. 261 du CGI"), 1, 0)], "x")
    assert own[0].exemption_reason == "Art. 261 du CGI"


@pytest.mark.parametrize(
    ("given_rate", "bp"),
    [(2000, 2000), ("20 %", 2000), ("5.5%", 550), ("5,5 %", 550), ("2.10 %", 210), (0, 0)],
)
def test_rates_are_basis_points_or_percentages(given_rate: object, bp: int) -> None:
    assert parse_rate(given_rate) == bp


@pytest.mark.parametrize("given_rate", ["0.2", "20", 20.0, True, -1, 10_001, "200 %", "1.234 %"])
def test_an_ambiguous_or_impossible_rate_is_refused(given_rate: object) -> None:
    with pytest.raises(InvalidInput):
        parse_rate(given_rate)


def test_categories_follow_the_rate() -> None:
    assert TaxRate(2000).category is TaxCategory.STANDARD
    assert TaxRate(0).category is TaxCategory.EXEMPT
    assert parse_category("reduced") is TaxCategory.REDUCED
    assert parse_category("Z") is TaxCategory.ZERO
    for wrong in (
        lambda: TaxRate(0, TaxCategory.STANDARD),
        lambda: TaxRate(550, TaxCategory.EXEMPT),
        lambda: TaxRate(2000, TaxCategory.STANDARD, "exempt because"),
        lambda: parse_category("luxury"),
    ):
        with pytest.raises(InvalidInput):
            wrong()


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=10).filter(any),
)
def test_a_split_adds_up_exactly_and_stays_in_proportion(amount: int, weights: list[int]) -> None:
    shares = split(amount, weights)
    assert sum(shares) == amount
    whole = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(Fraction(share) - Fraction(amount * weight, whole)) < 1
        if weight == 0:
            assert share == 0


def test_a_split_of_everything_gives_each_its_own() -> None:
    assert split(16100, [2900, 500, 12700]) == [2900, 500, 12700]
    assert split(1, [1, 1, 1]) == [1, 0, 0]  # a tie: the first line first
    assert split(10, [1, 2]) == [3, 7]  # 3.33 and 6.67: the larger remainder gets the unit
    with pytest.raises(InvalidInput):
        split(1, [0, 0])

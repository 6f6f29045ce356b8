"""Money: integer minor units per currency exponent (JPY 0, EUR 2, KWD 3), never a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain import money as money_module
from billing.domain.errors import CurrencyMismatch, InvalidInput, UnknownCurrency
from billing.domain.money import Money, exponent

EXPONENTS = {"JPY": 0, "EUR": 2, "KWD": 3}


@pytest.mark.parametrize(("currency", "digits"), EXPONENTS.items())
def test_exponent(currency: str, digits: int) -> None:
    assert exponent(currency) == digits
    assert Money.zero(currency) == Money(0, currency)


@pytest.mark.parametrize("currency", ["XXX", "", "EURO", "eu", "€"])
def test_an_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(UnknownCurrency) as refused:
        Money(100, currency)
    assert refused.value.code == "unknown_currency"
    with pytest.raises(UnknownCurrency):
        Money.parse("1", currency)
    with pytest.raises(UnknownCurrency):
        exponent(currency)


def test_the_currency_is_upper_cased() -> None:
    assert Money(100, "eur") == Money(100, "EUR")
    assert Money(100, "eur").currency == "EUR"
    assert Money.parse("1.00", "kwd") == Money(1000, "KWD")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1050, "JPY", "1050"),
        (0, "JPY", "0"),
        (-7, "JPY", "-7"),
        (1050, "EUR", "10.50"),
        (5, "EUR", "0.05"),
        (-5, "EUR", "-0.05"),
        (0, "EUR", "0.00"),
        (100, "EUR", "1.00"),
        (-123456, "EUR", "-1234.56"),
        (1050, "KWD", "1.050"),
        (5, "KWD", "0.005"),
        (-1001, "KWD", "-1.001"),
        (0, "KWD", "0.000"),
        # Beyond a float's 53-bit mantissa: a float anywhere would lose the last digits.
        (10**20 + 1, "EUR", "1000000000000000000.01"),
        (2**64 + 3, "KWD", "18446744073709551.619"),
    ],
)
def test_format_and_str(amount: int, currency: str, text: str) -> None:
    money = Money(amount, currency)
    assert money.format() == text
    assert str(money) == f"{text} {currency}"
    assert Money.parse(text, currency) == money


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [
        ("10.50", "EUR", 1050),
        ("10.5", "EUR", 1050),
        ("10", "EUR", 1000),
        ("0.01", "EUR", 1),
        ("  10.50\n", "EUR", 1050),
        ("-3.20", "EUR", -320),
        ("007.10", "EUR", 710),
        ("-0", "EUR", 0),
        ("1050", "JPY", 1050),
        ("0", "JPY", 0),
        ("1.05", "KWD", 1050),
        ("1.050", "KWD", 1050),
        ("0.001", "KWD", 1),
        ("12345678901234567.89", "EUR", 1234567890123456789),
    ],
)
def test_parse(text: str, currency: str, amount: int) -> None:
    assert Money.parse(text, currency) == Money(amount, currency)


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("10.5", "JPY"),
        ("10.0", "JPY"),
        ("10.505", "EUR"),
        ("0.001", "EUR"),
        ("1.0505", "KWD"),
        ("0.0001", "KWD"),
    ],
)
def test_parse_refuses_more_decimals_than_the_currency_has(text: str, currency: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Money.parse(text, currency)
    assert refused.value.code == "invalid_input"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "10,50",
        "1,000.00",
        "1e3",
        "1E-2",
        "1.2.3",
        ".5",
        "5.",
        "+5",
        "--5",
        "- 5",
        "10.50 EUR",
        "€10.50",
        "nan",
        "inf",
        "-inf",
        "0x10",
        "1_000",
    ],
)
def test_parse_refuses_garbage(text: str) -> None:
    with pytest.raises(InvalidInput):
        Money.parse(text, "EUR")


@pytest.mark.parametrize("value", [10.5, 10.0, 1050, Decimal("10.50"), None, b"10.50"], ids=repr)
def test_parse_takes_text_only(value: object) -> None:
    with pytest.raises(InvalidInput):
        Money.parse(value, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [10.5, 10.0, True, False, "100", Decimal(100), None], ids=repr)
def test_the_amount_must_be_an_int(amount: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        Money(amount, "EUR")  # type: ignore[arg-type]
    assert refused.value.code == "invalid_input"


def test_no_float_is_used_to_parse_or_format(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_float(*_: object) -> float:
        raise AssertionError("float() called in the money path")

    monkeypatch.setattr(money_module, "float", no_float, raising=False)
    for currency, digits in EXPONENTS.items():
        text = "123456789." + "9" * digits if digits else "123456789"
        money = Money.parse(text, currency)
        assert money.format() == text
        assert isinstance(money.amount, int)


def test_arithmetic() -> None:
    a, b = Money(1050, "EUR"), Money(250, "EUR")
    assert a + b == Money(1300, "EUR")
    assert a - b == Money(800, "EUR")
    assert b - a == Money(-800, "EUR")
    assert a * 3 == Money(3150, "EUR")
    assert 3 * a == Money(3150, "EUR")
    assert a * 0 == Money(0, "EUR")
    assert Money(1, "KWD") + Money(999, "KWD") == Money(1000, "KWD")
    assert (Money(7, "JPY") * 2).format() == "14"


def test_comparisons() -> None:
    small, big = Money(100, "EUR"), Money(200, "EUR")
    assert small < big
    assert small <= big
    assert small <= Money(100, "EUR")
    assert big > small
    assert big >= small
    assert big >= Money(200, "EUR")
    assert not big < small
    assert not small > big
    assert max(small, big) == big


def test_money_is_a_hashable_value() -> None:
    assert {Money(100, "EUR"), Money(100, "eur")} == {Money(100, "EUR")}
    assert Money(100, "EUR") != Money(100, "USD")
    assert Money(100, "EUR") != Money(101, "EUR")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
@pytest.mark.parametrize(("left", "right"), [("EUR", "JPY"), ("KWD", "EUR"), ("JPY", "KWD")])
def test_mixing_currencies_is_refused(operation: object, left: str, right: str) -> None:
    assert callable(operation)
    with pytest.raises(CurrencyMismatch) as refused:
        operation(Money(100, left), Money(100, right))
    assert refused.value.code == "currency_mismatch"
    assert refused.value.details == {"left": left, "right": right}


@pytest.mark.parametrize("other", [100, 1.5, "1.00", None], ids=repr)
def test_combining_with_a_non_money_is_a_type_error(other: object) -> None:
    with pytest.raises(TypeError):
        Money(100, "EUR") + other  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert Money(100, "EUR") < other  # type: ignore[operator]


@pytest.mark.parametrize("factor", [1.5, 2.0, True, "2", Decimal(2)], ids=repr)
def test_multiplying_by_a_non_integer_is_refused(factor: object) -> None:
    with pytest.raises(TypeError):
        Money(100, "EUR") * factor  # type: ignore[operator]


@given(amount=st.integers(), currency=st.sampled_from(sorted(EXPONENTS)))
def test_parse_of_format_round_trips(amount: int, currency: str) -> None:
    money = Money(amount, currency)
    text = money.format()
    assert Money.parse(text, currency) == money
    assert str(money) == f"{text} {currency}"
    # The text has exactly the currency's decimals.
    fraction = text.partition(".")[2]
    assert len(fraction) == EXPONENTS[currency]


@given(
    units=st.integers(min_value=0, max_value=10**30),
    data=st.data(),
    currency=st.sampled_from(sorted(EXPONENTS)),
    negative=st.booleans(),
)
def test_parse_reads_digits_exactly(
    units: int, data: st.DataObject, currency: str, negative: bool
) -> None:
    digits = EXPONENTS[currency]
    fraction = data.draw(st.text(alphabet="0123456789", max_size=digits))
    text = ("-" if negative else "") + str(units) + (f".{fraction}" if fraction else "")
    expected = units * 10**digits + int(fraction.ljust(digits, "0") or "0")

    assert Money.parse(text, currency).amount == (-expected if negative else expected)


def test_only_ascii_digits_are_read() -> None:
    with pytest.raises(InvalidInput):
        Money.parse("\uff11\uff10.\uff15", "EUR")  # full-width "10.5"

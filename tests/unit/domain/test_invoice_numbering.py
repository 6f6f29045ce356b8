"""Invoice numbering: ``INV-2026-000042``, exact parse round trip, bounds, the next number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.errors import InvalidInput
from billing.domain.invoice import SERIES_PREFIX, DocumentKind, DocumentNumber


def test_format() -> None:
    assert str(DocumentNumber("INV", 2026, 42)) == "INV-2026-000042"
    assert str(DocumentNumber("CN", 2026, 1)) == "CN-2026-000001"
    assert str(DocumentNumber("INV", 2027, 999_999)) == "INV-2027-999999"


def test_series_prefixes() -> None:
    assert SERIES_PREFIX == {
        DocumentKind.INVOICE: "INV",
        DocumentKind.CREDIT_NOTE: "CN",
        # Numbered documents are never deleted: a credit note is canceled by an invoice.
        DocumentKind.CREDIT_NOTE_CANCELLATION: "INV",
    }


def test_parse() -> None:
    assert DocumentNumber.parse("INV-2026-000042") == DocumentNumber("INV", 2026, 42)
    assert DocumentNumber.parse("CN-2031-999999") == DocumentNumber("CN", 2031, 999_999)


@given(
    series=st.sampled_from(sorted(SERIES_PREFIX.values())),
    year=st.integers(min_value=2000, max_value=9999),
    sequence=st.integers(min_value=1, max_value=999_999),
)
def test_parse_round_trip(series: str, year: int, sequence: int) -> None:
    number = DocumentNumber(series, year, sequence)
    text = str(number)
    assert DocumentNumber.parse(text) == number
    assert str(DocumentNumber.parse(text)) == text


@pytest.mark.parametrize("sequence", [0, -1, 1_000_000])
def test_the_sequence_is_bounded(sequence: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        DocumentNumber("INV", 2026, sequence)
    assert refused.value.code == "invalid_input"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "INV",
        "INV-2026",
        "INV-2026-000042-1",
        "INV-2026-42",  # not the canonical form: it would not round-trip
        "INV-26-000042",
        "INV-2_026-000042",
        "INV-2026-+00042",
        "INV-2026-000000",
        "inv-2026-000042",
        " INV-2026-000042",
        "INV-2026-000042\n",
        "INV-\uff12\uff10\uff12\uff16-000042",  # full-width digits
    ],
)
def test_parse_refuses_anything_but_the_canonical_form(text: str) -> None:
    with pytest.raises(InvalidInput):
        DocumentNumber.parse(text)


def test_a_number_is_written_with_six_digits() -> None:
    assert str(DocumentNumber("INV", 2026, 42)) == "INV-2026-000042"


def test_the_series_runs_out_rather_than_wrapping() -> None:
    assert DocumentNumber("INV", 2026, 999_999).sequence == 999_999
    with pytest.raises(InvalidInput):
        DocumentNumber("INV", 2026, 1_000_000)


@given(sequence=st.integers(min_value=1, max_value=999_999))
def test_every_number_of_the_series_reads_back(sequence: int) -> None:
    number = DocumentNumber("INV", 2026, sequence)
    assert DocumentNumber.parse(str(number)) == number

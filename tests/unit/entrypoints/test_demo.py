"""``billing demo`` walks one order to REFUNDED and prints its documents."""

from __future__ import annotations

from click.testing import CliRunner

from billing.entrypoints.cli import main


def test_the_demo_ends_refunded_with_an_invoice_and_two_credit_notes() -> None:
    result = CliRunner().invoke(main, ["demo"])

    assert result.exit_code == 0, result.output
    assert "delivered again: duplicate: paid" in result.output
    assert "invoice: INV-" in result.output
    assert result.output.count("credit_note: CN-") == 2
    assert result.output.strip().endswith("final status: refunded")


def test_the_demo_prints_the_vat_breakdown_per_rate() -> None:
    output = CliRunner().invoke(main, ["demo"]).output

    assert "VAT 20.00 % (S): net 124.17 EUR + VAT 24.83 EUR = 149.00 EUR" in output
    assert "VAT 5.50 % (AA): net 27.49 EUR + VAT 1.51 EUR = 29.00 EUR" in output
    assert "VAT 0.00 % (E): net 10.00 EUR + VAT 0.00 EUR = 10.00 EUR — Exonération" in output

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

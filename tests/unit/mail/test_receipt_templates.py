"""The receipt's words in French and English: amounts and dates as each locale writes them,
product names escaped in the HTML, the credit note naming the invoice it corrects."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from billing.adapters.mail import JinjaReceiptTemplates
from billing.domain.errors import InvalidInput
from billing.domain.invoice import DocumentKind, DocumentLine, InvoiceDocument, Party

INVOICE = InvoiceDocument(
    number="INV-2026-000001",
    kind=DocumentKind.INVOICE,
    issued_at=datetime(2026, 3, 14, 23, 30, tzinfo=UTC),
    seller=Party("Librairie Dupont SAS", email="contact@dupont.example"),
    buyer=Party("guest@example.com", email="guest@example.com"),
    currency="EUR",
    lines=(
        DocumentLine("Python <script>alert(1)</script>", 2, 123456, 246912),
        DocumentLine("Stickers", 1, 300, 300),
    ),
    total=247212,
    order_id="ord_123",
)
CREDIT_NOTE = attrs.evolve(
    INVOICE,
    number="CN-2026-000001",
    kind=DocumentKind.CREDIT_NOTE,
    currency="JPY",
    lines=(DocumentLine("Refund for order ord_123", 1, 900, 900),),
    total=900,
    refers_to="INV-2026-000001",
)


def _spaces(text: str) -> str:
    """Babel separates thousands with (narrow) no-break spaces: read them as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_french_is_the_receipts_language_with_french_amounts_and_dates() -> None:
    body = JinjaReceiptTemplates().render(INVOICE, "fr")

    assert body.subject == "Votre facture INV-2026-000001 \u2013 Librairie Dupont SAS"
    text = _spaces(body.text)
    assert "facture INV-2026-000001 du 14 mars 2026" in text
    assert "commande ord_123" in text
    assert "2 \u00d7 Python <script>alert(1)</script> : 2 469,12 €" in text
    assert "Total : 2 472,12 €" in text
    assert "contact@dupont.example" in text
    assert "2 472,12 €" in _spaces(body.html)


def test_english_receipts_write_amounts_and_dates_the_english_way() -> None:
    body = JinjaReceiptTemplates().render(INVOICE, "en")

    assert body.subject == "Your invoice INV-2026-000001 \u2013 Librairie Dupont SAS"
    assert "invoice INV-2026-000001 of March 14, 2026" in body.text
    assert "Total: €2,472.12" in body.text
    assert "€2,469.12" in body.html


def test_product_names_are_escaped_in_the_html() -> None:
    html = JinjaReceiptTemplates().render(INVOICE, "fr").html

    assert "<script>" not in html
    assert "Python &lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("locale", "subject", "sentence"),
    [
        ("fr", "Votre avoir CN-2026-000001", "qui corrige la facture INV-2026-000001"),
        ("en", "Your credit note CN-2026-000001", "which corrects invoice INV-2026-000001"),
    ],
)
def test_a_credit_note_says_what_was_refunded_and_what_it_corrects(
    locale: str, subject: str, sentence: str
) -> None:
    body = JinjaReceiptTemplates().render(CREDIT_NOTE, locale)

    assert body.subject.startswith(subject)
    assert sentence in body.text
    assert sentence in body.html
    assert "900" in body.text
    assert "900,00" not in body.text  # yen have no minor unit
    assert "900.00" not in body.text


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(InvalidInput):
        JinjaReceiptTemplates().render(INVOICE, "de")

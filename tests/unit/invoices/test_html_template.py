"""The invoice HTML: amounts in each currency's decimals, both document kinds, escaping."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest

from billing.adapters.invoices.errors import UnknownTemplateVersion
from billing.adapters.invoices.html_template import InvoiceHtmlTemplate
from billing.domain.errors import UnknownCurrency
from billing.domain.invoice import InvoiceDocument, Party

from .documents import CREDIT_NOTE, EUR_INVOICE, HOSTILE_NAME, JPY_INVOICE, KWD_INVOICE

TEMPLATE = InvoiceHtmlTemplate()


@pytest.mark.parametrize(
    ("document", "expected", "absent"),
    [
        (EUR_INVOICE, ["25.00", "50.00", "1234.56", "1284.56 EUR"], [">2500<", ">123456<"]),
        (JPY_INVOICE, [">900<", ">2700<", "2700 JPY"], ["9.00", "27.00"]),
        (KWD_INVOICE, [">12.345<", ">24.690<", "24.690 KWD"], ["123.45", ">24.69<"]),
    ],
    ids=["EUR", "JPY", "KWD"],
)
def test_amounts_use_the_currency_s_own_decimals(
    document: InvoiceDocument, expected: list[str], absent: list[str]
) -> None:
    html = TEMPLATE.render(document)

    for text in expected:
        assert text in html
    for text in absent:
        assert text not in html


def test_invoice_shows_number_date_parties_and_lines() -> None:
    html = TEMPLATE.render(EUR_INVOICE)

    assert "<title>Invoice INV-2026-000042</title>" in html
    assert ">2026-03-01<" in html
    for text in ("Acme Learning SAS", "FR40123456789", "billing@acme.example", "Ada Lovelace"):
        assert text in html
    assert "A book" in html
    assert '<td class="number">2</td>' in html  # quantity
    assert "Credit note" not in html
    assert "Corrects invoice" not in html


def test_credit_note_names_itself_and_the_invoice_it_corrects() -> None:
    html = TEMPLATE.render(CREDIT_NOTE)

    assert "<title>Credit note CN-2026-000007</title>" in html
    assert '<td class="refers-to">INV-2026-000042</td>' in html
    assert "25.00 EUR" in html


def test_a_hostile_buyer_name_is_printed_not_interpreted() -> None:
    document = attrs.evolve(
        EUR_INVOICE, buyer=Party(name=HOSTILE_NAME, address="</p><style>*{}</style>")
    )

    html = TEMPLATE.render(document)

    assert "<script" not in html
    assert "<img" not in html
    assert "</p><style>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img" in html
    assert "Zoë" in html


def test_the_html_depends_only_on_the_document() -> None:
    naive = attrs.evolve(EUR_INVOICE, issued_at=datetime(2026, 3, 1, 9, 30))

    assert TEMPLATE.render(EUR_INVOICE) == InvoiceHtmlTemplate("v1").render(EUR_INVOICE)
    assert TEMPLATE.render(naive) == TEMPLATE.render(EUR_INVOICE)  # naive means UTC
    assert 'content="2026-03-01T09:30:00Z"' in TEMPLATE.render(EUR_INVOICE)


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrency):
        TEMPLATE.render(attrs.evolve(EUR_INVOICE, currency="XXX"))


@pytest.mark.parametrize("version", ["v999", "../v1", "v1/../v1", "", "latest"])
def test_an_unknown_template_version_is_refused_at_construction(version: str) -> None:
    with pytest.raises(UnknownTemplateVersion) as raised:
        InvoiceHtmlTemplate(version)

    assert raised.value.code == "unknown_template_version"
    assert not raised.value.retryable

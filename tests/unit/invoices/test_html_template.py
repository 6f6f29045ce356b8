"""The invoice HTML: words and amounts in the document's locale, both document kinds, escaping,
and the fonts loaded from the billing's own route."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest

from billing.adapters.invoices.errors import UnknownTemplateVersion
from billing.adapters.invoices.html_template import InvoiceHtmlTemplate
from billing.domain.errors import InvalidInput, UnknownCurrency
from billing.domain.invoice import InvoiceDocument, Party

from .documents import (
    CREDIT_NOTE,
    EUR_INVOICE,
    FRANCHISE_INVOICE,
    HOSTILE_NAME,
    JPY_INVOICE,
    KWD_INVOICE,
    TAXED_CREDIT_NOTE,
    TAXED_INVOICE,
)

TEMPLATE = InvoiceHtmlTemplate()
NNBSP, NBSP = "\u202f", "\xa0"  # what Babel writes between thousands, and before "€" / "%"


def english(document: InvoiceDocument) -> InvoiceDocument:
    return attrs.evolve(document, locale="en")


@pytest.mark.parametrize(
    ("document", "expected", "absent"),
    [
        (EUR_INVOICE, [f"1{NNBSP}234,56{NBSP}€", f"1{NNBSP}284,56{NBSP}€"], ["1234.56", ">2500<"]),
        (english(EUR_INVOICE), ["€1,234.56", "€1,284.56", "€25.00"], ["1234,56", "EUR<"]),
        (JPY_INVOICE, [f"2{NNBSP}700{NBSP}JPY", f">900{NBSP}JPY<"], ["9,00", "27,00"]),
        (english(JPY_INVOICE), ["¥2,700", "¥900"], ["¥27.00"]),
        (KWD_INVOICE, [f"24,690{NBSP}KWD", f"12,345{NBSP}KWD"], ["123,45", "24,69<"]),
        (english(KWD_INVOICE), ["KWD24.690", "KWD12.345"], ["24.69<"]),
    ],
    ids=["EUR-fr", "EUR-en", "JPY-fr", "JPY-en", "KWD-fr", "KWD-en"],
)
def test_amounts_are_written_as_the_locale_writes_them(
    document: InvoiceDocument, expected: list[str], absent: list[str]
) -> None:
    html = TEMPLATE.render(document)

    for text in expected:
        assert text in html
    for text in absent:
        assert text not in html


def test_a_french_invoice_has_the_words_an_accountant_expects() -> None:
    html = TEMPLATE.render(TAXED_INVOICE)

    assert '<html lang="fr">' in html
    assert "<title>Facture INV-2026-000043</title>" in html
    for text in (
        "Date d\u2019émission",  # the typographic apostrophe of French
        ">1 mars 2026<",
        "Payée le",
        "Visa •••• 4242",
        "Vendeur",
        "SAS au capital de 10 000 €",
        "SIREN/SIRET 73282932000074",
        "RCS Paris 732 829 320",
        "N° TVA intracommunautaire FR44732829320",
        "Royaume-Uni",  # the buyer's country, named in French
        "Taux de TVA",
        f"5,5{NBSP}%",
        "Total HT",
        "Total TVA",
        "Total TTC",
        f"41,51{NBSP}€",
        "Art. 261-4-4° du CGI",
        "Pénalités de retard",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €.",
        "Acme Learning — 1 rue de la Paix",
    ):
        assert text in html
    assert "Avoir" not in html
    assert "Invoice INV" not in html


def test_an_english_invoice_says_the_same_in_english() -> None:
    html = TEMPLATE.render(english(TAXED_INVOICE))

    assert '<html lang="en">' in html
    assert "<title>Invoice INV-2026-000043</title>" in html
    for text in ("Issue date", ">March 1, 2026<", "VAT number", "United Kingdom", "5.5%"):
        assert text in html
    for text in ("Total excl. VAT", "Total incl. VAT", "€319.00", "Paid on"):
        assert text in html
    assert "Facture" not in html


def test_a_credit_note_is_negative_and_names_the_invoice_it_corrects() -> None:
    html = TEMPLATE.render(TAXED_CREDIT_NOTE)

    assert "<title>Avoir CN-2026-000008</title>" in html
    assert "Facture rectifiée" in html
    assert "INV-2026-000043 du 1 mars 2026" in html
    assert "One seat cancelled by the buyer" in html
    assert f"-120,00{NBSP}€" in html
    assert f"-20,00{NBSP}€" in html  # the VAT given back
    assert f">120,00{NBSP}€<" not in html  # no positive amount anywhere
    assert "Payée le" not in html


def test_a_seller_under_the_franchise_prints_the_mention() -> None:
    html = TEMPLATE.render(FRANCHISE_INVOICE)

    assert html.count("TVA non applicable, art. 293 B du CGI") == 2  # rate line, and mention
    assert f"0,00{NBSP}€" in html


def test_without_a_tax_breakdown_no_vat_column_is_printed() -> None:
    html = TEMPLATE.render(EUR_INVOICE)

    assert "TVA" not in html.replace("N° TVA intracommunautaire", "")
    assert "Total HT" not in html


def test_the_buyer_s_email_is_printed_once() -> None:
    guest = attrs.evolve(EUR_INVOICE, buyer=Party(name="ada@example.com", email="ada@example.com"))

    assert TEMPLATE.render(guest).count("ada@example.com") == 1


def test_the_html_loads_its_fonts_from_the_route_and_has_a_page_width() -> None:
    html = TEMPLATE.render(EUR_INVOICE)

    assert 'url("/billing/assets/fonts/DejaVuSans.ttf")' in html
    assert 'url("/billing/assets/fonts/DejaVuSans-Bold.ttf")' in html
    assert "billing-asset:" not in html
    assert "@media screen" in html
    assert "width: 210mm;" in html


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

    assert TEMPLATE.render(EUR_INVOICE) == InvoiceHtmlTemplate("v2").render(EUR_INVOICE)
    assert TEMPLATE.render(naive) == TEMPLATE.render(EUR_INVOICE)  # naive means UTC
    assert 'content="2026-03-01T09:30:00Z"' in TEMPLATE.render(EUR_INVOICE)


def test_version_1_renders_as_it_always_did() -> None:
    html = InvoiceHtmlTemplate("v1").render(CREDIT_NOTE)

    assert "<title>Credit note CN-2026-000007</title>" in html
    assert '<td class="refers-to">INV-2026-000042</td>' in html
    assert "25.00 EUR" in html


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrency):
        TEMPLATE.render(attrs.evolve(EUR_INVOICE, currency="XXX"))


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(InvalidInput, match="locale"):
        TEMPLATE.render(attrs.evolve(EUR_INVOICE, locale="de"))


@pytest.mark.parametrize("version", ["v999", "../v1", "v1/../v1", "", "latest"])
def test_an_unknown_template_version_is_refused_at_construction(version: str) -> None:
    with pytest.raises(UnknownTemplateVersion) as raised:
        InvoiceHtmlTemplate(version)

    assert raised.value.code == "unknown_template_version"
    assert not raised.value.retryable

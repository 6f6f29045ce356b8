"""The PDF: drawn from the same HTML, readable in its locale, and byte-identical for the same
document whatever fonts the host has."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import pypdf
import pytest
from weasyprint.text.ffi import ffi, fontconfig

from billing.adapters.invoices import facturx
from billing.adapters.invoices.deferred import DeferredPdfRenderer
from billing.adapters.invoices.errors import InvoiceRenderingFailed, UnknownTemplateVersion
from billing.adapters.invoices.pdf_renderer import (
    PackagedAssetFetcher,
    WeasyPrintInvoiceRenderer,
    _font_configuration,
    pdf_from_html,
)
from billing.domain.errors import UnknownCurrency
from billing.domain.invoice import InvoiceDocument, Party, RenderedDocument
from billing.ports.invoices import InvoiceRenderer

from .documents import (
    B2B_BUYER,
    CREDIT_NOTE,
    EUR_INVOICE,
    HOSTILE_NAME,
    JPY_INVOICE,
    KWD_INVOICE,
    TAXED_CREDIT_NOTE,
    TAXED_INVOICE,
)

RENDERER = WeasyPrintInvoiceRenderer()
#: Mathematical bold A and a contour integral: DejaVu Sans lacks both, a host font may not.
GLYPHS_THE_PACKAGED_FONTS_LACK = "\U0001d400da \u222f"


@pytest.fixture(scope="module")
def rendered() -> dict[str, RenderedDocument]:
    """Each sample rendered once: PDF rendering takes a tenth of a second."""
    return {
        "EUR": RENDERER.render(EUR_INVOICE),
        "JPY": RENDERER.render(JPY_INVOICE),
        "KWD": RENDERER.render(KWD_INVOICE),
        "CN": RENDERER.render(CREDIT_NOTE),
        "TAXED": RENDERER.render(TAXED_INVOICE),
        "TAXED_EN": RENDERER.render(attrs.evolve(TAXED_INVOICE, locale="en")),
        "TAXED_CN": RENDERER.render(TAXED_CREDIT_NOTE),
    }


def text_of(pdf: bytes) -> str:
    """The PDF's text with every run of spaces (Babel's no-break ones too) as one space."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_it_is_an_invoice_renderer() -> None:
    assert isinstance(RENDERER, InvoiceRenderer)
    assert RENDERER.template_version == "v2"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("EUR", ["Facture INV-2026-000042", "A book 2 25,00 € 50,00 €", "Total 1 284,56 €"]),
        ("JPY", ["INV-2026-000042", "A manga 3 900 JPY 2 700 JPY", "Total 2 700 JPY"]),
        ("KWD", ["INV-2026-000042", "A course 2 12,345 KWD 24,690 KWD", "Total 24,690 KWD"]),
        ("CN", ["Avoir CN-2026-000007", "Facture rectifiée INV-2026-000042", "Total -25,00 €"]),
        (
            "TAXED",
            [
                "Facture INV-2026-000043",
                "Date d\u2019émission 1 mars 2026",
                "Payée le 1 mars 2026, Visa •••• 4242",
                "SAS au capital de 10 000 €",
                "SIREN/SIRET 73282932000074",
                "RCS Paris 732 829 320",
                "N° TVA intracommunautaire FR44732829320",
                "Python course 2 120,00 € 20 % 200,00 € 240,00 €",
                "E-book: Fluent Python 1 29,00 € 5,5 % 27,49 € 29,00 €",
                "20 % 200,00 € 40,00 € 240,00 €",
                "0 % (Art. 261-4-4° du CGI) 50,00 € 0,00 € 50,00 €",
                "Total HT 277,49 € Total TVA 41,51 € Total TTC 319,00 €",
                "Indemnité forfaitaire pour frais de recouvrement : 40 €.",
                "Acme Learning — 1 rue de la Paix",
            ],
        ),
        (
            "TAXED_EN",
            [
                "Invoice INV-2026-000043",
                "Issue date March 1, 2026",
                "Paid on March 1, 2026, Visa •••• 4242",
                "VAT number GB980780684",
                "United Kingdom",
                "Python course 2 €120.00 20% €200.00 €240.00",
                "5.5% €27.49 €1.51 €29.00",
                "Total excl. VAT €277.49 Total VAT €41.51 Total incl. VAT €319.00",
            ],
        ),
        (
            "TAXED_CN",
            [
                "Avoir CN-2026-000008",
                "Facture rectifiée INV-2026-000043 du 1 mars 2026",
                "Motif One seat cancelled by the buyer",
                "Python course 1 -120,00 € 20 % -100,00 € -120,00 €",
                "20 % -100,00 € -20,00 € -120,00 €",
                "Total HT -100,00 € Total TVA -20,00 € Total TTC -120,00 €",
            ],
        ),
    ],
)
def test_the_pdf_reads_as_the_document_in_its_locale(
    rendered: dict[str, RenderedDocument], sample: str, expected: list[str]
) -> None:
    result = rendered[sample]
    text = text_of(result.pdf)

    assert result.pdf.startswith(b"%PDF-1.7")
    assert result.template_version == "v2"
    assert result.html.startswith(b"<!DOCTYPE html>")
    for fragment in [*expected, "Acme Learning"]:
        assert fragment in text


def test_an_invoice_prints_the_buyer_s_email_once(rendered: dict[str, RenderedDocument]) -> None:
    guest = attrs.evolve(EUR_INVOICE, buyer=Party(name="ada@example.com", email="ada@example.com"))

    assert text_of(RENDERER.render(guest).pdf).count("ada@example.com") == 1
    assert text_of(rendered["TAXED"].pdf).count("accounts@babbage.example") == 1


def test_the_pdf_metadata_dates_are_the_document_s(rendered: dict[str, RenderedDocument]) -> None:
    reader = pypdf.PdfReader(io.BytesIO(rendered["EUR"].pdf))

    assert reader.metadata is not None
    assert str(reader.metadata["/CreationDate"]) == "D:20260301093000Z"
    assert str(reader.metadata["/ModDate"]) == "D:20260301093000Z"
    assert reader.metadata.title == "Facture INV-2026-000042"


def test_the_same_document_gives_the_same_bytes(rendered: dict[str, RenderedDocument]) -> None:
    again = WeasyPrintInvoiceRenderer().render(TAXED_INVOICE)

    assert again == rendered["TAXED"]
    assert hashlib.sha256(again.pdf).digest() == hashlib.sha256(rendered["TAXED"].pdf).digest()


def test_threads_rendering_at_once_give_the_same_bytes(
    rendered: dict[str, RenderedDocument],
) -> None:
    """Each thread draws with its own font configuration, reused from one PDF to the next."""
    documents = [EUR_INVOICE, KWD_INVOICE, CREDIT_NOTE, TAXED_INVOICE] * 2

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(RENDERER.render, documents))

    expected = [rendered[key] for key in ("EUR", "KWD", "CN", "TAXED")] * 2
    assert results == expected


def test_the_deferred_renderer_draws_the_same_files(rendered: dict[str, RenderedDocument]) -> None:
    deferred = DeferredPdfRenderer()

    assert isinstance(deferred, InvoiceRenderer)
    assert deferred.template_version == RENDERER.template_version
    assert deferred.render(KWD_INVOICE) == rendered["KWD"]
    assert deferred.render(TAXED_INVOICE) == rendered["TAXED"]


def test_the_deferred_renderer_refuses_an_unknown_template_version_at_once() -> None:
    with pytest.raises(UnknownTemplateVersion):
        DeferredPdfRenderer("version-two")


def test_another_document_gives_other_bytes(rendered: dict[str, RenderedDocument]) -> None:
    other = RENDERER.render(attrs.evolve(EUR_INVOICE, number="INV-2026-000043"))

    assert other.pdf != rendered["EUR"].pdf
    assert other.html != rendered["EUR"].html
    assert "INV-2026-000043" in text_of(other.pdf)


def test_the_stored_html_and_the_document_are_enough_to_draw_the_same_pdf(
    rendered: dict[str, RenderedDocument],
) -> None:
    html = rendered["TAXED"].html.decode()
    xml = facturx.facturx_xml(TAXED_INVOICE)

    again = pdf_from_html(html, TAXED_INVOICE.number, xml, TAXED_INVOICE.issued_at)

    assert again == rendered["TAXED"].pdf


def test_a_version_1_invoice_is_still_drawn_with_its_own_template() -> None:
    """Stored v1 files keep their layout: v1 is English, with plain decimals, and its fonts
    load from the ``billing-asset:`` URLs it was written with."""
    result = WeasyPrintInvoiceRenderer("v1").render(EUR_INVOICE)

    assert result.template_version == "v1"
    assert "A book 2 25.00 50.00" in text_of(result.pdf)
    assert b'url("billing-asset:fonts/DejaVuSans.ttf")' in result.html


def test_a_hostile_buyer_name_is_printed_as_text() -> None:
    document = attrs.evolve(JPY_INVOICE, buyer=Party(name=HOSTILE_NAME))

    text = text_of(RENDERER.render(document).pdf)  # the name wraps

    assert HOSTILE_NAME in text


def test_nothing_outside_the_package_is_fetched() -> None:
    fetcher = PackagedAssetFetcher()

    for url in (
        "file:///etc/passwd",
        "https://example.com/logo.png",
        "https://invoice.invalid/billing/assets/fonts/../../../etc/passwd",
        "https://invoice.invalid/billing/assets/fonts/LICENSE.txt",
        "billing-asset:fonts/../../../../etc/passwd",
        "billing-asset:templates/v1/invoice.html",
    ):
        with pytest.raises(ValueError, match="invoice"):
            fetcher.fetch(url)
    with pytest.raises(InvoiceRenderingFailed) as raised:
        pdf_from_html('<p>x</p><img src="file:///etc/hostname">', "INV-2026-000001", b"", ISSUED)
    assert raised.value.code == "invoice_rendering_failed"
    assert raised.value.retryable


ISSUED = TAXED_INVOICE.issued_at


def test_the_renderer_s_fonts_are_the_package_s_only() -> None:
    """Regression (issue 21 item 11): the font configuration held every font of the host, so
    a host font could stand in for a glyph, or a face, and change the PDF's bytes."""
    config = _font_configuration()

    system_fonts = fontconfig.FcConfigGetFonts(config._config, fontconfig.FcSetSystem)

    assert system_fonts == ffi.NULL or system_fonts.nfont == 0


RENDER_IN_A_FRESH_PROCESS = textwrap.dedent(
    """
    import hashlib, sys
    import attrs
    sys.path[:0] = [{tests!r}]
    from unit.invoices.documents import B2B_BUYER, KWD_INVOICE, TAXED_INVOICE
    from billing.adapters.invoices.pdf_renderer import WeasyPrintInvoiceRenderer
    buyer = attrs.evolve(B2B_BUYER, name={name!r})
    for document in (KWD_INVOICE, attrs.evolve(TAXED_INVOICE, buyer=buyer)):
        print(hashlib.sha256(WeasyPrintInvoiceRenderer().render(document).pdf).hexdigest())
    """
)


def _fresh_process_hashes(tmp_path: Path, fonts_conf: str | None) -> list[str]:
    env = {"PATH": "/usr/bin:/bin", "TZ": "Asia/Tokyo"}
    if fonts_conf is not None:
        path = tmp_path / "fonts.conf"
        path.write_text(fonts_conf)
        env["FONTCONFIG_FILE"] = str(path)
    script = RENDER_IN_A_FRESH_PROCESS.format(
        tests=str(Path(__file__).parents[2]), name=GLYPHS_THE_PACKAGED_FONTS_LACK
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.split()


def test_same_bytes_in_another_process_on_a_host_without_fonts(
    rendered: dict[str, RenderedDocument], tmp_path: Path
) -> None:
    """Fonts ship with the package and no host font is ever consulted: with Fontconfig seeing
    no font at all, or the host's, nothing changes, even for glyphs the package lacks (which
    a host font filled in before: the flaky SHA-256 of issue 21 item 11)."""
    lacking = attrs.evolve(
        TAXED_INVOICE, buyer=attrs.evolve(B2B_BUYER, name=GLYPHS_THE_PACKAGED_FONTS_LACK)
    )
    expected = [
        hashlib.sha256(rendered["KWD"].pdf).hexdigest(),
        hashlib.sha256(RENDERER.render(lacking).pdf).hexdigest(),
    ]
    no_fonts = f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path}</cachedir></fontconfig>"

    assert _fresh_process_hashes(tmp_path, no_fonts) == expected
    assert _fresh_process_hashes(tmp_path, None) == expected


def test_a_document_in_an_unknown_currency_is_refused() -> None:
    document: InvoiceDocument = attrs.evolve(EUR_INVOICE, currency="XXX")

    with pytest.raises(UnknownCurrency):
        RENDERER.render(document)

"""The PDF: drawn from the same HTML, readable, and byte-identical for the same document."""

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

from billing.adapters.invoices.deferred import DeferredPdfRenderer
from billing.adapters.invoices.errors import InvoiceRenderingFailed, UnknownTemplateVersion
from billing.adapters.invoices.pdf_renderer import (
    PackagedAssetFetcher,
    WeasyPrintInvoiceRenderer,
    pdf_from_html,
)
from billing.domain.errors import UnknownCurrency
from billing.domain.invoice import InvoiceDocument, Party, RenderedDocument
from billing.ports.invoices import InvoiceRenderer

from .documents import CREDIT_NOTE, EUR_INVOICE, HOSTILE_NAME, JPY_INVOICE, KWD_INVOICE

RENDERER = WeasyPrintInvoiceRenderer()


@pytest.fixture(scope="module")
def rendered() -> dict[str, RenderedDocument]:
    """Each sample rendered once: PDF rendering takes a tenth of a second."""
    return {
        "EUR": RENDERER.render(EUR_INVOICE),
        "JPY": RENDERER.render(JPY_INVOICE),
        "KWD": RENDERER.render(KWD_INVOICE),
        "CN": RENDERER.render(CREDIT_NOTE),
    }


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_it_is_an_invoice_renderer() -> None:
    assert isinstance(RENDERER, InvoiceRenderer)
    assert RENDERER.template_version == "v1"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("EUR", ["INV-2026-000042", "Ada Lovelace", "A book 2 25.00 50.00", "1284.56 EUR"]),
        ("JPY", ["INV-2026-000042", "A manga 3 900 2700", "Total 2700 JPY"]),
        ("KWD", ["INV-2026-000042", "A course 2 12.345 24.690", "Total 24.690 KWD"]),
        ("CN", ["Credit note", "CN-2026-000007", "Corrects invoice INV-2026-000042"]),
    ],
)
def test_the_pdf_reads_as_the_document(
    rendered: dict[str, RenderedDocument], sample: str, expected: list[str]
) -> None:
    result = rendered[sample]
    text = text_of(result.pdf)

    assert result.pdf.startswith(b"%PDF-1.7")
    assert result.template_version == "v1"
    assert result.html.startswith(b"<!DOCTYPE html>")
    for fragment in [*expected, "Acme Learning SAS", "Tax ID: FR40123456789"]:
        assert fragment in text


def test_the_pdf_metadata_dates_are_the_document_s(rendered: dict[str, RenderedDocument]) -> None:
    reader = pypdf.PdfReader(io.BytesIO(rendered["EUR"].pdf))

    assert reader.metadata is not None
    assert str(reader.metadata["/CreationDate"]) == "D:20260301093000Z"
    assert str(reader.metadata["/ModDate"]) == "D:20260301093000Z"
    assert reader.metadata.title == "Invoice INV-2026-000042"


def test_the_same_document_gives_the_same_bytes(rendered: dict[str, RenderedDocument]) -> None:
    again = WeasyPrintInvoiceRenderer().render(EUR_INVOICE)

    assert again == rendered["EUR"]
    assert hashlib.sha256(again.pdf).digest() == hashlib.sha256(rendered["EUR"].pdf).digest()


def test_threads_rendering_at_once_give_the_same_bytes(
    rendered: dict[str, RenderedDocument],
) -> None:
    """Each thread draws with its own font configuration, reused from one PDF to the next."""
    documents = [EUR_INVOICE, KWD_INVOICE, CREDIT_NOTE, JPY_INVOICE] * 2

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(RENDERER.render, documents))

    expected = [rendered[key] for key in ("EUR", "KWD", "CN", "JPY")] * 2
    assert results == expected


def test_the_deferred_renderer_draws_the_same_files(rendered: dict[str, RenderedDocument]) -> None:
    deferred = DeferredPdfRenderer()

    assert isinstance(deferred, InvoiceRenderer)
    assert deferred.template_version == RENDERER.template_version
    assert deferred.render(KWD_INVOICE) == rendered["KWD"]
    assert deferred.render(EUR_INVOICE) == rendered["EUR"]


def test_the_deferred_renderer_refuses_an_unknown_template_version_at_once() -> None:
    with pytest.raises(UnknownTemplateVersion):
        DeferredPdfRenderer("version-two")


def test_another_document_gives_other_bytes(rendered: dict[str, RenderedDocument]) -> None:
    other = RENDERER.render(attrs.evolve(EUR_INVOICE, number="INV-2026-000043"))

    assert other.pdf != rendered["EUR"].pdf
    assert other.html != rendered["EUR"].html
    assert "INV-2026-000043" in text_of(other.pdf)


def test_the_stored_html_is_enough_to_draw_the_same_pdf(
    rendered: dict[str, RenderedDocument],
) -> None:
    html = rendered["KWD"].html.decode()

    assert pdf_from_html(html, KWD_INVOICE.number) == rendered["KWD"].pdf


def test_a_hostile_buyer_name_is_printed_as_text() -> None:
    document = attrs.evolve(JPY_INVOICE, buyer=Party(name=HOSTILE_NAME))

    text = " ".join(text_of(RENDERER.render(document).pdf).split())  # the name wraps

    assert HOSTILE_NAME in text


def test_nothing_outside_the_package_is_fetched() -> None:
    fetcher = PackagedAssetFetcher()

    for url in (
        "file:///etc/passwd",
        "https://example.com/logo.png",
        "billing-asset:fonts/../../../../etc/passwd",
        "billing-asset:templates/v1/invoice.html",
    ):
        with pytest.raises(ValueError, match="invoice"):
            fetcher.fetch(url)
    with pytest.raises(InvoiceRenderingFailed) as raised:
        pdf_from_html('<p>x</p><img src="file:///etc/hostname">', "INV-2026-000001")
    assert raised.value.code == "invoice_rendering_failed"
    assert raised.value.retryable


RENDER_IN_A_FRESH_PROCESS = textwrap.dedent(
    """
    import hashlib, sys
    sys.path[:0] = [{tests!r}]
    from unit.invoices.documents import KWD_INVOICE
    from billing.adapters.invoices.pdf_renderer import WeasyPrintInvoiceRenderer
    print(hashlib.sha256(WeasyPrintInvoiceRenderer().render(KWD_INVOICE).pdf).hexdigest())
    """
)


def test_same_bytes_in_another_process_on_a_host_without_fonts(
    rendered: dict[str, RenderedDocument], tmp_path: Path
) -> None:
    """Fonts ship with the package: with Fontconfig seeing no font at all, nothing changes."""
    no_fonts = tmp_path / "fonts.conf"
    no_fonts.write_text(
        f"<?xml version='1.0'?><fontconfig><cachedir>{tmp_path}</cachedir></fontconfig>"
    )
    script = RENDER_IN_A_FRESH_PROCESS.format(tests=str(Path(__file__).parents[2]))

    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        env={"FONTCONFIG_FILE": str(no_fonts), "PATH": "/usr/bin:/bin", "TZ": "Asia/Tokyo"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert result.stdout.strip() == hashlib.sha256(rendered["KWD"].pdf).hexdigest()


def test_a_document_in_an_unknown_currency_is_refused() -> None:
    document: InvoiceDocument = attrs.evolve(EUR_INVOICE, currency="XXX")

    with pytest.raises(UnknownCurrency):
        RENDERER.render(document)

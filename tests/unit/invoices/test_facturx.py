"""Factur-X: each PDF is PDF/A-3b with the document's CII XML (EN 16931) embedded, the XML
passes the factur-x library's XSD check, and its totals are the document's and the PDF's."""

from __future__ import annotations

import io

import attrs
import facturx as facturx_library  # type: ignore[import-untyped]
import pypdf
import pytest
from lxml import etree

from billing.adapters.invoices import facturx
from billing.adapters.invoices.formatting import money
from billing.adapters.invoices.pdf_renderer import WeasyPrintInvoiceRenderer
from billing.adapters.invoices.text import TextRenderer
from billing.domain.invoice import BOOKED_SIGN, InvoiceDocument

from .documents import (
    CREDIT_NOTE,
    EUR_INVOICE,
    FRANCHISE_INVOICE,
    JPY_INVOICE,
    KWD_INVOICE,
    TAXED_CREDIT_NOTE,
    TAXED_INVOICE,
)

RENDERER = WeasyPrintInvoiceRenderer()
SAMPLES = {
    "taxed": TAXED_INVOICE,
    "taxed-en": attrs.evolve(TAXED_INVOICE, locale="en"),
    "credit-note": TAXED_CREDIT_NOTE,
    "franchise": FRANCHISE_INVOICE,
    "no-breakdown": EUR_INVOICE,
    "no-breakdown-credit-note": CREDIT_NOTE,
    "JPY": JPY_INVOICE,
    "KWD": KWD_INVOICE,
}


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {name: RENDERER.render(document).pdf for name, document in SAMPLES.items()}


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_embedded_xml_passes_the_library_s_xsd_check(
    pdfs: dict[str, bytes], sample: str
) -> None:
    filename, xml = facturx_library.get_xml_from_pdf(io.BytesIO(pdfs[sample]), check_xsd=False)

    assert filename == "factur-x.xml"
    facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx_library.get_level(etree.fromstring(xml)) == "en16931"


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_xml_totals_are_the_document_s_and_the_pdf_s(
    pdfs: dict[str, bytes], sample: str
) -> None:
    document = SAMPLES[sample]
    xml = facturx.embedded_xml(pdfs[sample])
    assert xml is not None

    totals = facturx.totals_of(xml)
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdfs[sample])).pages[0].extract_text().split())

    assert totals == facturx.expected_totals(document)
    assert facturx.differences(document, pdfs[sample]) == []
    printed = money(BOOKED_SIGN[document.kind] * totals.gross, totals.currency, document.locale)
    assert " ".join(printed.split()) in text


def test_a_credit_note_is_type_381_with_positive_amounts(pdfs: dict[str, bytes]) -> None:
    xml = facturx.embedded_xml(pdfs["credit-note"])
    assert xml is not None

    totals = facturx.totals_of(xml)

    assert totals.type_code == "381"
    assert (totals.net, totals.tax, totals.gross) == (10000, 2000, 12000)
    assert b"<ram:IssuerAssignedID>INV-2026-000043</ram:IssuerAssignedID>" in xml


def test_the_xml_carries_the_seller_s_identity_and_each_rate(pdfs: dict[str, bytes]) -> None:
    xml = facturx.embedded_xml(pdfs["taxed"])
    assert xml is not None

    for fragment in (
        b'<ram:ID schemeID="0002">73282932000074</ram:ID>',
        b'<ram:ID schemeID="VA">FR44732829320</ram:ID>',
        b'<ram:ID schemeID="VA">GB980780684</ram:ID>',
        b"<ram:PostcodeCode>75002</ram:PostcodeCode>",
        b"<ram:CityName>Paris</ram:CityName>",
        b"<ram:CountryID>FR</ram:CountryID>",
        b"<ram:RateApplicablePercent>5.50</ram:RateApplicablePercent>",
        b"<ram:CalculatedAmount>1.51</ram:CalculatedAmount>",
        b"<ram:ExemptionReason>Art. 261-4-4\xc2\xb0 du CGI</ram:ExemptionReason>",
        b"<ram:DuePayableAmount>0.00</ram:DuePayableAmount>",  # paid by card
    ):
        assert fragment in xml


def test_the_pdf_is_pdf_a_3b_with_the_factur_x_metadata(pdfs: dict[str, bytes]) -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdfs["taxed"]))
    catalog = reader.trailer["/Root"]
    metadata = catalog["/Metadata"].get_object().get_data()
    [filespec] = [item.get_object() for item in catalog["/AF"]]
    embedded = filespec["/EF"]["/F"].get_object()

    for fragment in (
        b'pdfaid:part="3"',
        b'pdfaid:conformance="B"',
        b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
        b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
        b"<fx:DocumentType>INVOICE</fx:DocumentType>",
        b"<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
        b"<xmp:CreateDate>2026-03-01T09:30:00Z</xmp:CreateDate>",
    ):
        assert fragment in metadata
    assert metadata.count(b"<rdf:RDF") == 1  # the Factur-X descriptions are in the one RDF
    assert filespec["/AFRelationship"] == "/Data"
    assert embedded["/Subtype"] == "/text/xml"
    assert embedded["/Params"]["/ModDate"] == "D:20260301093000Z"
    assert "/OutputIntents" in catalog


def test_verify_finds_an_xml_that_disagrees_with_the_document(pdfs: dict[str, bytes]) -> None:
    altered: InvoiceDocument = attrs.evolve(TAXED_INVOICE, total=TAXED_INVOICE.total + 1)

    [problem] = facturx.differences(altered, pdfs["taxed"])

    assert problem == "gross: XML says 31900, document says 31901"
    assert facturx.differences(TAXED_INVOICE, TextRenderer().render(TAXED_INVOICE).pdf) == [
        "no Factur-X XML embedded"
    ]

"""Factur-X: the document as CII XML (profile EN 16931), and reading it back from a PDF.

The XML is built with drafthorse (which checks it against the Factur-X XSD it ships when it
serialises) from the :class:`InvoiceDocument` alone, so the same document always gives the same
bytes. Amounts are positive, as CII writes them: a credit note is type 381, an invoice (and a
credit note's cancellation) type 380. Reading back (``embedded_xml``) uses the factur-x
library, which finds the ``factur-x.xml`` attachment the way every Factur-X reader does.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Final

import attrs

# Neither library ships type information.
import facturx  # type: ignore[import-untyped]
from drafthorse.models.accounting import ApplicableTradeTax  # type: ignore[import-untyped]
from drafthorse.models.document import Document  # type: ignore[import-untyped]
from drafthorse.models.note import IncludedNote  # type: ignore[import-untyped]
from drafthorse.models.party import TaxRegistration  # type: ignore[import-untyped]
from drafthorse.models.tradelines import LineItem  # type: ignore[import-untyped]
from lxml import etree
from pypdf.errors import PyPdfError

from billing.adapters.invoices.formatting import as_utc, decimal_amount
from billing.domain.invoice import DocumentKind, InvoiceDocument, Party, TaxCategory, TaxLine
from billing.domain.money import exponent

FILENAME: Final = "factur-x.xml"
#: What the XMP metadata says of the embedded XML (Factur-X 1.0, §6.2.2).
CONFORMANCE_LEVEL: Final = "EN 16931"
GUIDELINE: Final = "urn:cen.eu:en16931:2017"
FX_NAMESPACE: Final = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
_SCHEMA: Final = "FACTUR-X_EN16931"
_TYPE_CODES: Final = {
    DocumentKind.INVOICE: "380",
    DocumentKind.CREDIT_NOTE: "381",
    DocumentKind.CREDIT_NOTE_CANCELLATION: "380",
}
_UNIT: Final = "C62"  # UN/ECE rec. 20: "one", a unit of count
_POSTCODE_CITY = re.compile(r"^(?P<postcode>[0-9][0-9A-Z-]{2,9})\s+(?P<city>.+)$")
_NS: Final = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
_SUMMATION = (
    "rsm:SupplyChainTradeTransaction"
    "/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
)


@attrs.frozen
class XmlTotals:
    """What an embedded Factur-X XML says, in minor units of its currency."""

    number: str
    type_code: str
    currency: str
    net: int
    tax: int
    gross: int


def expected_totals(document: InvoiceDocument) -> XmlTotals:
    """The totals the XML of ``document`` must carry."""
    return XmlTotals(
        number=document.number,
        type_code=_TYPE_CODES[document.kind],
        currency=document.currency,
        net=document.net_total,
        tax=document.tax_total,
        gross=document.total,
    )


def tax_lines(document: InvoiceDocument) -> tuple[TaxLine, ...]:
    """The document's per-rate totals; without a breakdown, one untaxed line per category."""
    if document.taxes:
        return document.taxes
    groups: dict[tuple[int, TaxCategory], int] = {}
    for line in document.lines:
        key = (line.tax_rate_bp, line.tax_category)
        groups[key] = groups.get(key, 0) + line.amount
    return tuple(
        TaxLine(rate_bp=rate, category=category, net=gross, tax=0, gross=gross)
        for (rate, category), gross in groups.items()
    )


def facturx_xml(document: InvoiceDocument) -> bytes:
    """The CII XML of ``document``, checked against the EN 16931 XSD as it is written."""
    cii = Document()
    cii.context.guideline_parameter.id = GUIDELINE
    cii.header.id = document.number
    cii.header.type_code = _TYPE_CODES[document.kind]
    cii.header.issue_date_time = as_utc(document.issued_at).date()
    for text in _notes(document):
        note = IncludedNote()
        note.content = text
        cii.header.notes.add(note)

    trade = cii.trade
    _party(trade.agreement.seller, document.seller, seller=True)
    _party(trade.agreement.buyer, document.buyer, seller=False)
    trade.agreement.buyer_reference = document.order_id
    if document.paid_at is not None:
        trade.delivery.event.occurrence = as_utc(document.paid_at).date()

    def money(amount: int) -> Decimal:
        return decimal_amount(amount, document.currency)

    for index, line in enumerate(document.lines, start=1):
        item = LineItem()
        item.document.line_id = str(index)
        item.product.name = line.description
        item.agreement.net.amount = (money(line.net_amount) / line.quantity).quantize(
            Decimal("0.0001")
        )
        item.delivery.billed_quantity = (Decimal(line.quantity), _UNIT)
        item.settlement.trade_tax.type_code = "VAT"
        item.settlement.trade_tax.category_code = line.tax_category.value
        item.settlement.trade_tax.rate_applicable_percent = _percent(line.tax_rate_bp)
        item.settlement.monetary_summation.total_amount = money(line.net_amount)
        trade.items.add(item)

    settlement = trade.settlement
    settlement.currency_code = document.currency
    for tax_line in tax_lines(document):
        tax = ApplicableTradeTax()
        tax.calculated_amount = money(tax_line.tax)
        tax.type_code = "VAT"
        if tax_line.category is TaxCategory.EXEMPT:
            tax.exemption_reason = tax_line.exemption_reason or "VAT exempt"
        tax.basis_amount = money(tax_line.net)
        tax.category_code = tax_line.category.value
        tax.rate_applicable_percent = _percent(tax_line.rate_bp)
        settlement.trade_tax.add(tax)
    if document.refers_to:
        settlement.invoice_referenced_document.issuer_assigned_id = document.refers_to
        if document.refers_to_issued_at is not None:
            referred = as_utc(document.refers_to_issued_at).date()
            settlement.invoice_referenced_document.issue_date_time = referred
    prepaid = document.total if document.paid_at is not None else 0
    summation = settlement.monetary_summation
    summation.line_total = money(sum(line.net_amount for line in document.lines))
    summation.tax_basis_total = money(document.net_total)
    summation.tax_total = (money(document.tax_total), document.currency)
    summation.grand_total = money(document.total)
    summation.prepaid_total = money(prepaid)
    summation.due_amount = money(document.total - prepaid)
    xml: bytes = cii.serialize(schema=_SCHEMA)
    return xml


_XMP_PROPERTIES: Final = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)


def xmp_descriptions() -> bytes:
    """The RDF descriptions a Factur-X PDF/A-3 adds to its XMP metadata: the ``fx`` extension
    schema (PDF/A requires custom properties to be declared) and what the attachment is."""
    properties = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description>"
        "</rdf:li>"
        for name, description in _XMP_PROPERTIES
    )
    return (
        '<rdf:Description xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about=""'
        ' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
        ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
        ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
        '<rdf:Description xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about=""'
        f' xmlns:fx="{FX_NAMESPACE}">'
        "<fx:DocumentType>INVOICE</fx:DocumentType>"
        f"<fx:DocumentFileName>{FILENAME}</fx:DocumentFileName>"
        "<fx:Version>1.0</fx:Version>"
        f"<fx:ConformanceLevel>{CONFORMANCE_LEVEL}</fx:ConformanceLevel>"
        "</rdf:Description>"
    ).encode()


def embedded_xml(pdf: bytes) -> bytes | None:
    """The Factur-X XML attached to ``pdf``, or None when it carries none."""
    try:
        _, xml = facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    except PyPdfError:  # not a PDF at all (the text renderer's files)
        return None
    return xml or None


def totals_of(xml: bytes) -> XmlTotals:
    """The number, type and totals an embedded XML says."""
    # A stored file may have been altered: no entity is expanded, nothing is fetched.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(xml, parser)

    def text(path: str) -> str:
        found = root.find(path, _NS)
        return (found.text or "").strip() if found is not None else ""

    currency = text(".//ram:InvoiceCurrencyCode")

    def minor(name: str) -> int:
        amount = Decimal(text(f"{_SUMMATION}/ram:{name}") or "0")
        return int(amount.scaleb(exponent(currency)))

    return XmlTotals(
        number=text("rsm:ExchangedDocument/ram:ID"),
        type_code=text("rsm:ExchangedDocument/ram:TypeCode"),
        currency=currency,
        net=minor("TaxBasisTotalAmount"),
        tax=minor("TaxTotalAmount"),
        gross=minor("GrandTotalAmount"),
    )


#: Template versions whose PDFs were written before Factur-X: nothing embedded to check.
BEFORE_FACTURX: Final = frozenset({"v1"})


def differences(document: InvoiceDocument, pdf: bytes, template_version: str = "") -> list[str]:
    """How the Factur-X XML inside ``pdf`` differs from ``document`` (empty: it agrees)."""
    if template_version in BEFORE_FACTURX:
        return []
    xml = embedded_xml(pdf)
    if xml is None:
        return ["no Factur-X XML embedded"]
    found, expected = totals_of(xml), expected_totals(document)
    return [
        f"{field.name}: XML says {getattr(found, field.name)!r}, "
        f"document says {getattr(expected, field.name)!r}"
        for field in attrs.fields(XmlTotals)
        if getattr(found, field.name) != getattr(expected, field.name)
    ]


def _percent(basis_points: int) -> Decimal:
    return Decimal(basis_points).scaleb(-2).quantize(Decimal("0.01"))


def _notes(document: InvoiceDocument) -> Iterable[str]:
    if document.reason:
        yield document.reason
    if document.payment_method:
        yield document.payment_method
    yield from document.mentions
    if document.footer:
        yield document.footer


def _party(target: object, party: Party, *, seller: bool) -> None:
    target.name = party.name  # type: ignore[attr-defined]
    if party.country:  # CII has no postal address without its country
        _address(target.address, party)  # type: ignore[attr-defined]
    if party.registration and seller:
        target.legal_organization.id = ("0002", party.registration)  # type: ignore[attr-defined]
    if party.email:
        target.electronic_address.uri_ID = ("EM", party.email)  # type: ignore[attr-defined]
    if party.tax_id:
        target.tax_registrations.add(TaxRegistration(id=("VA", party.tax_id)))  # type: ignore[attr-defined]


def _address(address: object, party: Party) -> None:
    """The address lines; a last line ``75002 Paris`` is the postcode and the city."""
    lines = [line.strip() for line in party.address.split("\n") if line.strip()]
    if lines and (match := _POSTCODE_CITY.match(lines[-1])):
        address.postcode = match["postcode"]  # type: ignore[attr-defined]
        address.city_name = match["city"]  # type: ignore[attr-defined]
        lines = lines[:-1]
    for name, line in zip(("line_one", "line_two", "line_three"), lines, strict=False):
        setattr(address, name, line)
    address.country_id = party.country.upper()  # type: ignore[attr-defined]

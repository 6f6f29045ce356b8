"""``WeasyPrintInvoiceRenderer``: the packaged HTML template, and the Factur-X PDF made of it.

The PDF is PDF/A-3b with the document's CII XML (``facturx.py``, profile EN 16931) attached as
``factur-x.xml`` (relationship ``Data``) and the Factur-X XMP properties: an e-invoice that a
person reads and an accounting system imports, in one file.

Determinism (same document -> byte-identical PDF, so a stored SHA-256 can be recomputed), by
construction rather than by luck:

- the fonts are the package's (DejaVu Sans), loaded through ``@font-face`` into a Fontconfig
  configuration that holds no other font and no rule of the host (``PackagedFontConfiguration``):
  what the host has installed can neither replace a packaged font nor fill in a glyph it lacks
  (a character DejaVu lacks prints as its empty box, on every host). With the host's default
  configuration, a host font matching or falling back under the same family gave another
  subset, and another SHA-256 (issue 21 item 11);
- the PDF's creation and modification dates, the XMP dates and the attachment's dates are the
  document's ``issued_at`` (UTC); WeasyPrint reads no clock otherwise;
- the trailer ``/ID`` is fixed: its permanent half is derived from the document number, its
  other half is WeasyPrint's MD5 over the PDF objects (content-derived, not random);
- WeasyPrint names font subsets after an MD5 of the font description, never randomly; fontTools
  stamps each subset's ``head.modified`` with the clock, which a finisher sets back to the
  font's own ``head.created``;
- the PDF version and variant are pinned and nothing is fetched from outside the package: the
  URL fetcher serves the packaged fonts and refuses every other URL, failing the rendering.

Identical bytes hold for one set of versions of WeasyPrint, pydyf, fontTools, Pango and
HarfBuzz: upgrading any of them may change the bytes of a new rendering (never of a stored file).
"""

from __future__ import annotations

import functools
import hashlib
import io
import posixpath
import threading
from datetime import datetime
from typing import Any, Final

# None of these ships type information.
import pydyf  # type: ignore[import-untyped]
import weasyprint  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from weasyprint.pdf.metadata import DocumentMetadata  # type: ignore[import-untyped]
from weasyprint.text.ffi import ffi, fontconfig, pangoft2  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from billing.adapters.invoices import facturx
from billing.adapters.invoices.assets import FONTS_PATH, packaged_font
from billing.adapters.invoices.errors import InvoiceRenderingFailed
from billing.adapters.invoices.formatting import as_utc
from billing.adapters.invoices.html_template import CURRENT_TEMPLATE_VERSION, InvoiceHtmlTemplate
from billing.domain.errors import BillingError
from billing.domain.invoice import InvoiceDocument, RenderedDocument

#: Template v1 loads ``billing-asset:fonts/<file>`` (and its PDFs carry no Factur-X XML).
ASSET_SCHEME: Final = "billing-asset:"
#: Template v2 loads ``/billing/assets/fonts/<file>``, the browser's route; WeasyPrint resolves
#: it against this base, whose reserved ``.invalid`` name never reaches a network.
BASE_URL: Final = "https://invoice.invalid/"
PDF_VERSION: Final = "1.7"
PDF_VARIANT: Final = "pdf/a-3b"


class PackagedAssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types
    """Serves the packaged fonts; any other URL fails the rendering.

    Nothing printed on an invoice comes from the network or the host's files, whatever the
    document's text contains.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            data, media_type = packaged_font(_font_name(url))
        except LookupError as error:
            raise ValueError(f"no packaged invoice asset {url!r}") from error
        return URLFetcherResponse(url, data, headers={"Content-Type": media_type})


def _font_name(url: str) -> str:
    if url.startswith(ASSET_SCHEME):
        directory, _, name = posixpath.normpath(url.removeprefix(ASSET_SCHEME)).partition("/")
        if directory != "fonts":
            raise ValueError(f"no packaged invoice asset {url!r}")
        return name
    fonts = BASE_URL.rstrip("/") + FONTS_PATH
    if url.startswith(fonts):
        return url.removeprefix(fonts)
    raise ValueError(f"invoice templates may only load packaged assets, not {url!r}")


@functools.cache
def _declare_config_create() -> None:
    # WeasyPrint's bindings lack FcConfigCreate (an empty configuration); cffi's ABI mode
    # resolves a function declared later on the library already opened.
    ffi.cdef("FcConfig * FcConfigCreate (void);")


class PackagedFontConfiguration(FontConfiguration):  # type: ignore[misc]
    """WeasyPrint's font configuration on an empty Fontconfig configuration: the fonts of the
    document's ``@font-face`` rules are the only fonts there are."""

    def __init__(self) -> None:
        super().__init__()
        _declare_config_create()
        self._config = fontconfig.FcConfigCreate()
        pangoft2.pango_fc_font_map_set_config(
            ffi.cast("PangoFcFontMap *", self.font_map), self._config
        )
        fontconfig.FcConfigDestroy(self._config)  # the font map keeps its own reference


_per_thread = threading.local()


def _font_configuration() -> PackagedFontConfiguration:
    """This thread's font configuration, made on its first rendering.

    WeasyPrint's configuration is not thread-safe, hence one per thread; it is made to be reused
    (it keeps the ``@font-face`` files it wrote, keyed by their descriptors). One made per call
    was never freed by Pango and Fontconfig: a process grew by about 0.3 MB per PDF.
    """
    config: PackagedFontConfiguration | None = getattr(_per_thread, "font_config", None)
    if config is None:
        config = _per_thread.font_config = PackagedFontConfiguration()
    return config


class _FacturXMetadata(DocumentMetadata):  # type: ignore[misc]
    """The document's metadata, with the Factur-X descriptions in its XMP ``rdf:RDF``."""

    def generate_rdf_metadata(self, variant: str, version: int, conformance: str) -> bytes:
        rdf: bytes = super().generate_rdf_metadata(variant, version, conformance)
        return rdf.replace(b"</rdf:RDF>", facturx.xmp_descriptions() + b"</rdf:RDF>")


def pdf_identifier(number: str) -> bytes:
    """The permanent half of the PDF ``/ID``: the same for every rendering of one document."""
    return hashlib.sha256(number.encode()).hexdigest()[:32].encode()


def finish(_document: object, pdf: pydyf.PDF) -> None:
    """WeasyPrint finisher: fixed font timestamps, the XML's media type Factur-X names, and
    each associated file listed once in the catalog's ``/AF`` (WeasyPrint 70 lists an embedded
    file twice: once as a name, once as a file specification)."""
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))
    for item in pdf.objects:
        if not isinstance(item, pydyf.Stream):
            continue
        if item.extra.get("Type") == "/EmbeddedFile":
            item.extra["Subtype"] = "/text#2Fxml"
        elif "Length1" in item.extra or item.extra.get("Subtype") == "/OpenType":
            _pin_font_timestamp(item)


def _pin_font_timestamp(item: pydyf.Stream) -> None:
    """Give an embedded font the ``head.modified`` of its source file: fontTools rewrites that
    field with the clock (or ``SOURCE_DATE_EPOCH``) whenever it saves a subset."""
    if len(item.stream) != 1 or not isinstance(item.stream[0], bytes):
        return
    item.stream[0] = _font_with_fixed_timestamp(item.stream[0])
    if "Length1" in item.extra:
        item.extra["Length1"] = len(item.stream[0])


def _font_with_fixed_timestamp(data: bytes) -> bytes:
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    head = font["head"]
    if head.modified == head.created:
        return data
    head.modified = head.created
    output = io.BytesIO()
    font.save(output)
    return output.getvalue()


def _attachment(xml: bytes, issued_at: datetime) -> weasyprint.Attachment:
    moment = as_utc(issued_at)
    return weasyprint.Attachment(
        file_obj=io.BytesIO(xml),
        name=facturx.FILENAME,
        description="Factur-X invoice data (EN 16931)",
        created=moment,
        modified=moment,
        relationship="Data",
    )


def pdf_from_html(html: str, number: str, xml: bytes, issued_at: datetime) -> bytes:
    """The Factur-X PDF of an invoice's HTML and CII XML; the same arguments always give the
    same bytes, so the stored HTML and the document are enough to draw the PDF again.

    Raises :class:`InvoiceRenderingFailed` when WeasyPrint fails or the HTML asks for anything
    but the packaged fonts.
    """
    try:
        document = weasyprint.HTML(
            string=html, base_url=BASE_URL, url_fetcher=PackagedAssetFetcher()
        ).render(font_config=_font_configuration())
        document.metadata = _FacturXMetadata(**vars(document.metadata))
        pdf = document.write_pdf(
            finisher=finish,
            pdf_variant=PDF_VARIANT,
            pdf_version=PDF_VERSION,
            pdf_identifier=pdf_identifier(number),
            attachments=[_attachment(xml, issued_at)],
            uncompressed_pdf=False,
            custom_metadata=False,
            full_fonts=False,
            hinting=False,
        )
    except BillingError:
        raise
    except BaseException as error:  # WeasyPrint's FatalURLFetchingError is a BaseException
        if isinstance(error, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise InvoiceRenderingFailed(
            f"PDF rendering of {number} failed: {error}", number=number
        ) from error
    if not isinstance(pdf, bytes):  # pragma: no cover - WeasyPrint returns bytes without target
        raise InvoiceRenderingFailed(f"PDF rendering of {number} returned no bytes", number=number)
    return pdf


class WeasyPrintInvoiceRenderer:
    """Implements :class:`billing.ports.invoices.InvoiceRenderer` with Jinja2 and WeasyPrint.

    ``WeasyPrintInvoiceRenderer(template_version="v2")``; an unknown version raises
    :class:`UnknownTemplateVersion` at construction. ``render`` returns the HTML (UTF-8) and
    the Factur-X PDF drawn from that same HTML, with ``template_version`` to store beside the
    artifact. An instance holds no per-call state and may be shared between threads.
    """

    def __init__(self, template_version: str = CURRENT_TEMPLATE_VERSION) -> None:
        self._html = InvoiceHtmlTemplate(template_version)
        self.template_version = template_version

    def render(self, document: InvoiceDocument) -> RenderedDocument:
        html = self._html.render(document)
        xml = facturx.facturx_xml(document)
        return RenderedDocument(
            html=html.encode("utf-8"),
            pdf=pdf_from_html(html, document.number, xml, document.issued_at),
            template_version=self.template_version,
        )

    def check(self, document: InvoiceDocument, pdf: bytes, template_version: str) -> list[str]:
        """How the Factur-X XML inside ``pdf`` disagrees with ``document``."""
        return facturx.differences(document, pdf, template_version)

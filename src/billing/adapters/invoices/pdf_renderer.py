"""``WeasyPrintInvoiceRenderer``: the packaged HTML template, and the PDF WeasyPrint makes of it.

Determinism (same document -> byte-identical PDF, so a stored SHA-256 can be recomputed):

- the PDF's creation and modification dates are the document's ``issued_at`` (UTC), written as
  ``dcterms.created``/``dcterms.modified`` in the HTML head; WeasyPrint reads no clock otherwise;
- the trailer ``/ID`` is fixed: its permanent half is derived from the document number, its
  other half is WeasyPrint's MD5 over the PDF objects (content-derived, not random);
- the fonts are shipped in the package (DejaVu Sans) and loaded through ``@font-face``, so the
  result does not depend on which fonts the host has, and a host with no fonts at all works;
  WeasyPrint names font subsets after an MD5 of the font description, never randomly;
- WeasyPrint subsets fonts with fontTools when the host lacks HarfBuzz's subsetter, and fontTools
  stamps each subset's ``head.modified`` with the current time: a finisher sets it back to the
  font's own ``head.created`` before the PDF is written;
- the PDF version is pinned and nothing is fetched from outside the package: the URL fetcher
  serves the packaged fonts and refuses every other URL, failing the rendering.

Identical bytes hold for one set of versions of WeasyPrint, pydyf, fontTools, Pango and
HarfBuzz: upgrading any of them may change the bytes of a new rendering (never of a stored file).
"""

from __future__ import annotations

import functools
import hashlib
import io
import posixpath
import threading
from importlib import resources
from typing import Any, Final

# None of these ships type information.
import pydyf  # type: ignore[import-untyped]
import weasyprint  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from billing.adapters.invoices.errors import InvoiceRenderingFailed
from billing.adapters.invoices.html_template import CURRENT_TEMPLATE_VERSION, InvoiceHtmlTemplate
from billing.domain.errors import BillingError
from billing.domain.invoice import InvoiceDocument, RenderedDocument

ASSET_SCHEME: Final = "billing-asset:"
PDF_VERSION: Final = "1.7"
_FONT_TYPES: Final = {".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2"}


class PackagedAssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types
    """Serves ``billing-asset:fonts/<file>`` from the package; any other URL fails the rendering.

    Nothing printed on an invoice comes from the network or the host's files, whatever the
    document's text contains.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.startswith(ASSET_SCHEME):
            raise ValueError(f"invoice templates may only load packaged assets, not {url!r}")
        path = posixpath.normpath(url.removeprefix(ASSET_SCHEME))
        directory, _, name = path.partition("/")
        suffix = posixpath.splitext(name)[1]
        if directory != "fonts" or "/" in name or suffix not in _FONT_TYPES:
            raise ValueError(f"no packaged invoice asset {url!r}")
        return URLFetcherResponse(
            url, _packaged_font(name), headers={"Content-Type": _FONT_TYPES[suffix]}
        )


@functools.cache
def _packaged_font(name: str) -> bytes:
    return resources.files("billing.adapters.invoices").joinpath("fonts", name).read_bytes()


_per_thread = threading.local()


def _font_configuration() -> FontConfiguration:
    """This thread's WeasyPrint font configuration, made on its first rendering.

    WeasyPrint's configuration is not thread-safe, hence one per thread; it is made to be reused
    (it keeps the ``@font-face`` files it wrote, keyed by their descriptors). One made per call
    was never freed by Pango and Fontconfig: a process grew by about 0.3 MB per PDF.
    """
    config: FontConfiguration | None = getattr(_per_thread, "font_config", None)
    if config is None:
        config = _per_thread.font_config = FontConfiguration()
    return config


def pdf_identifier(number: str) -> bytes:
    """The permanent half of the PDF ``/ID``: the same for every rendering of one document."""
    return hashlib.sha256(number.encode()).hexdigest()[:32].encode()


def pin_font_timestamps(_document: object, pdf: pydyf.PDF) -> None:
    """WeasyPrint finisher: give every embedded font the ``head.modified`` of its source file.

    fontTools rewrites that field with the clock (or ``SOURCE_DATE_EPOCH``) whenever it saves a
    subset, which alone makes two renderings of one document differ by a few bytes.
    """
    for item in pdf.objects:
        is_font_file = isinstance(item, pydyf.Stream) and (
            "Length1" in item.extra or item.extra.get("Subtype") == "/OpenType"
        )
        if is_font_file and len(item.stream) == 1 and isinstance(item.stream[0], bytes):
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


def pdf_from_html(html: str, number: str) -> bytes:
    """The PDF of an invoice's HTML; the same HTML and number always give the same bytes.

    The stored HTML of a document is therefore enough to draw its PDF again.
    Raises :class:`InvoiceRenderingFailed` when WeasyPrint fails or the HTML asks for anything
    but the packaged fonts.
    """
    try:
        pdf = weasyprint.HTML(
            string=html, base_url=ASSET_SCHEME, url_fetcher=PackagedAssetFetcher()
        ).write_pdf(
            finisher=pin_font_timestamps,
            font_config=_font_configuration(),
            pdf_version=PDF_VERSION,
            pdf_identifier=pdf_identifier(number),
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

    ``WeasyPrintInvoiceRenderer(template_version="v1")``; an unknown version raises
    :class:`UnknownTemplateVersion` at construction. ``render`` returns the HTML (UTF-8) and
    the PDF drawn from that same HTML, with ``template_version`` to store beside the artifact.
    An instance holds no per-call state and may be shared between threads.
    """

    def __init__(self, template_version: str = CURRENT_TEMPLATE_VERSION) -> None:
        self._html = InvoiceHtmlTemplate(template_version)
        self.template_version = template_version

    def render(self, document: InvoiceDocument) -> RenderedDocument:
        html = self._html.render(document)
        return RenderedDocument(
            html=html.encode("utf-8"),
            pdf=pdf_from_html(html, document.number),
            template_version=self.template_version,
        )

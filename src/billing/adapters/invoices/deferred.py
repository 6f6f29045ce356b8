"""``DeferredPdfRenderer``: the WeasyPrint renderer, imported on the first rendering.

WeasyPrint, its font and CFFI bindings and fontTools take about 40 MB of memory once imported.
A web worker that queues render jobs on a broker never renders, so the container hands out this
stand-in: it checks the template version at construction (as the real renderer does) and
imports ``pdf_renderer`` only when a document is actually rendered.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from billing.adapters.invoices.html_template import CURRENT_TEMPLATE_VERSION, InvoiceHtmlTemplate
from billing.domain.invoice import InvoiceDocument, RenderedDocument

if TYPE_CHECKING:
    from billing.adapters.invoices.pdf_renderer import WeasyPrintInvoiceRenderer


class DeferredPdfRenderer:
    """Implements :class:`billing.ports.invoices.InvoiceRenderer`; same output as
    :class:`~billing.adapters.invoices.pdf_renderer.WeasyPrintInvoiceRenderer`, which it builds
    (once, thread-safely) on the first call to ``render``."""

    def __init__(self, template_version: str = CURRENT_TEMPLATE_VERSION) -> None:
        InvoiceHtmlTemplate(template_version)  # an unknown version fails here, not at render
        self.template_version = template_version
        self._renderer: WeasyPrintInvoiceRenderer | None = None
        self._lock = threading.Lock()

    def render(self, document: InvoiceDocument) -> RenderedDocument:
        return self._built().render(document)

    def check(self, document: InvoiceDocument, pdf: bytes, template_version: str) -> list[str]:
        """The Factur-X check, which needs the XML libraries but not WeasyPrint."""
        from billing.adapters.invoices.facturx import differences

        return differences(document, pdf, template_version)

    def _built(self) -> WeasyPrintInvoiceRenderer:
        renderer = self._renderer
        if renderer is None:
            with self._lock:
                if self._renderer is None:
                    from billing.adapters.invoices.pdf_renderer import WeasyPrintInvoiceRenderer

                    self._renderer = WeasyPrintInvoiceRenderer(self.template_version)
                renderer = self._renderer
        return renderer

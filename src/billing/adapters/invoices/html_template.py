"""The invoice HTML: a versioned Jinja2 template shipped inside the package, autoescaped.

Templates live in ``templates/<version>/invoice.html`` (with their stylesheet beside them). A
released version is never edited: its output is hashed and stored, so a change of layout, wording
or font is a new version directory, and the version is recorded with every artifact. From v2 the
words come from the locale's message catalog (``messages.py``) and amounts, dates and rates are
written by Babel for the document's ``locale`` (``formatting.py``).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

import jinja2
from babel import Locale

from billing.adapters.invoices import formatting
from billing.adapters.invoices.errors import InvoiceRenderingFailed, UnknownTemplateVersion
from billing.adapters.invoices.messages import translations
from billing.domain.invoice import BOOKED_SIGN, InvoiceDocument
from billing.domain.money import Money

CURRENT_TEMPLATE_VERSION: Final = "v2"

_VERSION_PATTERN = re.compile(r"^v[1-9][0-9]*$")


def format_amount(amount: int, currency: str) -> str:
    """Minor units as a decimal string with ``currency``'s own decimals: 1050 EUR -> ``10.50``."""
    return Money(amount, currency).format()


@jinja2.pass_context
def _money(context: jinja2.runtime.Context, amount: int) -> str:
    document: InvoiceDocument = context["document"]
    return formatting.money(amount, document.currency, document.locale)


@functools.cache
def _environment(locale: str) -> jinja2.Environment:
    """One environment per locale: its catalog installed, its Babel filters bound."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("billing.adapters.invoices", "templates"),
        # Always on, whatever the file name: buyer names and addresses are untrusted input.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    territories = Locale.parse(locale).territories
    environment.filters.update(
        amount=format_amount,  # v1
        money=_money,
        day=lambda moment: formatting.day(moment, locale),
        rate=lambda basis_points: formatting.rate(basis_points, locale),
        country=lambda code: territories.get(code.upper(), code),
    )
    return environment


class InvoiceHtmlTemplate:
    """Renders an :class:`InvoiceDocument` to HTML with one packaged template version.

    The output depends on the document and the version only: no clock, no host locale, no
    randomness (the language is the document's ``locale``).
    """

    def __init__(self, template_version: str = CURRENT_TEMPLATE_VERSION) -> None:
        if not _VERSION_PATTERN.match(template_version):
            raise UnknownTemplateVersion(
                f"template version must look like 'v1', got {template_version!r}",
                template_version=template_version,
            )
        self.template_version = template_version
        self._name = f"{template_version}/invoice.html"
        try:
            _environment("fr").get_template(self._name)
        except jinja2.TemplateNotFound as error:
            raise UnknownTemplateVersion(
                f"no invoice template version {template_version!r} in the package",
                template_version=template_version,
            ) from error

    def render(self, document: InvoiceDocument) -> str:
        template = _environment(document.locale).get_template(self._name)
        try:
            return template.render(self._context(document))
        except jinja2.TemplateError as error:
            raise InvoiceRenderingFailed(
                f"invoice template {self.template_version} failed on {document.number}: {error}",
                number=document.number,
                template_version=self.template_version,
            ) from error

    def _context(self, document: InvoiceDocument) -> dict[str, Any]:
        issued_at = formatting.as_utc(document.issued_at)
        return {
            "document": document,
            "template_version": self.template_version,
            "issued_on": issued_at.date().isoformat(),
            "issued_at_w3c": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "has_tax": bool(document.taxes),
            # A credit note gives money back: printed with its sign in the books, negative.
            "sign": BOOKED_SIGN[document.kind],
        }

"""The invoice HTML: a versioned Jinja2 template shipped inside the package, autoescaped.

Templates live in ``templates/<version>/invoice.html`` (with their stylesheet beside them). A
released version is never edited: its output is hashed and stored, so a change of layout, wording
or font is a new version directory, and the version is recorded with every artifact.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

import jinja2

from billing.adapters.invoices.errors import InvoiceRenderingFailed, UnknownTemplateVersion
from billing.domain.invoice import InvoiceDocument
from billing.domain.money import Money

CURRENT_TEMPLATE_VERSION: Final = "v1"

_VERSION_PATTERN = re.compile(r"^v[1-9][0-9]*$")


def format_amount(amount: int, currency: str) -> str:
    """Minor units as a decimal string with ``currency``'s own decimals: 1050 EUR -> ``10.50``."""
    return Money(amount, currency).format()


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("billing.adapters.invoices", "templates"),
        # Always on, whatever the file name: buyer names and addresses are untrusted input.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters["amount"] = format_amount
    return environment


class InvoiceHtmlTemplate:
    """Renders an :class:`InvoiceDocument` to HTML with one packaged template version.

    The output depends on the document and the version only: no clock, no locale, no randomness.
    """

    def __init__(self, template_version: str = CURRENT_TEMPLATE_VERSION) -> None:
        if not _VERSION_PATTERN.match(template_version):
            raise UnknownTemplateVersion(
                f"template version must look like 'v1', got {template_version!r}",
                template_version=template_version,
            )
        self.template_version = template_version
        try:
            self._template = _environment().get_template(f"{template_version}/invoice.html")
        except jinja2.TemplateNotFound as error:
            raise UnknownTemplateVersion(
                f"no invoice template version {template_version!r} in the package",
                template_version=template_version,
            ) from error

    def render(self, document: InvoiceDocument) -> str:
        issued_at = as_utc(document.issued_at)
        try:
            return self._template.render(
                document=document,
                template_version=self.template_version,
                issued_on=issued_at.date().isoformat(),
                issued_at_w3c=issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        except jinja2.TemplateError as error:
            raise InvoiceRenderingFailed(
                f"invoice template {self.template_version} failed on {document.number}: {error}",
                number=document.number,
                template_version=self.template_version,
            ) from error

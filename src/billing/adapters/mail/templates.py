"""The receipt's words: Jinja2 templates per locale (``templates/<locale>/``), amounts and
dates formatted by Babel for that locale (``1 234,56 €`` in French, ``€1,234.56`` in English).

Each locale has ``subject.txt``, ``body.txt`` and ``body.html`` (autoescaped: product names
and the seller's settings are printed as text). The lines and the totals come from one macro
per format (``lines.html``, ``lines.txt``) shared by the locales: VAT lines are added there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Final

import jinja2
from babel.dates import format_date
from babel.numbers import format_currency

from billing.domain.errors import InvalidInput
from billing.domain.invoice import InvoiceDocument
from billing.domain.mail import MailBody
from billing.domain.money import exponent

LOCALES: Final = ("fr", "en")


def money_formatter(currency: str, locale: str) -> Callable[[int], str]:
    """Minor units as the locale writes an amount of ``currency`` (no float on the way)."""
    places = exponent(currency)

    def money(amount: int) -> str:
        return format_currency(Decimal(amount).scaleb(-places), currency, locale=locale)

    return money


def day_formatter(locale: str) -> Callable[[datetime], str]:
    def day(moment: datetime) -> str:
        return format_date(moment.date(), format="long", locale=locale)

    return day


class JinjaReceiptTemplates:
    def __init__(self) -> None:
        self._environment = jinja2.Environment(
            loader=jinja2.PackageLoader("billing.adapters.mail", "templates"),
            autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,
        )

    def render(self, document: InvoiceDocument, locale: str) -> MailBody:
        if locale not in LOCALES:
            raise InvalidInput(f"no e-mail templates for locale {locale!r}", locale=locale)
        context = {
            "document": document,
            "money": money_formatter(document.currency, locale),
            "day": day_formatter(locale),
        }
        subject = self._render(f"{locale}/subject.txt", context).strip()
        text = self._render(f"{locale}/body.txt", context)
        html = self._render(f"{locale}/body.html", {**context, "subject": subject})
        return MailBody(subject, text, html)

    def _render(self, name: str, context: dict[str, object]) -> str:
        return self._environment.get_template(name).render(context)

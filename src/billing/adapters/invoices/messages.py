"""The invoice's words per locale: Babel message catalogs shipped in the package.

``locale/<lang>/LC_MESSAGES/invoices.po`` is the source (English message ids, edited by hand or
by ``make messages``: pybabel extract, update, compile); the compiled ``invoices.mo`` beside it is
committed, so a fresh clone and an installed wheel both have it, and a test checks that it says
what the ``.po`` says. A missing catalog is an error, never a silent fall-back to English.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Final

from babel.support import Translations

from billing.domain.errors import InvalidInput

LOCALES: Final = ("fr", "en")
DOMAIN: Final = "invoices"


def catalog_path(locale: str, suffix: str) -> resources.abc.Traversable:
    """Where the ``.po`` or ``.mo`` file of ``locale`` lives in the package."""
    return resources.files("billing.adapters.invoices").joinpath(
        "locale", locale, "LC_MESSAGES", f"{DOMAIN}.{suffix}"
    )


@functools.cache
def translations(locale: str) -> Translations:
    """The compiled catalog of ``locale``; InvalidInput for a locale the invoices lack."""
    if locale not in LOCALES:
        raise InvalidInput(f"no invoice templates for locale {locale!r}", locale=locale)
    with catalog_path(locale, "mo").open("rb") as compiled:
        return Translations(compiled, domain=DOMAIN)

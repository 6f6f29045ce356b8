"""The shopper's pages in their locale: a Babel message catalog and Jinja's i18n extension.

``locale/<lang>/LC_MESSAGES/pages.po`` beside the templates is the source (English message ids;
``make messages`` extracts them from the templates and from ``N_("…")`` in the views, updates
both catalogs and compiles them); the compiled ``pages.mo`` is committed and shipped, and a test
checks it says what the ``.po`` says. The locale is the app's ``Settings.page_locale``
(``BILLING_INVOICE_LOCALE``, English when unset).

The catalog is not installed in the app's Jinja environment (``install_gettext_translations``):
in a host's app that environment is the host's too, and its own gettext (Flask-Babel's) would
replace billing's, or billing's the host's. Each page gets ``gettext``/``ngettext`` in its own
render context instead, which ``{% trans %}`` and ``_()`` look up before the globals; the
environment only gets the extension and its new-style gettext (Flask-Babel's choice as well).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, Final

from babel.support import Translations
from flask import Flask, render_template
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from ..mounting import current_container

LOCALES: Final = ("en", "fr")
DOMAIN: Final = "pages"
#: The render-context name of the page's locale (the filters of ``wording.py`` read it).
LOCALE_KEY: Final = "billing_locale"


def N_(message: str) -> str:  # the marker name pybabel extracts by default
    """Mark ``message`` for the catalog; it is translated where it is shown (``translate``)."""
    return message


def catalog_path(locale: str, suffix: str) -> resources.abc.Traversable:
    """Where the ``.po`` or ``.mo`` file of ``locale`` lives in the package."""
    return resources.files(__package__).joinpath(
        "locale", locale, "LC_MESSAGES", f"{DOMAIN}.{suffix}"
    )


@functools.cache
def translations(locale: str) -> Translations:
    """The compiled catalog of ``locale`` (a settings value: one of ``LOCALES``)."""
    with catalog_path(locale, "mo").open("rb") as compiled:
        return Translations(compiled, domain=DOMAIN)


def translate(message: str, locale: str) -> str:
    return translations(locale).gettext(message)


def page_locale() -> str:
    """The locale of the pages of the app serving the request."""
    return current_container().settings().page_locale


def prepare(app: Flask) -> None:
    """Let ``app``'s templates use ``{% trans %}`` (new-style: ``%(name)s``, autoescaped)."""
    if "jinja2.ext.InternationalizationExtension" not in app.jinja_env.extensions:
        app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]


@functools.cache
def _callables(locale: str) -> dict[str, Any]:
    catalog = translations(locale)

    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        return _filled(context, catalog.gettext(message), variables)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, count: int, **variables: Any) -> str:
        variables.setdefault("num", count)
        return _filled(context, catalog.ngettext(singular, plural, count), variables)

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}


def _filled(context: Context, text: str, variables: dict[str, Any]) -> str:
    """As Jinja's new-style gettext: escaped when the template is, then ``%(name)s`` filled."""
    if context.eval_ctx.autoescape:
        return Markup(text) % variables  # noqa: S704 -- the catalog's text; variables escaped
    return text % variables


def render_page(template: str, **context: Any) -> str:
    """``template`` rendered in the app's page locale: its words, amounts and ``lang``."""
    locale = page_locale()
    return render_template(template, **_callables(locale), **{LOCALE_KEY: locale}, **context)

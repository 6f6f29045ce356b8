"""The invoices' message catalogs: shipped compiled, in step with their sources and templates."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from billing.adapters.invoices.messages import LOCALES, catalog_path, translations
from billing.domain.errors import InvalidInput

TEMPLATES = Path(__file__).parents[3] / "src/billing/adapters/invoices/templates"


def template_message_ids() -> set[str]:
    found = extract_from_dir(
        str(TEMPLATES), [("**.html", "jinja2")], {"**.html": {"extensions": "jinja2.ext.i18n"}}
    )
    return {message for _, _, message, _, _ in found}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_says_what_its_source_says(locale: str) -> None:
    """A .po edited without `make messages` would print the old words: this catches it."""
    source = read_po(io.BytesIO(catalog_path(locale, "po").read_bytes()))
    compiled = read_mo(io.BytesIO(catalog_path(locale, "mo").read_bytes()))

    def strings(catalog: object) -> dict[str, str]:
        return {m.id: m.string for m in catalog if m.id and m.string}  # type: ignore[attr-defined]

    assert strings(compiled) == strings(source)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_word_of_the_templates_is_in_the_catalog(locale: str) -> None:
    source = read_po(io.BytesIO(catalog_path(locale, "po").read_bytes()))

    assert template_message_ids() <= {message.id for message in source if message.id}


def test_french_translates_every_word() -> None:
    source = read_po(io.BytesIO(catalog_path("fr", "po").read_bytes()))

    untranslated = [m.id for m in source if m.id and not m.string]

    assert untranslated == []
    assert translations("fr").gettext("Credit note") == "Avoir"
    assert translations("en").gettext("Credit note") == "Credit note"


def test_a_locale_without_a_catalog_is_refused() -> None:
    with pytest.raises(InvalidInput):
        translations("de")

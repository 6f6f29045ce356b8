"""The pages' message catalogs: every word translated into French, shipped compiled and in step
with their sources, the templates and the messages marked in the code (a forgotten
``make messages`` fails here)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from billing.entrypoints.views.translation import LOCALES, catalog_path, translate

ROOT = Path(__file__).parents[3]
#: Where ``make messages`` extracts the pages' words from.
SOURCES = ("src/billing/entrypoints", "src/billing/adapters/sandbox")


def source(locale: str) -> Catalog:
    return read_po(io.BytesIO(catalog_path(locale, "po").read_bytes()))


def extracted_message_ids() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str] = set()
    for directory in SOURCES:
        for _, _, message, _, _ in extract_from_dir(str(ROOT / directory), method_map, options_map):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_says_what_its_source_says(locale: str) -> None:
    """A .po edited without `make messages` would show the old words: this catches it."""
    compiled = read_mo(io.BytesIO(catalog_path(locale, "mo").read_bytes()))

    def strings(catalog: Catalog) -> dict[str, str]:
        return {m.id: m.string for m in catalog if m.id and m.string}

    assert strings(compiled) == strings(source(locale))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalog_holds_every_word_of_the_pages_and_nothing_else(locale: str) -> None:
    found = extracted_message_ids()

    assert len(found) > 50  # the extraction did find the templates and the marked messages
    assert {message.id for message in source(locale) if message.id} == found


def test_french_translates_every_word() -> None:
    untranslated = [m.id for m in source("fr") if m.id and not m.string]

    assert untranslated == []
    assert translate("Back to the shop", "fr") == "Retour à la boutique"
    assert translate("Back to the shop", "en") == "Back to the shop"


def test_every_placeholder_survives_the_translation() -> None:
    for message in source("fr"):
        if message.id:
            assert sorted(_placeholders(message.string)) == sorted(_placeholders(message.id))


def _placeholders(text: str) -> list[str]:
    return [part.split(")")[0] for part in text.split("%(")[1:]]

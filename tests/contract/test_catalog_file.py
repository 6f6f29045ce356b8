"""Loading a catalog file: the shipped demo catalog loads; a bad file is refused whole, with
a message that says where and what."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from billing.adapters.memory import MemoryUnitOfWorkFactory
from billing.adapters.sql import InvalidCatalog, demo_catalog_path, load_catalog, read_catalog
from billing.domain.invoice import TaxCategory
from billing.domain.money import Money

GOOD = {"sku": "ebook", "name": "E-book", "unit_amount": 2900, "currency": "eur"}


def _file(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_the_demo_catalog_ships_with_the_package_and_loads() -> None:
    factory = MemoryUnitOfWorkFactory()

    loaded = load_catalog(factory, demo_catalog_path())

    with factory() as uow:
        assert uow.catalog.list() == sorted(loaded, key=lambda p: p.sku)
    assert len(loaded) >= 3
    assert any(p.entitlement_key for p in loaded)


def test_a_product_is_read_in_minor_units(tmp_path: Path) -> None:
    [product] = read_catalog(_file(tmp_path, [GOOD | {"entitlement_key": "ebook:x"}]))

    assert product.price == Money(2900, "EUR")
    assert (product.entitlement_key, product.active) == ("ebook:x", True)


def test_loading_again_replaces_products(tmp_path: Path) -> None:
    factory = MemoryUnitOfWorkFactory()
    load_catalog(factory, _file(tmp_path, [GOOD]))
    load_catalog(factory, _file(tmp_path, [GOOD | {"unit_amount": 3900, "active": False}]))

    with factory() as uow:
        [product] = uow.catalog.list()
    assert (product.price.amount, product.active) == (3900, False)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not valid JSON"),
        ({"products": []}, "non-empty JSON list"),
        ([], "non-empty JSON list"),
        (["ebook"], "product #1 must be a JSON object"),
        ([{"sku": "x", "name": "X", "currency": "EUR"}], "product #1 lacks unit_amount"),
        ([GOOD | {"price": 10}], "unknown fields price"),
        ([GOOD | {"unit_amount": 29.0}], "unit_amount has the wrong type"),
        ([GOOD | {"unit_amount": "2900"}], "unit_amount has the wrong type"),
        ([GOOD | {"unit_amount": True}], "unit_amount has the wrong type"),
        ([GOOD | {"unit_amount": -1}], "cannot be negative"),
        ([GOOD | {"currency": "EURO"}], "product #1"),
        ([GOOD | {"sku": " "}], "cannot be empty"),
        ([GOOD | {"active": "yes"}], "active has the wrong type"),
        ([GOOD, GOOD | {"sku": "b"}, GOOD], "sku 'ebook' appears twice"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(
    tmp_path: Path, document: Any, message: str
) -> None:
    factory = MemoryUnitOfWorkFactory()
    path = _file(tmp_path, document)

    with pytest.raises(InvalidCatalog, match=message) as refused:
        load_catalog(factory, path)

    assert refused.value.code == "invalid_catalog"
    with factory() as uow:
        assert uow.catalog.list() == []


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidCatalog, match="cannot read"):
        read_catalog(tmp_path / "missing.json")


def test_a_products_tax_is_read_as_basis_points_or_a_percentage(tmp_path: Path) -> None:
    reduced, standard, exempt, untaxed = read_catalog(
        _file(
            tmp_path,
            [
                GOOD | {"sku": "a", "tax_rate": "5.5 %", "tax_category": "reduced"},
                GOOD | {"sku": "b", "tax_rate": 2000},
                GOOD | {"sku": "c", "tax_category": "exempt", "exemption_reason": "Art. 261"},
                GOOD | {"sku": "d"},
            ],
        )
    )

    assert (reduced.tax.rate_bp, reduced.tax.category) == (550, TaxCategory.REDUCED)
    assert (standard.tax.rate_bp, standard.tax.category) == (2000, TaxCategory.STANDARD)
    assert (exempt.tax.category, exempt.tax.exemption_reason) == (TaxCategory.EXEMPT, "Art. 261")
    assert (untaxed.tax.rate_bp, untaxed.tax.category) == (0, TaxCategory.EXEMPT)


@pytest.mark.parametrize(
    "tax",
    [
        {"tax_rate": "20"},  # a bare number: 20 % or 0.2 %?
        {"tax_rate": 20.0},
        {"tax_rate": "20 %", "tax_category": "exempt"},
        {"tax_category": "luxury"},
        {"tax_rate": 0, "tax_category": "standard"},
    ],
)
def test_an_impossible_tax_is_refused_with_its_position(
    tmp_path: Path, tax: dict[str, object]
) -> None:
    with pytest.raises(InvalidCatalog) as refused:
        read_catalog(_file(tmp_path, [GOOD, GOOD | {"sku": "second", **tax}]))
    assert "product #2" in refused.value.message


def test_the_demo_catalog_carries_a_standard_a_reduced_and_an_exempt_rate() -> None:
    rates = {p.sku: (p.tax.rate_bp, p.tax.category) for p in read_catalog(demo_catalog_path())}

    assert rates["ebook-python"] == (550, TaxCategory.REDUCED)
    assert rates["course-payments"] == (2000, TaxCategory.STANDARD)
    assert (0, TaxCategory.EXEMPT) in rates.values()

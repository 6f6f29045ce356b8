"""Loading the catalog from a JSON file, and the demo catalog shipped with the package.

The file is a JSON list of products::

    [{"sku": "ebook-python", "name": "Python Patterns", "unit_amount": 2900,
      "currency": "EUR", "entitlement_key": "ebook:python-patterns", "active": true}]

``unit_amount`` is an integer in the currency's minor unit (2900 EUR cents = 29.00 EUR), tax
included or not as the whole catalog is (``BILLING_PRICES_INCLUDE_TAX``, default true);
``entitlement_key`` and ``active`` (default true) are optional, and so is the tax:
``tax_rate`` in basis points (``550``) or as a percentage (``"5.5 %"``), default 0;
``tax_category`` ``standard``, ``reduced``, ``zero`` or ``exempt`` (default: standard for a
positive rate, exempt for 0); ``exemption_reason`` for an exempt product
(``"Exonération de TVA, art. 261-4-4° du CGI"``; default: ``BILLING_VAT_EXEMPTION_MENTION``).
Loading is all or nothing: the first invalid entry is reported with its position and nothing
is stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from billing.domain.catalog import Product
from billing.domain.errors import BillingError, InvalidInput
from billing.domain.money import Money
from billing.domain.tax import TaxRate, parse_category, parse_rate
from billing.ports.unit_of_work import UnitOfWorkFactory

REQUIRED: dict[str, Any] = {"sku": str, "name": str, "unit_amount": int, "currency": str}
OPTIONAL: dict[str, Any] = {
    "entitlement_key": (str, type(None)),
    "active": bool,
    "tax_rate": (int, str),
    "tax_category": str,
    "exemption_reason": str,
}


class InvalidCatalog(InvalidInput):
    code = "invalid_catalog"


def demo_catalog_path() -> Path:
    """The demo catalog's file inside the installed package."""
    return Path(str(resources.files(__package__).joinpath("demo_catalog.json")))


def read_catalog(path: str | Path) -> list[Product]:
    """The products of a catalog file, validated; InvalidCatalog names what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidCatalog(f"cannot read {path}: {error.strerror}", path=str(path)) from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise InvalidCatalog(f"{path} is not valid JSON: {error}", path=str(path)) from None
    if not isinstance(document, list) or not document:
        raise InvalidCatalog(f"{path} must hold a non-empty JSON list of products", path=str(path))
    products = [_product(entry, f"{path}: product #{n}") for n, entry in enumerate(document, 1)]
    seen: set[str] = set()
    for product in products:
        if product.sku in seen:
            raise InvalidCatalog(f"{path}: sku {product.sku!r} appears twice", sku=product.sku)
        seen.add(product.sku)
    return products


def _product(entry: Any, where: str) -> Product:
    if not isinstance(entry, Mapping):
        raise InvalidCatalog(f"{where} must be a JSON object")
    missing = sorted(set(REQUIRED) - set(entry))
    if missing:
        raise InvalidCatalog(f"{where} lacks {', '.join(missing)}", missing=missing)
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise InvalidCatalog(f"{where} has unknown fields {', '.join(unknown)}", unknown=unknown)
    for name, kind in (*REQUIRED.items(), *OPTIONAL.items()):
        value = entry.get(name)
        if name in entry and (not isinstance(value, kind) or _is_bool_as_int(value, kind)):
            raise InvalidCatalog(f"{where}: {name} has the wrong type ({value!r})", field=name)
    if not entry["sku"].strip() or not entry["name"].strip():
        raise InvalidCatalog(f"{where}: sku and name cannot be empty")
    if entry["unit_amount"] < 0:
        raise InvalidCatalog(f"{where}: unit_amount cannot be negative", field="unit_amount")
    try:
        price = Money(entry["unit_amount"], entry["currency"])
    except BillingError as error:
        raise InvalidCatalog(f"{where}: {error.message}", field="currency") from None
    try:
        tax = _tax(entry)
    except BillingError as error:
        raise InvalidCatalog(f"{where}: {error.message}", field="tax_rate") from None
    return Product(
        sku=entry["sku"],
        name=entry["name"],
        price=price,
        entitlement_key=entry.get("entitlement_key"),
        active=entry.get("active", True),
        tax=tax,
    )


def _tax(entry: Mapping[str, Any]) -> TaxRate:
    category = entry.get("tax_category")
    return TaxRate(
        parse_rate(entry.get("tax_rate", 0)),
        parse_category(category) if category is not None else None,
        entry.get("exemption_reason", "").strip(),
    )


def _is_bool_as_int(value: Any, kind: Any) -> bool:
    return kind is int and isinstance(value, bool)


def load_catalog(uow_factory: UnitOfWorkFactory, path: str | Path) -> list[Product]:
    """Insert or replace every product of the file in one transaction; returns them."""
    products = read_catalog(path)
    with uow_factory() as uow:
        for product in products:
            uow.catalog.put(product)
        uow.commit()
    return products

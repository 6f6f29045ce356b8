"""The invoice HTML's fonts, served from the package so a browser draws the PDF's letters."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from billing.entrypoints.http_security import DOCUMENT_POLICY

from .conftest import Shop

FONTS = Path(__file__).parents[3] / "src/billing/adapters/invoices/fonts"


@pytest.mark.parametrize("name", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])
def test_each_packaged_font_is_served_to_any_origin(shop: Shop, name: str) -> None:
    answer = shop.client.get(f"/billing/assets/fonts/{name}")

    assert answer.status_code == 200
    assert answer.content_type == "font/ttf"
    assert (
        hashlib.sha256(answer.data).digest() == hashlib.sha256((FONTS / name).read_bytes()).digest()
    )
    # A stored HTML invoice is sandboxed (an opaque origin): its font fetch is cross-origin.
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize(
    "name", ["LICENSE.txt", "..%2F..%2Fpdf_renderer.py", "missing.ttf", "%2Fetc%2Fpasswd"]
)
def test_nothing_but_a_packaged_font_is_served(shop: Shop, name: str) -> None:
    answer = shop.client.get(f"/billing/assets/fonts/{name}")

    assert answer.status_code == 404
    assert answer.json is not None
    assert answer.json["code"] == "not_found"


def test_a_stored_invoice_may_load_the_billing_s_fonts() -> None:
    assert "font-src 'self' data:;" in DOCUMENT_POLICY
    assert "script-src" not in DOCUMENT_POLICY  # still nothing it could run (default 'none')

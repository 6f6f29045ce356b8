"""Pictures of the French and English PDFs, as a person sees them, under ``test-artifacts/``.

pdftoppm (Debian's poppler-utils) draws each page; ``.ci/run`` installs it when missing, so this
test never skips: without pdftoppm it fails and says what to install.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import attrs
import pytest

from billing.adapters.invoices.pdf_renderer import WeasyPrintInvoiceRenderer
from billing.domain.invoice import InvoiceDocument

from .documents import FRANCHISE_INVOICE, TAXED_CREDIT_NOTE, TAXED_INVOICE

ARTIFACTS = Path(__file__).parents[3] / "test-artifacts" / "invoices"
DPI = 72
A4_POINTS = (595.28, 841.89)  # 210 x 297 mm at 72 points per inch
SAMPLES = {
    "invoice-fr": TAXED_INVOICE,
    "invoice-en": attrs.evolve(TAXED_INVOICE, locale="en"),
    "credit-note-fr": TAXED_CREDIT_NOTE,
    "credit-note-en": attrs.evolve(TAXED_CREDIT_NOTE, locale="en"),
    "franchise-fr": FRANCHISE_INVOICE,
}


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("name", SAMPLES)
def test_a_screenshot_of_each_pdf_is_saved(name: str) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.fail("pdftoppm is missing: apt-get install poppler-utils (.ci/run does)")
    document: InvoiceDocument = SAMPLES[name]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(WeasyPrintInvoiceRenderer().render(document).pdf)

    subprocess.run(  # noqa: S603 - a fixed program on our own file
        [pdftoppm, "-png", "-r", str(DPI), "-singlefile", str(pdf), str(ARTIFACTS / name)],
        check=True,
        timeout=60,
    )

    width, height = png_size((ARTIFACTS / f"{name}.png").read_bytes())
    assert abs(width - A4_POINTS[0]) < 1
    assert abs(height - A4_POINTS[1]) < 1

"""How many invoice PDFs one process renders per second (HTML + PDF, WeasyPrint renderer).

Run: ``.venv/bin/python benchmarks/bench_invoice_render.py [--count 30]``. Prints the rate on
the last line; nothing asserts it. Each document differs (number and buyer), as in production.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from billing.adapters.invoices.pdf_renderer import WeasyPrintInvoiceRenderer
from billing.domain.invoice import DocumentKind, DocumentLine, InvoiceDocument, Party

SELLER = Party("Acme Learning SAS", "1 rue de la Paix\n75002 Paris", "FR40123456789")


def document(sequence: int) -> InvoiceDocument:
    lines = tuple(
        DocumentLine(f"Item {n} of order {sequence}", n, 1250 * n, 1250 * n * n)
        for n in range(1, 6)
    )
    return InvoiceDocument(
        number=f"INV-2026-{sequence:06d}",
        kind=DocumentKind.INVOICE,
        issued_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        seller=SELLER,
        buyer=Party(f"Customer {sequence}", email=f"customer{sequence}@example.com"),
        currency="EUR",
        lines=lines,
        total=sum(line.amount for line in lines),
        order_id=f"ord_{sequence:06d}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="documents to render (default 30)")
    count = parser.parse_args().count
    renderer = WeasyPrintInvoiceRenderer()
    renderer.render(document(0))  # warm-up: imports, font loading
    started = time.perf_counter()
    size = sum(len(renderer.render(document(n)).pdf) for n in range(1, count + 1))
    elapsed = time.perf_counter() - started
    print(f"{count} PDFs in {elapsed:.2f} s, {size // count} bytes each on average")
    print(f"{count / elapsed:.1f} PDFs/second")


if __name__ == "__main__":
    main()

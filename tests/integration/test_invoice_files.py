"""Invoice files on disk: rendered once as PDF and HTML, verifiable, and re-rendered identically."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from billing.adapters.memory import FakeEvents, FakePaymentProvider
from billing.adapters.sql import upgrade
from billing.domain.order import Customer
from billing.domain.payment import PaymentMode
from billing.entrypoints.cli import main
from billing.entrypoints.container import build_container
from billing.entrypoints.demo import load_demo_catalog
from billing.entrypoints.settings import Settings
from billing.services.orders import CartLine


def test_a_paid_order_has_a_verifiable_pdf_on_disk_and_verify_finds_a_flipped_byte(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'billing.db'}"
    media_root = tmp_path / "media"
    settings = Settings(
        enabled=True,
        storage="sql",
        database_url=database_url,
        payment_provider="fake",
        media_root=str(media_root),
    )
    upgrade(database_url)
    container = build_container(settings)
    load_demo_catalog(container)
    order = (
        container.orders()
        .create_order(Customer(email="buyer@example.com"), [CartLine("ebook-python", 2)])
        .order
    )
    payment = container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT).payment
    provider = container.payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    delivery = FakeEvents(provider).payment_succeeded(payment.id)
    container.webhooks().receive(delivery.payload, delivery.signature)

    [invoice] = container.invoices().documents(order.id)
    assert invoice.pdf_key is not None
    pdf_path = media_root / "billing" / "invoices" / invoice.pdf_key
    pdf = pdf_path.read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == invoice.pdf_sha256
    text = PdfReader(pdf_path).pages[0].extract_text()
    assert invoice.number in text
    assert "buyer@example.com" in text
    assert "58.00" in text  # 2 x 29.00 EUR, printed with the currency's decimals

    env = {
        "BILLING_DATABASE_URL": database_url,
        "BILLING_MEDIA_ROOT": str(media_root),
        "BILLING_PAYMENT_PROVIDER": "fake",
    }
    clean = CliRunner().invoke(main, ["invoices", "verify"], env=env)
    assert clean.exit_code == 0, clean.output

    pdf_path.chmod(0o600)
    flipped = bytearray(pdf)
    flipped[len(flipped) // 2] ^= 0x01
    pdf_path.write_bytes(bytes(flipped))
    found = CliRunner().invoke(main, ["invoices", "verify"], env=env)

    assert found.exit_code == 1
    assert f"artifact_corrupted\t{invoice.number}\t{invoice.pdf_key}" in found.output
    container.unwire()

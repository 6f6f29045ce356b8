"""Invoice files on disk: rendered once as PDF and HTML, verifiable, and re-rendered identically."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import attrs
import facturx  # type: ignore[import-untyped]
from click.testing import CliRunner
from pypdf import PdfReader

from billing.adapters.invoices.facturx import facturx_xml
from billing.adapters.invoices.pdf_renderer import pdf_from_html
from billing.adapters.memory import FakeEvents, FakePaymentProvider
from billing.adapters.sql import upgrade
from billing.domain.order import Customer, Order
from billing.domain.payment import PaymentMode
from billing.entrypoints.cli import main
from billing.entrypoints.container import Container, build_container
from billing.entrypoints.demo import load_demo_catalog
from billing.entrypoints.settings import Settings
from billing.services.orders import CartLine


def paid_order(tmp_path: Path, quantity: int, **settings: Any) -> tuple[Container, Order]:
    """A SQLite-backed container and a guest order of ``quantity`` e-books, paid and invoiced."""
    database_url = f"sqlite:///{tmp_path / 'billing.db'}"
    upgrade(database_url)
    container = build_container(
        Settings(
            enabled=True,
            storage="sql",
            database_url=database_url,
            payment_provider="fake",
            media_root=str(tmp_path / "media"),
            **settings,
        )
    )
    load_demo_catalog(container)
    order = (
        container.orders()
        .create_order(Customer(email="buyer@example.com"), [CartLine("ebook-python", quantity)])
        .order
    )
    payment = container.payments().checkout(order.id, PaymentMode.PAYMENT_INTENT).payment
    provider = container.payment_provider()
    assert isinstance(provider, FakePaymentProvider)
    delivery = FakeEvents(provider).payment_succeeded(payment.id)
    container.webhooks().receive(delivery.payload, delivery.signature)
    return container, order


def test_a_paid_order_has_a_verifiable_pdf_on_disk_and_verify_finds_a_flipped_byte(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'billing.db'}"
    media_root = tmp_path / "media"
    container, order = paid_order(tmp_path, quantity=2)

    [invoice] = container.invoices().documents(order.id)
    assert invoice.pdf_key is not None
    pdf_path = media_root / "billing" / "invoices" / invoice.pdf_key
    pdf = pdf_path.read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == invoice.pdf_sha256
    text = " ".join(PdfReader(pdf_path).pages[0].extract_text().split())
    assert invoice.number in text
    assert text.count("buyer@example.com") == 1
    assert "Total TTC 58,00 €" in text  # 2 x 29.00 EUR, as French writes it
    _, xml = facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert b"<ram:GrandTotalAmount>58.00</ram:GrandTotalAmount>" in xml

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


def test_verify_finds_a_pdf_whose_embedded_xml_disagrees_with_its_document(
    tmp_path: Path,
) -> None:
    """A PDF re-stored with its checksum (a faulty re-render, a hand edit) passes the checksum
    check; the Factur-X XML inside it must still say what the document says."""
    database_url = f"sqlite:///{tmp_path / 'billing.db'}"
    media_root = tmp_path / "media"
    container, order = paid_order(tmp_path, quantity=1)
    service = container.invoices()
    [invoice] = service.documents(order.id)
    assert service.verify() == []

    document = service.document(invoice.id)
    wrong = attrs.evolve(document, total=document.total + 100)
    html = container.artifact_store().get(invoice.html_key or "").decode()
    forged = pdf_from_html(html, invoice.number, facturx_xml(wrong), document.issued_at)
    pdf_path = media_root / "billing" / "invoices" / (invoice.pdf_key or "")
    pdf_path.chmod(0o600)  # the store never rewrites a file: this is done behind its back
    pdf_path.write_bytes(forged)
    with container.uow_factory()() as uow:
        artifact = uow.invoices.get(invoice.id)
        artifact.pdf_sha256 = hashlib.sha256(forged).hexdigest()
        uow.invoices.save(artifact)
        uow.commit()

    problems = service.verify()

    assert {(p.code, p.number, p.key) for p in problems} == {
        ("einvoice_mismatch", invoice.number, invoice.pdf_key)
    }
    assert [p.detail for p in problems] == [  # the per-rate net and VAT are still right
        "gross: XML says 3000, document says 2900",
    ]
    env = {
        "BILLING_DATABASE_URL": database_url,
        "BILLING_MEDIA_ROOT": str(media_root),
        "BILLING_PAYMENT_PROVIDER": "fake",
    }
    found = CliRunner().invoke(main, ["invoices", "verify"], env=env)
    assert found.exit_code == 1
    assert f"einvoice_mismatch\t{invoice.number}\t{invoice.pdf_key}\tgross: XML" in found.output
    container.unwire()


def test_billing_invoice_locale_en_prints_the_invoice_in_english(tmp_path: Path) -> None:
    container, order = paid_order(tmp_path, quantity=2, invoice_locale="en")
    [invoice] = container.invoices().documents(order.id)

    pdf = container.invoices().file(invoice.id, "pdf")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())

    assert f"Invoice {invoice.number}" in text
    assert "Total incl. VAT €58.00" in text
    assert "Facture" not in text
    assert container.invoices().document(invoice.id).locale == "en"
    container.unwire()

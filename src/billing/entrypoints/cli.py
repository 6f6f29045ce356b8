"""The ``billing`` command line."""

from __future__ import annotations

import click
from dependency_injector import providers

from billing.adapters.memory import MemoryArtifactStore, MemoryUnitOfWorkFactory

from .container import build_container
from .demo import run_demo
from .settings import Settings


@click.group()
def main() -> None:
    """Payments for orders through Stripe."""


@main.command()
def demo() -> None:
    """Run one guest order through payment, a duplicate event and two refunds, in memory."""
    settings = Settings.from_env({"BILLING_ENABLED": "true", "BILLING_PAYMENT_PROVIDER": "fake"})
    container = build_container(settings)
    # Everything in memory: the demo leaves nothing behind and can run again and again.
    container.uow_factory.override(providers.Singleton(MemoryUnitOfWorkFactory))
    container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
    status = run_demo(container, click.echo)
    click.echo(f"final status: {status}")


@main.group()
def invoices() -> None:
    """Invoice and credit-note files."""


@invoices.command("render")
@click.argument("order_id")
def invoices_render(order_id: str) -> None:
    """Render the files of every numbered document of ORDER_ID (again, if need be)."""
    for artifact in build_container().invoices().render_order(order_id):
        click.echo(f"{artifact.number}\t{artifact.pdf_key}\t{artifact.pdf_sha256}")


@invoices.command("verify")
def invoices_verify() -> None:
    """Recompute every stored checksum; list missing or altered files, exit 1 if any."""
    problems = build_container().invoices().verify()
    for problem in problems:
        click.echo(f"{problem.code}\t{problem.number}\t{problem.key}")
    if problems:
        raise SystemExit(1)
    click.echo("every stored invoice file matches its checksum")

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

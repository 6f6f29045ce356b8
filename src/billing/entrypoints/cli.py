"""The ``billing`` command line."""

from __future__ import annotations

import click

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
    status = run_demo(build_container(settings), click.echo)
    click.echo(f"final status: {status}")

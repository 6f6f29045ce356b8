"""The ``billing`` command line."""

from __future__ import annotations

import os
import sys
import tempfile

import click
from dependency_injector import providers

from billing.adapters.memory import MemoryArtifactStore, MemoryUnitOfWorkFactory
from billing.adapters.sql import SqlUnitOfWorkFactory, upgrade

from .container import build_container
from .demo import run_demo
from .flask_app import load_demo_catalog
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes (keep 1 while storage is in memory).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API under /billing/ with gunicorn."""
    settings = Settings.from_env()  # refuse bad settings before starting anything
    container = build_container(settings)
    if isinstance(container.uow_factory(), SqlUnitOfWorkFactory):
        upgrade(settings.database_url)  # the embedded SQLite file is made and migrated
        if settings.demo_catalog:
            load_demo_catalog(container)  # once, before the workers start
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Metrics from every worker: prometheus-client reads this before the workers start.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="billing-metrics-")
    base = f"http://{host}:{port}/billing"
    click.echo(
        f"billing {'enabled' if settings.enabled else 'DISABLED (BILLING_ENABLED=false)'}, "
        f"provider {settings.payment_provider}, {workers} worker(s)"
    )
    click.echo(f"API: {base}/openapi.json  health: {base}/health/  metrics: {base}/metrics")
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "billing.entrypoints.flask_app:create_app()",
    ]
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter, fixed arguments


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

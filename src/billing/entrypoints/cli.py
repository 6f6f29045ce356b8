"""The ``billing`` command line.

A misconfiguration is one line on stderr naming the setting (exit 2) and a refused operation
one line with its reason (exit 1): never a traceback.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from dependency_injector import providers
from sqlalchemy.engine import make_url

from billing.adapters.memory import MemoryArtifactStore
from billing.adapters.sql import SqlUnitOfWorkFactory, demo_catalog_path, load_catalog, upgrade
from billing.domain.errors import BillingError
from billing.domain.webhook import WebhookStatus
from billing.services.webhooks import Delivery

from .cli_disputes import DISPUTE_COMMANDS
from .cli_orders import OPERATOR, orders
from .cli_tasks import TASK_COMMANDS
from .configuration import ConfigurationError
from .container import build_container
from .demo import load_demo_catalog, run_demo
from .installation import installation_settings
from .ops.commands import COMMANDS as OPS_COMMANDS
from .settings import Settings
from .startup import check_database, check_port_free

PUBLIC_BASE_URL = "BILLING_PUBLIC_BASE_URL"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"})  # noqa: S104


class Misconfigured(click.ClickException):
    """A setting the command cannot run with: ``billing: VARIABLE: problem; fix``, exit 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"billing: {self.message}", err=True)


class Commands(click.Group):
    """The ``billing`` group: turns configuration and domain errors into one line, and lists
    its commands with their whole summaries (click cuts them at the terminal's width)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as error:
            raise Misconfigured(str(error)) from None
        except BillingError as error:
            raise click.ClickException(error.message) from None


@click.group(cls=Commands)
def main() -> None:
    """Payments for orders through Stripe."""


@main.command()
def demo() -> None:
    """Run one guest order through payment, a duplicate event and two refunds, in memory."""
    # Everything in memory: the demo leaves nothing behind and can run again and again.
    container = build_container(Settings.in_memory(enabled=True))
    container.artifact_store.override(providers.Singleton(MemoryArtifactStore))
    status = run_demo(container, click.echo)
    click.echo(f"final status: {status}")


# -- billing serve's access log (the HTTP trust boundary) -------------------------------------
#: gunicorn's access log without what may hold a secret: the path without its query string
#: (``?token=``, ``?client_secret=``), no ``Referer`` (the address of the page before, with
#: its query) and no HTTP Basic user name (Stripe-style ``-u sk_test_…:``); the request id
#: ties a line to the service's own JSON lines.
ACCESS_LOG_FORMAT = (
    '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s'
)


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all)."
)
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
    environment = {**os.environ, **_public_base_url(host, port)}  # what the workers read
    settings = installation_settings(environment)  # refused here, before anything starts
    check_port_free(host, port)
    check_database(settings)
    container = build_container(settings)
    if isinstance(container.uow_factory(), SqlUnitOfWorkFactory):
        upgrade(settings.database_url)  # the embedded SQLite file is made and migrated
        if settings.demo_catalog:
            load_demo_catalog(container)  # once, before the workers start
    if workers > 1 and not environment.get("PROMETHEUS_MULTIPROC_DIR"):
        # Metrics from every worker: prometheus-client reads this before the workers start.
        environment["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="billing-metrics-")
    base = f"http://{host}:{port}{settings.url_prefix}"
    click.echo(
        f"billing {'enabled' if settings.enabled else 'DISABLED (BILLING_ENABLED=false)'}, "
        f"provider {settings.payment_provider}, {workers} worker(s)"
    )
    click.echo(f"storefront: {base}/")
    click.echo(f"API: {base}/openapi.json  health: {base}/health/  metrics: {base}/metrics")
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        # Explicit, and above BILLING_REQUEST_BUDGET_SECONDS (checked with the settings): a
        # request that waited its whole budget still answers before its worker is killed.
        "--timeout",
        str(settings.worker_timeout_seconds),
        "--access-logfile",
        "-",
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "billing.entrypoints.flask_app:serve_app()",
    ]
    sys.stdout.flush()
    os.execve(sys.executable, argv, environment)  # noqa: S606 - our own interpreter


def _public_base_url(host: str, port: int) -> dict[str, str]:
    """Where shoppers and the sandbox's webhooks are sent: this server's own address unless
    ``BILLING_PUBLIC_BASE_URL`` says otherwise (a local one on another port is a mistake).
    Returns the variable to give the workers when it is not set."""
    local = "127.0.0.1" if host in _LOOPBACK else host
    configured = os.environ.get(PUBLIC_BASE_URL, "").strip()
    if not configured:
        return {PUBLIC_BASE_URL: f"http://{local}:{port}"}
    parts = urlsplit(configured)
    if parts.hostname in _LOOPBACK | {host} and parts.port not in (port, None):
        click.echo(
            f"warning: {PUBLIC_BASE_URL} is {configured} but this server listens on "
            f"{host}:{port}: shoppers and the sandbox's webhooks will be sent to the former",
            err=True,
        )
    return {}


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
    """Recompute every stored checksum and compare each Factur-X PDF's embedded XML with its
    document; list missing or altered files, exit 1 if any."""
    problems = build_container().invoices().verify()
    for problem in problems:
        detail = f"\t{problem.detail}" if problem.detail else ""
        click.echo(f"{problem.code}\t{problem.number}\t{problem.key}{detail}")
    if problems:
        raise SystemExit(1)
    click.echo("every stored invoice file matches its checksum and its document")


@main.group()
def db() -> None:
    """The database at BILLING_DATABASE_URL (default: a SQLite file under ./var/)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to reach.")
def db_upgrade(revision: str) -> None:
    """Create or migrate the tables with the migrations shipped in the package."""
    settings = Settings.from_env()
    check_database(settings)
    upgrade(settings.database_url, revision)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    click.echo(f"database {shown} is at revision {revision}")


@main.group()
def catalog() -> None:
    """The products on sale and their server-side prices."""


@catalog.command("load")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Load the demo catalog shipped with the package.")
def catalog_load(file: Path | None, demo: bool) -> None:
    """Insert or replace the products of FILE.json: a list of {sku, name, unit_amount (minor
    units), currency, entitlement_key?, active?}; all or nothing."""
    if (file is None) == (not demo):
        raise click.UsageError("give either FILE.json or --demo")
    path = demo_catalog_path() if file is None else file
    products = load_catalog(build_container().uow_factory(), path)
    for product in products:
        state = "" if product.active else "\tinactive"
        click.echo(f"{product.sku}\t{product.price}\t{product.entitlement_key or '-'}{state}")
    click.echo(f"{len(products)} product(s) loaded from {path}")


@catalog.command("list")
def catalog_list() -> None:
    """The active products: sku, name, unit price, entitlement key."""
    products = build_container().catalog().products()
    for product in products:
        fields = (product.sku, product.name, str(product.price), product.entitlement_key or "-")
        click.echo("\t".join(fields))
    click.echo(f"{len(products)} product(s)")


@main.group()
def webhooks() -> None:
    """The journal of the provider's webhook events: list them, replay one."""


@webhooks.command("list")
@click.option(
    "--status",
    type=click.Choice([str(s) for s in WebhookStatus]),
    help="Only events in this status (e.g. failed, parked).",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
def webhooks_list(status: str | None, limit: int) -> None:
    """Journaled events, newest first: id, type, status, attempts, order, received, last error."""
    wanted = WebhookStatus(status) if status is not None else None
    events = build_container().webhooks().journal(wanted, limit)
    for event in events:
        fields = (
            event.id,
            event.type,
            str(event.status),
            str(event.attempts),
            event.order_id or "-",
            event.received_at.isoformat(),
            event.last_error or "",
        )
        click.echo("\t".join(fields))
    click.echo(f"{len(events)} event(s)")


@webhooks.command("show")
@click.argument("event_id")
def webhooks_show(event_id: str) -> None:
    """One journaled event: its fields, then the raw payload the provider sent."""
    event = build_container().admin_orders().webhook_event(OPERATOR, event_id)
    for name, value in (
        ("id", event.id),
        ("type", event.type),
        ("status", str(event.status)),
        ("attempts", str(event.attempts)),
        ("order", event.order_id or "-"),
        ("received", event.received_at.isoformat()),
        ("last error", event.last_error or "-"),
    ):
        click.echo(f"{name}\t{value}")
    click.echo(event.payload)


@webhooks.command("replay")
@click.argument("event_id")
def webhooks_replay(event_id: str) -> None:
    """Run a failed or parked event again (a settled one is a duplicate: nothing changes).
    Exits 1 when the event still failed or still waits."""
    outcome = build_container().webhooks().replay(event_id)
    click.echo(f"{outcome.event_id}\t{outcome.outcome}\t{outcome.code or '-'}")
    if outcome.outcome in (Delivery.FAILED, Delivery.PARKED):
        raise SystemExit(1)


for _command in OPS_COMMANDS:  # smoke, crawl, run-all, reconcile
    main.add_command(_command)
for _command in TASK_COMMANDS:  # worker, tasks list/retry/relay
    main.add_command(_command)
for _command in DISPUTE_COMMANDS:  # disputes list
    main.add_command(_command)
main.add_command(orders)  # orders list, orders show

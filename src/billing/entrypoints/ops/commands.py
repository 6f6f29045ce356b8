"""The operations commands of ``billing``: ``smoke``, ``crawl``, ``run-all`` and ``reconcile``
(``cli.py`` adds them to the ``billing`` group)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from typing import Any, TypeVar

import click
import httpx

from billing.domain.errors import BillingError

from ..container import build_container
from .crawl import run_crawl
from .results import Check, failures, make_client, summary_table
from .run_all import run_all
from .smoke import DEFAULT_SKU, run_smoke, stripe_test_api

_Command = TypeVar("_Command", bound=Callable[..., Any])
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

base_url_option = click.option(
    "--base-url",
    default="http://127.0.0.1:8000/billing",
    show_default=True,
    envvar="BILLING_BASE_URL",
    show_envvar=True,
    help="Billing's address, as a browser opens its storefront: http://host:port/billing/, or "
    "under a host app's prefix (e.g. https://shop.example/shop/billing/). A bare "
    "http://host:port means the default prefix /billing; billing mounted at the root: "
    "http://host:port/openapi.json. The crawl reads {base-url}/openapi.json, whose servers "
    "entry says where billing is mounted; every route is taken from it.",
)


def _secret_option(flag: str, envvar: str, help: str) -> Callable[[_Command], _Command]:
    """An option read from ``envvar`` when not given (so it stays out of shell history)."""
    return click.option(flag, default=None, envvar=envvar, show_envvar=True, help=help)


admin_token_option = _secret_option(
    "--admin-token",
    "BILLING_ADMIN_TOKEN",
    "The administrators' bearer token (refunds; admin routes).",
)
timeout_option = click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1, 600),
    help="Seconds to wait for the order to turn paid, then refunded.",
)
sku_option = click.option(
    "--sku", default=DEFAULT_SKU, show_default=True, help="The product the smoke order buys."
)
stripe_key_option = _secret_option(
    "--stripe-test-key",
    "STRIPE_TEST_SECRET_KEY",
    "On Stripe's test mode: a test secret key (sk_test_…) to pay with pm_card_visa.",
)


def _stripe(key: str | None) -> AbstractContextManager[httpx.Client | None]:
    if not key:
        return nullcontext()
    try:
        return stripe_test_api(key)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--stripe-test-key") from None


def _finish(checks: Sequence[Check]) -> None:
    click.echo(summary_table(checks))
    if failures(checks):
        raise SystemExit(1)


@click.command()
@base_url_option
@admin_token_option
@sku_option
@timeout_option
@stripe_key_option
def smoke(
    base_url: str, admin_token: str | None, sku: str, timeout: float, stripe_test_key: str | None
) -> None:
    """Health, a guest checkout paid with 4242… (sandbox or Stripe's test mode), its invoice,
    an admin refund."""
    with make_client(base_url) as client, _stripe(stripe_test_key) as stripe:
        _finish(run_smoke(client, admin_token, sku=sku, timeout=timeout, stripe=stripe).checks)


@click.command()
@base_url_option
@admin_token_option
def crawl(base_url: str, admin_token: str | None) -> None:
    """Every route of the OpenAPI document and every linked page: status codes and links."""
    with make_client(base_url) as client:
        _finish(run_crawl(client, admin_token))


@click.command("run-all")
@base_url_option
@admin_token_option
@sku_option
@timeout_option
@stripe_key_option
def run_all_command(
    base_url: str, admin_token: str | None, sku: str, timeout: float, stripe_test_key: str | None
) -> None:
    """The smoke test, then the crawler; a summary table; exit 1 naming what failed."""
    with make_client(base_url) as client, _stripe(stripe_test_key) as stripe:
        _finish(run_all(client, admin_token, sku=sku, timeout=timeout, stripe=stripe).checks)


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if match is None:
        raise click.BadParameter(f"{text!r}: expected a number and s, m, h or d (e.g. 72h)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@click.command()
@click.option(
    "--since",
    default="72h",
    show_default=True,
    help="How far back to look (e.g. 90m, 72h, 30d; at most the provider's 30 days).",
)
@click.option("--apply", is_flag=True, help="Process the missed events through the webhook path.")
def reconcile(since: str, apply: bool) -> None:
    """Compare the provider's events with the webhook journal and the orders; list the drift.

    Exit 1 while drift remains (after --apply: what applying did not fix).
    """
    window = parse_duration(since)
    try:
        report = build_container().reconciliation().reconcile(window, apply=apply)
    except BillingError as error:
        raise click.ClickException(f"{error.code}: {error.message}") from None
    click.echo(f"{report.checked} provider event(s) since {report.since.isoformat()}")
    for drift in report.drift:
        click.echo(f"{drift.kind}\t{drift.event_id}\t{drift.order_id or '-'}\t{drift.message}")
    for outcome in report.applied:
        click.echo(f"applied\t{outcome.event_id}\t{outcome.order_id or '-'}\t{outcome.outcome}")
    if report.clean:
        click.echo("no drift" if not report.drift else "no drift left")
        return
    click.echo(
        f"{len(report.remaining)} drift(s) left"
        + ("" if apply else "; --apply feeds the missed events")
    )
    raise SystemExit(1)


COMMANDS = (smoke, crawl, run_all_command, reconcile)

"""``billing disputes list [--open]``: the disputes of the orders' payments, the soonest
evidence due date first, with what each is about."""

from __future__ import annotations

from datetime import datetime

import click

from billing.domain.errors import BillingError
from billing.domain.money import Money

from .container import build_container


@click.group()
def disputes() -> None:
    """Disputes (chargebacks) of the orders' payments."""


def _time(at: datetime | None) -> str:
    return at.isoformat() if at is not None else "-"


@disputes.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only disputes still being decided.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def disputes_list(open_only: bool, limit: int) -> None:
    """Disputes: id, order, status, amount, reason, evidence due by, opened, closed."""
    try:
        found = build_container().disputes().list(open_only, limit)
    except BillingError as error:
        raise click.ClickException(error.message) from None
    for dispute in found:
        fields = (
            dispute.id,
            dispute.order_id,
            str(dispute.status),
            str(Money(dispute.amount, dispute.currency)),
            dispute.reason or "-",
            _time(dispute.evidence_due_by),
            _time(dispute.opened_at),
            _time(dispute.closed_at),
        )
        click.echo("\t".join(fields))
    click.echo(f"{len(found)} dispute(s){' open' if open_only else ''}")


DISPUTE_COMMANDS = (disputes,)

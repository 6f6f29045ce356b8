"""``billing orders list|show``: the administrators' listing from the operator's shell, the
same filters, order and pages as ``GET /billing/admin/orders``."""

from __future__ import annotations

import json

import click
from flask import Flask

from billing.domain.identity import Caller
from billing.domain.money import Money
from billing.domain.state import OrderStatus
from billing.ports.listings import MAX_PAGE, OrderQuery

from .container import build_container
from .views import documents
from .views.admin_query import cursor_param, encode_cursor
from .views.admin_responses import admin_order_json

OPERATOR = Caller(is_admin=True)  # whoever runs the command holds the database's credentials


@click.group()
def orders() -> None:
    """Orders, for operators: list them (newest first), show one."""


@orders.command("list")
@click.option("--status", type=click.Choice([str(s) for s in OrderStatus]), help="Only these.")
@click.option("--email", help="Only the orders of this email.")
@click.option("--user-id", help="Only the orders of this user.")
@click.option("--after", help="The cursor printed at the end of the previous page.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, MAX_PAGE))
def orders_list(
    status: str | None, email: str | None, user_id: str | None, after: str | None, limit: int
) -> None:
    """Orders: id, status, customer, total, paid, refunded, created; then the next cursor."""
    query = OrderQuery(
        status=OrderStatus(status) if status else None,
        email=email,
        user_id=user_id,
        after=cursor_param(after),
        limit=limit,
    )
    page = build_container().admin_orders().orders(OPERATOR, query)
    for order in page.orders:
        fields = (
            order.id,
            str(order.status),
            order.customer.user_id or order.customer.email or "-",
            str(order.total),
            str(Money(order.amount_paid, order.currency)),
            str(Money(order.amount_refunded, order.currency)),
            order.created_at.isoformat(),
        )
        click.echo("\t".join(fields))
    cursor = encode_cursor(page.next_after)
    click.echo(
        f"{len(page.orders)} order(s)" + (f"; next page: --after {cursor}" if cursor else "")
    )


@orders.command("show")
@click.argument("order_id")
def orders_show(order_id: str) -> None:
    """One order as JSON: items, transitions, refunds, documents, payments."""
    container = build_container()
    found = container.admin_orders().order(OPERATOR, order_id)
    links = Flask("billing")  # the documents' links, as the HTTP answer has them
    links.register_blueprint(documents.blueprint, url_prefix=container.settings().url_prefix)
    with links.test_request_context():
        click.echo(json.dumps(admin_order_json(found), indent=2))

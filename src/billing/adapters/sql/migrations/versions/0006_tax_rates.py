"""VAT: a rate per product and per order line (with the line's net and tax), the buyer.

Lines sold before keep a NULL net (their whole amount is net, untaxed) and the exempt
category, so their documents read as they did.

Revision ID: 0006_tax_rates
Revises: 0005_sent_messages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_tax_rates"
down_revision = "0005_sent_messages"
branch_labels = None
depends_on = None

_TAX = ("tax_rate_bp", "tax_category", "exemption_reason")
_LINE = ("net", "tax", "unit_includes_tax")
_BUYER = ("buyer_name", "buyer_address", "buyer_country", "buyer_tax_id", "payment_method")


def _tax_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("tax_category", sa.String(length=2), nullable=False, server_default="E"),
        sa.Column("exemption_reason", sa.Text(), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    with op.batch_alter_table("billing_products") as products:
        for column in _tax_columns():
            products.add_column(column)
    with op.batch_alter_table("billing_order_items") as items:
        for column in _tax_columns():
            items.add_column(column)
        items.add_column(sa.Column("net", sa.BigInteger(), nullable=True))
        items.add_column(sa.Column("tax", sa.BigInteger(), nullable=False, server_default="0"))
        items.add_column(
            sa.Column("unit_includes_tax", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("billing_orders") as orders:
        orders.add_column(
            sa.Column("buyer_name", sa.String(length=255), nullable=False, server_default="")
        )
        orders.add_column(sa.Column("buyer_address", sa.Text(), nullable=False, server_default=""))
        orders.add_column(
            sa.Column("buyer_country", sa.CHAR(length=2), nullable=False, server_default="")
        )
        orders.add_column(
            sa.Column("buyer_tax_id", sa.String(length=32), nullable=False, server_default="")
        )
        orders.add_column(
            sa.Column("payment_method", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("billing_orders") as orders:
        for name in _BUYER:
            orders.drop_column(name)
    with op.batch_alter_table("billing_order_items") as items:
        for name in (*_LINE, *_TAX):
            items.drop_column(name)
    with op.batch_alter_table("billing_products") as products:
        for name in _TAX:
            products.drop_column(name)

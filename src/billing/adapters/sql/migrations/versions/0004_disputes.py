"""Money's whole life: disputes and their lost amounts, duplicate captures and their refunds,
credit notes of lost disputes.

Revision ID: 0004_disputes
Revises: 0003_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_disputes"
down_revision = "0003_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_disputes",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("evidence_due_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["billing_orders.id"],
            name=op.f("fk_billing_disputes_order_id_billing_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_disputes")),
    )
    op.create_index(
        op.f("ix_billing_disputes_order_id"), "billing_disputes", ["order_id"], unique=False
    )
    op.create_index(
        op.f("ix_billing_disputes_status"), "billing_disputes", ["status"], unique=False
    )
    op.create_table(
        "billing_duplicate_captures",
        sa.Column("payment_id", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("cause", sa.String(length=255), nullable=False),
        sa.Column("refund_id", sa.String(length=64), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["billing_orders.id"],
            name=op.f("fk_billing_duplicate_captures_order_id_billing_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["billing_refunds.id"],
            name=op.f("fk_billing_duplicate_captures_refund_id_billing_refunds"),
        ),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_billing_duplicate_captures")),
    )
    op.create_index(
        op.f("ix_billing_duplicate_captures_order_id"),
        "billing_duplicate_captures",
        ["order_id"],
        unique=False,
    )
    # Columns and an index only: SQLite adds them in place, where a new constraint on an
    # existing table would copy it (and dropping the old orders table cascades to its items).
    op.add_column(
        "billing_orders",
        sa.Column("amount_disputed_lost", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "billing_refunds", sa.Column("extra_payment_id", sa.String(length=255), nullable=True)
    )
    op.create_index(
        op.f("ix_billing_refunds_extra_payment_id"),
        "billing_refunds",
        ["extra_payment_id"],
        unique=True,
    )
    op.add_column(
        "billing_invoice_artifacts",
        sa.Column("dispute_id", sa.String(length=255), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("billing_invoice_artifacts", "dispute_id")
    op.drop_index(op.f("ix_billing_refunds_extra_payment_id"), table_name="billing_refunds")
    op.drop_column("billing_refunds", "extra_payment_id")
    op.drop_column("billing_orders", "amount_disputed_lost")
    op.drop_index(
        op.f("ix_billing_duplicate_captures_order_id"), table_name="billing_duplicate_captures"
    )
    op.drop_table("billing_duplicate_captures")
    op.drop_index(op.f("ix_billing_disputes_status"), table_name="billing_disputes")
    op.drop_index(op.f("ix_billing_disputes_order_id"), table_name="billing_disputes")
    op.drop_table("billing_disputes")

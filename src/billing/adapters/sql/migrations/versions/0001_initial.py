"""Initial billing tables: orders and their items and transitions, payment attempts, refunds,
entitlements, customers, invoices and their number series, webhook events, products.

Revision ID: 0001
Revises: -
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("provider_customer_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_customers")),
        sa.UniqueConstraint(
            "provider_customer_id", name=op.f("uq_billing_customers_provider_customer_id")
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_billing_customers_user_id")),
    )
    op.create_index(
        op.f("ix_billing_customers_email"), "billing_customers", ["email"], unique=False
    )

    op.create_table(
        "billing_invoice_sequences",
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_billing_invoice_sequences")),
    )
    op.create_table(
        "billing_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_user_id", sa.String(length=255), nullable=True),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=255), nullable=True),
        sa.Column("amount_paid", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("access_token_sha256", sa.CHAR(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_orders")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_billing_orders_idempotency_key")),
        sa.UniqueConstraint(
            "provider_payment_id", name=op.f("uq_billing_orders_provider_payment_id")
        ),
    )
    op.create_index(
        op.f("ix_billing_orders_customer_email"), "billing_orders", ["customer_email"], unique=False
    )
    op.create_index(
        op.f("ix_billing_orders_customer_user_id"),
        "billing_orders",
        ["customer_user_id"],
        unique=False,
    )

    op.create_table(
        "billing_products",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("entitlement_key", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_billing_products")),
    )
    op.create_table(
        "billing_webhook_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "payload_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("api_version", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_webhook_events")),
    )
    op.create_index(
        op.f("ix_billing_webhook_events_order_id_status"),
        "billing_webhook_events",
        ["order_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_billing_webhook_events_status_received_at"),
        "billing_webhook_events",
        ["status", "received_at"],
        unique=False,
    )

    op.create_table(
        "billing_entitlements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("customer_user_id", sa.String(length=255), nullable=True),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["billing_orders.id"],
            name=op.f("fk_billing_entitlements_order_id_billing_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_entitlements")),
        sa.UniqueConstraint("order_id", "key", name=op.f("uq_billing_entitlements_order_id_key")),
    )
    op.create_index(
        op.f("ix_billing_entitlements_customer_email"),
        "billing_entitlements",
        ["customer_email"],
        unique=False,
    )
    op.create_index(
        op.f("ix_billing_entitlements_customer_user_id"),
        "billing_entitlements",
        ["customer_user_id"],
        unique=False,
    )

    op.create_table(
        "billing_order_items",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("entitlement_key", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["billing_orders.id"],
            name=op.f("fk_billing_order_items_order_id_billing_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "position", name=op.f("pk_billing_order_items")),
        sa.UniqueConstraint("order_id", "sku", name=op.f("uq_billing_order_items_order_id_sku")),
    )
    op.create_table(
        "billing_order_transitions",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("cause", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["billing_orders.id"],
            name=op.f("fk_billing_order_transitions_order_id_billing_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "seq", name=op.f("pk_billing_order_transitions")),
    )
    op.create_table(
        "billing_payment_attempts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error_code", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["billing_orders.id"],
            name=op.f("fk_billing_payment_attempts_order_id_billing_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_payment_attempts")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_billing_payment_attempts_idempotency_key")
        ),
        sa.UniqueConstraint(
            "provider_payment_id", name=op.f("uq_billing_payment_attempts_provider_payment_id")
        ),
    )
    op.create_index(
        op.f("ix_billing_payment_attempts_order_id"),
        "billing_payment_attempts",
        ["order_id"],
        unique=False,
    )

    op.create_table(
        "billing_refunds",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("provider_refund_id", sa.String(length=255), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["billing_orders.id"],
            name=op.f("fk_billing_refunds_order_id_billing_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_refunds")),
        sa.UniqueConstraint(
            "provider_refund_id", name=op.f("uq_billing_refunds_provider_refund_id")
        ),
    )
    op.create_index(
        op.f("ix_billing_refunds_order_id"), "billing_refunds", ["order_id"], unique=False
    )

    op.create_table(
        "billing_invoice_artifacts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("refund_id", sa.String(length=64), nullable=True),
        sa.Column("template_version", sa.String(length=32), nullable=True),
        sa.Column("html_key", sa.String(length=255), nullable=True),
        sa.Column("html_sha256", sa.CHAR(length=64), nullable=True),
        sa.Column("pdf_key", sa.String(length=255), nullable=True),
        sa.Column("pdf_sha256", sa.CHAR(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["billing_orders.id"],
            name=op.f("fk_billing_invoice_artifacts_order_id_billing_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["billing_refunds.id"],
            name=op.f("fk_billing_invoice_artifacts_refund_id_billing_refunds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_invoice_artifacts")),
        sa.UniqueConstraint("number", name=op.f("uq_billing_invoice_artifacts_number")),
        sa.UniqueConstraint(
            "series",
            "year",
            "sequence",
            name=op.f("uq_billing_invoice_artifacts_series_year_sequence"),
        ),
    )
    op.create_index(
        op.f("ix_billing_invoice_artifacts_order_id"),
        "billing_invoice_artifacts",
        ["order_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_billing_invoice_artifacts_order_id"), table_name="billing_invoice_artifacts"
    )

    op.drop_table("billing_invoice_artifacts")
    op.drop_index(op.f("ix_billing_refunds_order_id"), table_name="billing_refunds")

    op.drop_table("billing_refunds")
    op.drop_index(
        op.f("ix_billing_payment_attempts_order_id"), table_name="billing_payment_attempts"
    )

    op.drop_table("billing_payment_attempts")
    op.drop_table("billing_order_transitions")
    op.drop_table("billing_order_items")
    op.drop_index(
        op.f("ix_billing_entitlements_customer_user_id"), table_name="billing_entitlements"
    )
    op.drop_index(op.f("ix_billing_entitlements_customer_email"), table_name="billing_entitlements")

    op.drop_table("billing_entitlements")
    op.drop_index(
        op.f("ix_billing_webhook_events_status_received_at"), table_name="billing_webhook_events"
    )
    op.drop_index(
        op.f("ix_billing_webhook_events_order_id_status"), table_name="billing_webhook_events"
    )

    op.drop_table("billing_webhook_events")
    op.drop_table("billing_products")
    op.drop_index(op.f("ix_billing_orders_customer_user_id"), table_name="billing_orders")
    op.drop_index(op.f("ix_billing_orders_customer_email"), table_name="billing_orders")

    op.drop_table("billing_orders")
    op.drop_table("billing_invoice_sequences")
    op.drop_index(op.f("ix_billing_customers_email"), table_name="billing_customers")

    op.drop_table("billing_customers")

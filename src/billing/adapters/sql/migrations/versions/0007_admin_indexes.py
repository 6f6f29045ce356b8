"""The administrators' listings: indexes on (filter, created_at, id) for newest-first pages.

Revision ID: 0007_admin_indexes
Revises: 0006_tax_rates
"""

from __future__ import annotations

from alembic import op

revision = "0007_admin_indexes"
down_revision = "0006_tax_rates"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_billing_orders_created", "billing_orders", ["created_at", "id"]),
    ("ix_billing_orders_status_created", "billing_orders", ["status", "created_at", "id"]),
    ("ix_billing_orders_email_created", "billing_orders", ["customer_email", "created_at", "id"]),
    ("ix_billing_orders_user_created", "billing_orders", ["customer_user_id", "created_at", "id"]),
    ("ix_billing_refunds_created", "billing_refunds", ["created_at", "id"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)

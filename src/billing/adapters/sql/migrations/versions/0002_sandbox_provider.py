"""The sandbox payment provider's tables: its Stripe objects, idempotency keys and events.

Self-contained, like every migration: it describes the tables as they were at this revision and
imports no application code (``billing.adapters.sandbox.tables`` may change later; this history
must not).

Revision ID: 0002_sandbox
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_sandbox"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_sandbox_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_sandbox_events")),
        sa.UniqueConstraint("sequence", name=op.f("uq_billing_sandbox_events_sequence")),
    )
    op.create_index(
        op.f("ix_billing_sandbox_events_delivered_at_sequence"),
        "billing_sandbox_events",
        ["delivered_at", "sequence"],
        unique=False,
    )
    op.create_table(
        "billing_sandbox_idempotency_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_billing_sandbox_idempotency_keys")),
    )
    op.create_table(
        "billing_sandbox_objects",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("payment_intent", sa.String(length=255), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_sandbox_objects")),
    )
    op.create_index(
        op.f("ix_billing_sandbox_objects_payment_intent"),
        "billing_sandbox_objects",
        ["payment_intent"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_billing_sandbox_objects_payment_intent"), table_name="billing_sandbox_objects"
    )
    op.drop_table("billing_sandbox_objects")
    op.drop_table("billing_sandbox_idempotency_keys")
    op.drop_index(
        op.f("ix_billing_sandbox_events_delivered_at_sequence"),
        table_name="billing_sandbox_events",
    )
    op.drop_table("billing_sandbox_events")

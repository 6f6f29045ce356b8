"""The transactional outbox: jobs written with the change that causes them.

Revision ID: 0003_outbox
Revises: 0002_sandbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_outbox"
down_revision = "0002_sandbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_outbox_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_outbox_jobs")),
    )
    op.create_index(
        op.f("ix_billing_outbox_jobs_status_available_at"),
        "billing_outbox_jobs",
        ["status", "available_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_billing_outbox_jobs_status_published_at"),
        "billing_outbox_jobs",
        ["status", "published_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_billing_outbox_jobs_status_published_at"), table_name="billing_outbox_jobs"
    )
    op.drop_index(
        op.f("ix_billing_outbox_jobs_status_available_at"), table_name="billing_outbox_jobs"
    )
    op.drop_table("billing_outbox_jobs")

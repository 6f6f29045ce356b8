"""Receipts by e-mail: the one message of each document, claimed before it is sent.

Revision ID: 0005_sent_messages
Revises: 0004_disputes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_sent_messages"
down_revision = "0004_disputes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_sent_messages",
        sa.Column("document_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["billing_invoice_artifacts.id"],
            name=op.f("fk_billing_sent_messages_document_id_billing_invoice_artifacts"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_billing_sent_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_billing_sent_messages_message_id")),
    )


def downgrade() -> None:
    op.drop_table("billing_sent_messages")

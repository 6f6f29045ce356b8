"""The tables: one ``MetaData`` that the migrations and the repositories share.

Money is an integer amount in minor units beside a ``char(3)`` currency; times are aware UTC
(``UtcDateTime``). Unique constraints are the last line of defence behind the services' own
checks: provider event id, provider payment id, provider refund id, (series, year, sequence) of
a document number, one entitlement per key and order (an order has exactly one customer), one
dispute per provider dispute id, one duplicate capture (and one refund) per extra payment.
"""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from billing.adapters.sql_common import UtcDateTime, json_document, metadata

ID = 64  # "ord_" + 20 hex digits today; room to spare
PROVIDER_ID = 255
STATUS = 32
EMAIL = 320
TAX_ID = 32
TAX_CATEGORY = 2  # EN 16931's code: S, AA, Z, E


def _tax_columns() -> list[Column[object]]:
    """A product's or an order line's rate (basis points), category and exemption reason."""
    return [
        Column("tax_rate_bp", Integer(), nullable=False, server_default="0"),
        Column("tax_category", String(TAX_CATEGORY), nullable=False, server_default="E"),
        Column("exemption_reason", Text(), nullable=False, server_default=""),
    ]


customers = Table(
    "billing_customers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(PROVIDER_ID), nullable=True, unique=True),
    Column("email", String(EMAIL), nullable=True, index=True),
    Column("provider_customer_id", String(PROVIDER_ID), nullable=True, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

orders = Table(
    "billing_orders",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("customer_user_id", String(PROVIDER_ID), nullable=True, index=True),
    Column("customer_email", String(EMAIL), nullable=True, index=True),
    Column("currency", CHAR(3), nullable=False),
    Column("idempotency_key", String(PROVIDER_ID), nullable=False, unique=True),
    Column("status", String(STATUS), nullable=False),
    Column("provider_payment_id", String(PROVIDER_ID), nullable=True, unique=True),
    Column("amount_paid", BigInteger(), nullable=False),
    Column("amount_refunded", BigInteger(), nullable=False),
    Column("disputed", Boolean(), nullable=False),
    Column("amount_disputed_lost", BigInteger(), nullable=False, server_default="0"),
    Column("access_token_sha256", CHAR(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The buyer as invoiced (all empty: invoiced under the customer's email).
    Column("buyer_name", String(PROVIDER_ID), nullable=False, server_default=""),
    Column("buyer_address", Text(), nullable=False, server_default=""),
    Column("buyer_country", CHAR(2), nullable=False, server_default=""),
    Column("buyer_tax_id", String(TAX_ID), nullable=False, server_default=""),
    Column("payment_method", String(ID), nullable=False, server_default=""),
)

order_items = Table(
    "billing_order_items",
    metadata,
    Column(
        "order_id",
        String(ID),
        ForeignKey(orders.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer(), primary_key=True, autoincrement=False),
    Column("sku", String(ID), nullable=False),
    Column("name", String(PROVIDER_ID), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("unit_amount", BigInteger(), nullable=False),
    Column("entitlement_key", String(PROVIDER_ID), nullable=True),
    # The tax the line was sold with; net NULL: sold before rates existed (all net, untaxed).
    *_tax_columns(),
    Column("net", BigInteger(), nullable=True),
    Column("tax", BigInteger(), nullable=False, server_default="0"),
    Column("unit_includes_tax", Boolean(), nullable=False, server_default=true()),
    UniqueConstraint("order_id", "sku"),
)

order_transitions = Table(
    "billing_order_transitions",
    metadata,
    Column(
        "order_id",
        String(ID),
        ForeignKey(orders.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer(), primary_key=True, autoincrement=False),
    Column("from_status", String(STATUS), nullable=False),
    Column("to_status", String(STATUS), nullable=False),
    Column("cause", String(PROVIDER_ID), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

payment_attempts = Table(
    "billing_payment_attempts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("mode", String(STATUS), nullable=False),
    Column("idempotency_key", String(PROVIDER_ID), nullable=False, unique=True),
    Column("provider_payment_id", String(PROVIDER_ID), nullable=True, unique=True),
    Column("status", String(STATUS), nullable=False),
    Column("error_code", String(PROVIDER_ID), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

refunds = Table(
    "billing_refunds",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("amount", BigInteger(), nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("status", String(STATUS), nullable=False),
    Column("origin", String(STATUS), nullable=False),
    Column("reason", Text(), nullable=True),
    Column("provider_refund_id", String(PROVIDER_ID), nullable=True, unique=True),
    Column("failure_reason", Text(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("extra_payment_id", String(PROVIDER_ID), nullable=True),
    # A duplicate capture's refund: one per extra payment (an index: SQLite adds it in place).
    Index(None, "extra_payment_id", unique=True),
)

disputes = Table(
    "billing_disputes",
    metadata,
    Column("id", String(PROVIDER_ID), primary_key=True),  # the provider's dispute id
    Column("order_id", String(ID), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("amount", BigInteger(), nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("status", String(STATUS), nullable=False, index=True),
    Column("reason", String(PROVIDER_ID), nullable=True),
    Column("evidence_due_by", UtcDateTime(), nullable=True),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
)

duplicate_captures = Table(
    "billing_duplicate_captures",
    metadata,
    Column("payment_id", String(PROVIDER_ID), primary_key=True),
    Column("order_id", String(ID), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("amount", BigInteger(), nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("cause", String(PROVIDER_ID), nullable=False),
    Column("refund_id", String(ID), ForeignKey(refunds.c.id), nullable=True),
    Column("detected_at", UtcDateTime(), nullable=False),
)

entitlements = Table(
    "billing_entitlements",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("key", String(PROVIDER_ID), nullable=False),
    Column("order_id", String(ID), ForeignKey(orders.c.id), nullable=False),
    Column("customer_user_id", String(PROVIDER_ID), nullable=True, index=True),
    Column("customer_email", String(EMAIL), nullable=True, index=True),
    Column("granted_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    UniqueConstraint("order_id", "key"),
)

invoice_artifacts = Table(
    "billing_invoice_artifacts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("number", String(STATUS), nullable=False, unique=True),
    Column("series", String(16), nullable=False),
    Column("year", Integer(), nullable=False),
    Column("sequence", Integer(), nullable=False),
    Column("kind", String(STATUS), nullable=False),
    Column("order_id", String(ID), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("refund_id", String(ID), ForeignKey(refunds.c.id), nullable=True),
    Column("template_version", String(STATUS), nullable=True),
    Column("html_key", String(PROVIDER_ID), nullable=True),
    Column("html_sha256", CHAR(64), nullable=True),
    Column("pdf_key", String(PROVIDER_ID), nullable=True),
    Column("pdf_sha256", CHAR(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("rendered_at", UtcDateTime(), nullable=True),
    # No foreign key: SQLite could only add one by copying the table (migration 0004).
    Column("dispute_id", String(PROVIDER_ID), nullable=True),
    UniqueConstraint("series", "year", "sequence"),
)

invoice_sequences = Table(
    "billing_invoice_sequences",
    metadata,
    Column("series", String(16), primary_key=True),
    Column("year", Integer(), primary_key=True, autoincrement=False),
    Column("last_sequence", Integer(), nullable=False),
)

webhook_events = Table(
    "billing_webhook_events",
    metadata,
    Column("id", String(PROVIDER_ID), primary_key=True),
    Column("type", String(PROVIDER_ID), nullable=False),
    Column("status", String(STATUS), nullable=False),
    Column("payload", Text(), nullable=False),  # the raw body, verbatim
    Column("payload_json", json_document(), nullable=True),  # the same, parsed, for queries
    Column("livemode", Boolean(), nullable=False),
    Column("api_version", String(STATUS), nullable=True),
    Column("attempts", Integer(), nullable=False),
    Column("last_error", Text(), nullable=True),
    Column("order_id", String(ID), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("processed_at", UtcDateTime(), nullable=True),
    Index(None, "status", "received_at"),
    Index(None, "order_id", "status"),
)

products = Table(
    "billing_products",
    metadata,
    Column("sku", String(ID), primary_key=True),
    Column("name", String(PROVIDER_ID), nullable=False),
    Column("unit_amount", BigInteger(), nullable=False),
    Column("currency", CHAR(3), nullable=False),
    Column("entitlement_key", String(PROVIDER_ID), nullable=True),
    Column("active", Boolean(), nullable=False),
    *_tax_columns(),
)

outbox_jobs = Table(
    "billing_outbox_jobs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("task", String(ID), nullable=False),
    Column("params", Text(), nullable=False),  # a JSON object of strings
    Column("status", String(STATUS), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("available_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    # The relay's two questions: pending and available, published and stale.
    Index(None, "status", "available_at"),
    Index(None, "status", "published_at"),
)


# -- receipts by e-mail -----------------------------------------------------------------------
# One message per document (its primary key): claimed before sending, marked sent after.
sent_messages = Table(
    "billing_sent_messages",
    metadata,
    Column("document_id", String(ID), ForeignKey(invoice_artifacts.c.id), primary_key=True),
    Column("message_id", String(PROVIDER_ID), nullable=False, unique=True),
    Column("recipient", String(EMAIL), nullable=False),
    Column("status", String(STATUS), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("claimed_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
)

# The administrators' listings (``listings.py``): newest first, keyset on (created_at, id), the
# whole table or by one filter, each a backward range scan (migration 0007_admin_indexes).
Index("ix_billing_orders_created", orders.c.created_at, orders.c.id)
Index("ix_billing_orders_status_created", orders.c.status, orders.c.created_at, orders.c.id)
Index(
    "ix_billing_orders_email_created",
    orders.c.customer_email,
    orders.c.created_at,
    orders.c.id,
)
Index(
    "ix_billing_orders_user_created",
    orders.c.customer_user_id,
    orders.c.created_at,
    orders.c.id,
)
Index("ix_billing_refunds_created", refunds.c.created_at, refunds.c.id)

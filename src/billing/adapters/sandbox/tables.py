"""The sandbox's own tables, on the application's ``MetaData`` (migration ``0002``).

Objects are kept as the Stripe JSON the sandbox serves (``document``), with the columns it
searches by beside them; ``payment_intent`` finds the refunds of a PaymentIntent.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from billing.adapters.sql_common import UtcDateTime, metadata

OBJECT_ID = 255
KEY = 255
FINGERPRINT = 64
KIND = 64

sandbox_objects = Table(
    "billing_sandbox_objects",
    metadata,
    Column("id", String(OBJECT_ID), primary_key=True),
    Column("object", String(KIND), nullable=False),
    Column("payment_intent", String(OBJECT_ID), nullable=True, index=True),
    Column("document", Text(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

sandbox_idempotency_keys = Table(
    "billing_sandbox_idempotency_keys",
    metadata,
    Column("key", String(KEY), primary_key=True),
    Column("fingerprint", String(FINGERPRINT), nullable=False),
    Column("object_id", String(OBJECT_ID), nullable=False),
)

sandbox_events = Table(
    "billing_sandbox_events",
    metadata,
    Column("id", String(OBJECT_ID), primary_key=True),
    Column("sequence", Integer(), nullable=False, unique=True),
    Column("type", String(OBJECT_ID), nullable=False),
    Column("payload", Text(), nullable=False),  # the exact body that is signed and sent
    Column("created_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Index(None, "delivered_at", "sequence"),
)

#: Every table of the sandbox (``billing.adapters.sql``'s migration environment names them).
TABLES = (sandbox_objects, sandbox_idempotency_keys, sandbox_events)

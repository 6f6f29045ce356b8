"""Records ↔ domain objects: how each entity is laid out in its table, where that is a decision.

Each entity has one ``RowMapper`` (``rows.py``), generated once by the SQL boundary's cattrs
converter: ``MAPPER.record(entity)`` is the column values of its row, ``MAPPER.from_row(row)``
a fresh domain object. A field stored in the column of its own name is not mentioned here;
what is written is a rename, a nested object flattened into its parent's row, a column
computed from several fields, or parts kept in other tables. Nothing else in the adapter
touches column names of a domain field, and no row object leaves the adapter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from billing.domain.catalog import Product
from billing.domain.customer import CustomerProfile
from billing.domain.dispute import Dispute
from billing.domain.duplicate_capture import DuplicateCapture
from billing.domain.entitlement import Entitlement
from billing.domain.errors import InvalidInput
from billing.domain.invoice import DocumentNumber, InvoiceArtifact
from billing.domain.mail import SentMessage
from billing.domain.order import Order, OrderItem
from billing.domain.outbox import OutboxJob
from billing.domain.payment import PaymentAttempt
from billing.domain.refund import Refund
from billing.domain.state import OrderTransition
from billing.domain.webhook import WebhookEvent

from . import tables as t
from .rows import Computed, Flat, Record, Row, RowMapper

#: A customer in an order's or an entitlement's row: ``customer_user_id``, ``customer_email``.
_CUSTOMER = Flat(prefix="customer_")
#: A product's or an order line's tax rate: its category is the EN 16931 code.
_TAX = Flat(rename={"rate_bp": "tax_rate_bp", "category": "tax_category"})


# -- orders -----------------------------------------------------------------------------------

ORDERS = RowMapper(
    Order,
    t.orders,
    # The buyer as invoiced; all empty (no billing details): invoiced under the email.
    flatten={"customer": _CUSTOMER, "billing": Flat(prefix="buyer_")},
    elsewhere=("items", "transitions"),
)
#: An order's lines, in its order (``position``).
ITEMS = RowMapper(
    OrderItem, t.order_items, flatten={"tax_rate": _TAX}, given=("order_id", "position")
)
#: An order's transitions, append-only, in sequence (``seq``).
TRANSITIONS = RowMapper(OrderTransition, t.order_transitions, given=("order_id", "seq"))


def item_records(order: Order) -> list[Record]:
    return [
        ITEMS.record(item, order_id=order.id, position=position)
        for position, item in enumerate(order.items)
    ]


def transition_record(order_id: str, seq: int, transition: OrderTransition) -> Record:
    return TRANSITIONS.record(transition, order_id=order_id, seq=seq)


def order_from(row: Row, items: Sequence[Row], transitions: Sequence[Row]) -> Order:
    """``items`` ordered by position, ``transitions`` by sequence."""
    return ORDERS.from_row(
        row,
        items=tuple(ITEMS.from_row(item) for item in items),
        transitions=[TRANSITIONS.from_row(transition) for transition in transitions],
    )


def group_by_order(rows: Iterable[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row["order_id"], []).append(row)
    return grouped


# -- payments, refunds, disputes, duplicate captures ------------------------------------------

ATTEMPTS = RowMapper(PaymentAttempt, t.payment_attempts)
REFUNDS = RowMapper(Refund, t.refunds)
DISPUTES = RowMapper(Dispute, t.disputes)
DUPLICATE_CAPTURES = RowMapper(DuplicateCapture, t.duplicate_captures)


# -- customers and entitlements ---------------------------------------------------------------

CUSTOMERS = RowMapper(CustomerProfile, t.customers)
ENTITLEMENTS = RowMapper(Entitlement, t.entitlements, flatten={"customer": _CUSTOMER})


# -- invoices ---------------------------------------------------------------------------------


def _number_columns(artifact: InvoiceArtifact) -> Record:
    """The number's parts, which the unique (series, year, sequence) constraint guards."""
    try:
        number = DocumentNumber.parse(artifact.number)
    except ValueError:  # a malformed text, on domain versions that do not raise InvalidInput
        raise InvalidInput(f"not a document number: {artifact.number!r}") from None
    return {"series": number.series, "year": number.year, "sequence": number.sequence}


INVOICES = RowMapper(
    InvoiceArtifact,
    t.invoice_artifacts,
    computed=Computed(("series", "year", "sequence"), _number_columns),
)


# -- webhook events ---------------------------------------------------------------------------


def _parsed(payload: str) -> Any:
    """The payload as JSON for queries, or None when the raw text is not JSON (or holds an
    escaped NUL, which JSONB refuses)."""
    if "\\u0000" in payload:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _payload_json(event: WebhookEvent) -> Record:
    if "\x00" in event.payload:  # PostgreSQL text cannot hold NUL: refuse it everywhere alike
        raise InvalidInput("a webhook payload cannot contain NUL characters", event_id=event.id)
    return {"payload_json": _parsed(event.payload)}


WEBHOOKS = RowMapper(
    WebhookEvent, t.webhook_events, computed=Computed(("payload_json",), _payload_json)
)
#: The columns a ``save`` may change: the journaled payload (never checked nor parsed again)
#: and what identifies the event never change.
webhook_state_record = WEBHOOKS.unstructure_without("id", "payload", "received_at")


# -- catalog, outbox, sent messages -----------------------------------------------------------

PRODUCTS = RowMapper(
    Product,
    t.products,
    flatten={"price": Flat(rename={"amount": "unit_amount"}), "tax": _TAX},
)
OUTBOX = RowMapper(OutboxJob, t.outbox_jobs)
SENT_MESSAGES = RowMapper(SentMessage, t.sent_messages)

#: Every stored entity's mapper (the tables without one: ``UNMAPPED``).
MAPPERS: tuple[RowMapper[Any], ...] = (
    ORDERS,
    ITEMS,
    TRANSITIONS,
    ATTEMPTS,
    REFUNDS,
    DISPUTES,
    DUPLICATE_CAPTURES,
    CUSTOMERS,
    ENTITLEMENTS,
    INVOICES,
    WEBHOOKS,
    PRODUCTS,
    OUTBOX,
    SENT_MESSAGES,
)
#: A counter, not an entity: ``SqlInvoices.allocate_sequence`` writes it.
UNMAPPED = (t.invoice_sequences,)

"""What a transaction learned, right after locking an order, about the order's other rows.

On PostgreSQL, ``SqlOrders.lock`` reads the order's items and transitions in the statement after
its ``FOR UPDATE`` (a statement of its own, so its snapshot sees what the lock's previous
holder committed). That statement also says whether the order has entitlements, whether it has
parked webhook events, and which documents (kind, refund, dispute) it has: the paying path
asks each of these once, and the answer is nearly always "none" (a new order has no
entitlement, no invoice and nothing waiting for it). Knowing it saves three round trips.

The answer "none" stays true while the lock is held because every writer of those rows for
an order holds the order's lock: entitlements (``EntitlementService.sync`` and the merge),
documents (``InvoiceService.allocate``, from the reactions to a locked order's change; the
renderer only fills in a document's files) and events parked for an order that is stored
(``WebhookService`` parks them under the lock). The one writer that does not hold it parks an
event whose order it could not find; an order is locked after it is stored, so such an event
was already racing its order before this transaction began (it is answered 503 and delivered
again). Writes of this transaction itself are followed: a repository that writes one of those
tables for an order forgets that it had none, and reads it again. Everything is forgotten
when the transaction ends (its locks end with it). Only "none" is kept: an order that has some
is read as before, so no row is ever served from here.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

#: A document's identity within its order: its kind, and its refund's and dispute's ids.
DocumentKey = tuple[str, str | None, str | None]


@attrs.define
class _Facts:
    no_entitlements: bool
    no_parked_events: bool
    #: The documents the order has (one this transaction wrote included).
    documents: set[DocumentKey]


class LockedOrderFacts:
    """One per transaction, shared by its repositories."""

    def __init__(self) -> None:
        self._of: dict[str, _Facts] = {}

    def learned(
        self,
        order_id: str,
        *,
        has_entitlements: bool,
        has_parked_events: bool,
        documents: Iterable[DocumentKey],
    ) -> None:
        """What the statement after the order's lock said."""
        self._of[order_id] = _Facts(not has_entitlements, not has_parked_events, set(documents))

    def forget(self) -> None:
        """The transaction ended: its locks are released."""
        self._of.clear()

    def has_no_entitlements(self, order_id: str) -> bool:
        facts = self._of.get(order_id)
        return facts is not None and facts.no_entitlements

    def has_no_parked_events(self, order_id: str) -> bool:
        facts = self._of.get(order_id)
        return facts is not None and facts.no_parked_events

    def has_no_document(self, order_id: str, key: DocumentKey) -> bool:
        facts = self._of.get(order_id)
        return facts is not None and key not in facts.documents

    def entitlements_written(self, order_ids: Iterable[str]) -> None:
        for order_id in order_ids:
            if (facts := self._of.get(order_id)) is not None:
                facts.no_entitlements = False

    def event_written(self, order_id: str | None, parked: bool) -> None:
        """An event was written; only one left parked for a known order changes anything."""
        if parked and order_id is not None and (facts := self._of.get(order_id)) is not None:
            facts.no_parked_events = False

    def document_written(self, order_id: str, key: DocumentKey) -> None:
        """Added or saved: a key known needlessly only costs the statement it would save."""
        if (facts := self._of.get(order_id)) is not None:
            facts.documents.add(key)
